"""``regsite verify-site``: check a whole published site against a pinned root.

Operators run it before and after a deploy: every metadata signature, every file's length and
sha256 (under its plain name and its content-addressed name), the root keys' signature on
registry.toml and the owners' on every package.toml.  For a directory, every file present must
also be accounted for, so nothing unsigned can ride along.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from tuf.api.metadata import Root, TargetFile

from regsite.client.failures import TrustedRootName
from regsite.client.registry import RemoteRegistry
from regsite.client.trust import Updater, target_info_problem
from regsite.commands.client_state import read_root_file, registry_url
from regsite.errors import RegistryError
from regsite.fetch import Fetcher, FetchError, TooLargeError, UrlFetcher
from regsite.journal import unfinished_commit
from regsite.metadata.layout import (
    METADATA_DIR,
    content_addressed_path,
    has_copy,
    target_path_problem,
)

__all__ = ["SiteVerification", "VerifySiteOptions", "verify_published_site", "verify_site"]

_PACKAGE_DOCUMENT = re.compile(r"api/v1/packages/([a-z0-9-]+)\.json")
_CONTENT_ADDRESSED = re.compile(r"([0-9a-f]{64})\..+")


@dataclass(slots=True)
class SiteVerification:
    url: str
    files: int = 0  # targets checked
    packages: int = 0  # packages whose owner signatures were checked
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(slots=True)
class _VerifiedTargets:
    """The updater's targets, each fetched once: RemoteRegistry reads the same files."""

    updater: Updater
    cache: dict[str, bytes] = field(default_factory=dict)

    @property
    def root(self) -> Root:
        return self.updater.root

    def listed(self, path: str) -> bool:
        return self.updater.listed(path)

    def fetch_target(self, path: str) -> bytes:
        if path not in self.cache:
            self.cache[path] = self.updater.fetch_target(path)
        return self.cache[path]


def verify_site(
    url: str,
    pinned_root: bytes,
    fetcher: Fetcher,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    *,
    pinned_root_name: str = "the pinned root",
) -> SiteVerification:
    """Check everything; collect every problem instead of stopping at the first.

    ``pinned_root_name`` (the root file's path) names the root in messages.
    """
    result = SiteVerification(url)
    if urlsplit(url).scheme == "file" and (journal := _unfinished(url)) is not None:
        result.problems.append(
            f"{journal}: an unfinished commit of a build that was killed; the site mixes two"
            " builds until 'regsite build' runs again (it finishes the commit first)"
        )
        return result
    with tempfile.TemporaryDirectory(prefix="regsite-verify-") as scratch:
        name = TrustedRootName(pinned_root_name, stored=False)
        try:
            updater = Updater(
                url, fetcher, Path(scratch), bootstrap=pinned_root, root_name=name, now=now
            )
            targets = _checked_paths(updater.all_targets(result.problems), result)
        except RegistryError as exc:
            result.problems.append(str(exc))
            return result
        source = _VerifiedTargets(updater)
        for path, info in targets.items():
            _check_target(url, path, info, fetcher, source, result)
        _check_owners(source, targets, result)
    if urlsplit(url).scheme == "file":
        _check_unlisted(Path(url2pathname(urlsplit(url).path)), targets, result)
    return result


def _checked_paths(
    targets: dict[str, TargetFile], result: SiteVerification
) -> dict[str, TargetFile]:
    """The targets whose path may be fetched; the others are problems, never fetched."""
    safe = {}
    for path, info in targets.items():
        problem = target_path_problem(path) or target_info_problem(info)
        if problem is None:
            safe[path] = info
        else:
            result.problems.append(f"the signed targets list {path!r:.100}: {problem}")
    return safe


def _check_target(
    url: str,
    path: str,
    info: TargetFile,
    fetcher: Fetcher,
    source: _VerifiedTargets,
    result: SiteVerification,
) -> None:
    result.files += 1
    try:
        plain = fetcher.fetch(urljoin(url, path), info.length)
        digest = hashlib.sha256(plain).hexdigest()
        if len(plain) != info.length or digest != info.hashes["sha256"]:
            result.problems.append(
                f"{path}: {len(plain)} bytes with sha256 {digest}; the signed targets say"
                f" {info.length} bytes with sha256 {info.hashes['sha256']}"
            )
            return  # its content-addressed copy is often the same file (a hard link)
        if has_copy(path):  # what a client fetches; pages and assets have no copy (decision 25)
            source.fetch_target(path)  # the content-addressed copy, checked by the updater
    except TooLargeError:
        result.problems.append(f"{path}: longer than the {info.length} bytes the targets list")
    except RegistryError as exc:
        result.problems.append(f"{path}: {exc}")


def _check_owners(
    source: _VerifiedTargets, targets: dict[str, TargetFile], result: SiteVerification
) -> None:
    registry = RemoteRegistry(source)
    try:
        registry.registry()
    except (RegistryError, FetchError) as exc:
        result.problems.append(str(exc))
        return
    failed = {problem.partition(": ")[0] for problem in result.problems}
    for path in targets:
        match = _PACKAGE_DOCUMENT.fullmatch(path)
        if match is None or path in failed:  # reported once, by _check_target
            continue
        try:
            registry.document(match[1])  # the owners' package.toml, and the JSON built from it
            result.packages += 1
        except KeyError:
            result.problems.append(f"{path}: the registry delegates no package {match[1]!r}")
        except RegistryError as exc:
            result.problems.append(str(exc))


def _check_unlisted(root: Path, targets: dict[str, TargetFile], result: SiteVerification) -> None:
    """Every file on disk is a target, metadata, or a copy whose name is its own sha256."""
    expected = {
        content_addressed_path(p, info.hashes["sha256"])
        for p, info in targets.items()
        if has_copy(p)
    }
    for directory, _, names in os.walk(root):
        for name in names:
            relative = Path(directory, name).relative_to(root).as_posix()
            if relative in targets or relative in expected:
                continue
            if relative.startswith(f"{METADATA_DIR}/") and name.endswith(".json"):
                continue  # kept old versions; the current ones were verified above
            match = _CONTENT_ADDRESSED.fullmatch(posixpath.basename(relative))
            if match is not None and _sha256(root / relative) == match[1]:
                continue  # a target of a kept older version, unchanged since
            result.problems.append(f"{relative}: not listed in the signed metadata")


def _unfinished(url: str) -> Path | None:
    return unfinished_commit(Path(url2pathname(urlsplit(url).path)).resolve())


def _sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifySiteOptions:
    site: str  # a built site: directory or URL
    root: Path  # the root to trust, N.root.json


def verify_published_site(options: VerifySiteOptions) -> SiteVerification:
    """``regsite verify-site``: check a published site against the root file given."""
    pinned = read_root_file(options.root)
    url = registry_url(options.site)
    return verify_site(url, pinned, UrlFetcher(), pinned_root_name=str(options.root))
