"""One upstream registry as the build reads it: through the verifying client, memoised by the
hashes its signed metadata lists (docs/upstreams.md).

The client is ``regsite client``'s: python-tuf's ngclient (:class:`~regsite.client.trust.Updater`)
from the root that registry.toml pins, then the owners' signatures on each package taken
(:class:`~regsite.client.registry.RemoteRegistry`).  Three things go into the memo:

- **the trusted metadata** (ngclient's directory: root history, timestamp, snapshot, targets and
  the bins it loaded), under the upstream's name, URL and pinned root, so that the next build
  refuses an upstream that rolls back, and loads unchanged metadata without fetching it;
- **what was read of the upstream** (its names, the versions of the packages taken, its page
  template), under its trusted root and the sha256 of its snapshot: an unchanged upstream costs
  one request, for its timestamp;
- **each part's verdict**, under the hashes the signed targets list for its files: registry.toml
  with its signature, registry.json (for the page template), and each package's package.toml
  with its signature, so a new snapshot costs only the files that changed.

Nothing that failed a check is memoised: its problem is found again on every build.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from tuf.api.metadata import Root, TargetFile

from regsite.client.failures import TrustedRootName
from regsite.client.registry import ClientError, RemoteRegistry
from regsite.client.trust import Updater
from regsite.fetch import FetchConfig, UrlFetcher
from regsite.fields import url_problem
from regsite.memo import Memo
from regsite.model import Package, Registry, ReleaseStatus, Upstream

__all__ = ["FETCH_JOBS", "UpstreamIndex", "UpstreamPackage", "page_template", "read_upstream"]

log = logging.getLogger(__name__)

_TRUST, _STATE, _PACKAGE = "upstream-trust", "upstream", "upstream-package"
_HEAD, _PAGE = "upstream-registry", "upstream-page"
FETCH_JOBS = 8  # files fetched at once from an upstream
_REGISTRY_FILES = ("api/v1/sources/registry.toml", "api/v1/sources/registry.toml.sig")
_REGISTRY_DOCUMENT = "api/v1/registry.json"


@dataclass(frozen=True, slots=True)
class UpstreamPackage:
    """A package taken from an upstream, as its owners signed it."""

    versions: tuple[str, ...]  # newest first, in the version scheme's normal form
    yanked: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class UpstreamIndex:
    """What the build knows of one upstream, every part of it verified."""

    name: str
    names: frozenset[str]  # every package its registry.toml delegates
    scheme: str  # its version scheme's name
    flavours: frozenset[str]  # the formats of other clients it publishes (cargo's index…)
    page: str  # its package pages' absolute URL template, with {name}
    packages: Mapping[str, UpstreamPackage]  # the ones taken that exist and verified
    problems: tuple[tuple[str, str], ...]  # (key in its [[upstream]], message): taken ones that
    # do not exist upstream or did not verify
    snapshot: int  # the snapshot version read


def read_upstream(
    upstream: Upstream,
    pinned: bytes,
    location: str,
    memo: Memo,
    config: FetchConfig,
    jobs: int = FETCH_JOBS,
) -> UpstreamIndex:
    """The upstream at ``location`` (its URL, or a mirror's), verified from the ``pinned`` root,
    ``jobs`` files fetched at once; raise :class:`RegistryError` when it cannot be reached or
    does not verify."""
    key = memo.key(_TRUST, [upstream.name, upstream.url, upstream.root_sha256])
    stored: dict[str, bytes] = memo.get(_TRUST, key) or {}
    with tempfile.TemporaryDirectory(prefix="regsite-upstream-") as scratch:
        directory = Path(scratch)
        _restore(directory, stored)
        name = TrustedRootName(f"{upstream.root_file} (pinned by registry.toml)", stored=False)
        fetcher = UrlFetcher(config=config)
        updater = Updater(location, fetcher, directory, bootstrap=pinned, root_name=name)
        updater.refresh()
        try:
            return _index(upstream, updater, directory, memo, jobs)
        finally:  # what verified is trusted from now on, even if a package did not
            if (current := _trusted_files(directory)) != stored:
                memo.put(_TRUST, key, current)


def _index(
    upstream: Upstream, updater: Updater, directory: Path, memo: Memo, jobs: int
) -> UpstreamIndex:
    """From the memo when the upstream's root and snapshot are the ones read before."""
    root = _digest(directory / "root.json")
    identity = [upstream.name, upstream.url, root, _digest(directory / "snapshot.json")]
    key = memo.key(_STATE, [*identity, *upstream.packages])
    found: UpstreamIndex | None = memo.get(_STATE, key)
    if found is not None:
        return found
    registry, head = _registry(upstream, updater, root, memo)
    packages, problems = _packages(upstream, updater, registry, head, memo, jobs)
    index = UpstreamIndex(
        name=upstream.name,
        names=frozenset(registry.delegations),
        scheme=registry.version_scheme.name,
        flavours=registry.flavours,
        page=_page(upstream, updater, memo),
        packages=packages,
        problems=tuple(problems),
        snapshot=updater.snapshot_version or 0,
    )
    if not problems:
        memo.put(_STATE, key, index)
    return index


def _registry(
    upstream: Upstream, updater: Updater, root: str, memo: Memo
) -> tuple[Registry, bytes]:
    """The upstream's registry.toml, verified against its TUF root's root keys, from the memo
    when the targets list the same files; and the key it is under."""
    hashes = [_sha256(updater, path) for path in _REGISTRY_FILES]
    key = memo.key(_HEAD, [upstream.url, root, *hashes])
    found: Registry | None = memo.get(_HEAD, key)
    if found is None:
        found = RemoteRegistry(updater, readmes=False).registry()
        memo.put(_HEAD, key, found)
    return found, key


def _page(upstream: Upstream, updater: Updater, memo: Memo) -> str:
    """The upstream's page template, from its registry.json (memoised by its hash)."""
    key = memo.key(_PAGE, [upstream.url, _sha256(updater, _REGISTRY_DOCUMENT)])
    found: str | None = memo.get(_PAGE, key)
    if found is None:
        found = page_template(upstream, updater.fetch_target(_REGISTRY_DOCUMENT))
        memo.put(_PAGE, key, found)
    return found


def _packages(
    upstream: Upstream, updater: Updater, registry: Registry, head: bytes, memo: Memo, jobs: int
) -> tuple[dict[str, UpstreamPackage], list[tuple[str, str]]]:
    """The packages taken, owner-verified, each from the memo when the targets list its files
    with the hashes it was verified under; and the problems of the ones that are not usable."""
    problems = [
        ("packages", f"{name!r} is not a package of upstream {upstream.name!r}")
        for name in upstream.packages
        if name not in registry.delegations
    ]
    names = [name for name in upstream.packages if name in registry.delegations]
    infos = {path: updater.target_info(path) for name in names for path in _files(name)}
    keys = {
        name: memo.key(_PACKAGE, [head, name, *(infos[p].hashes["sha256"] for p in _files(name))])
        for name in names
    }
    found = memo.get_many(_PACKAGE, keys.values())
    packages = {name: found[key] for name, key in keys.items() if key in found}
    missing = [name for name in names if name not in packages]
    wanted = {path: infos[path] for name in missing for path in _files(name)}
    fetched = _fetch(updater, wanted, jobs)
    remote = RemoteRegistry(_Fetched(updater, fetched), readmes=False, known=registry)
    for name in missing:
        try:
            package = remote.package(name)
        except ClientError as error:
            problems.append(("packages", f"upstream {upstream.name!r}: {error}"))
            continue
        packages[name] = _summary(package)
        memo.put(_PACKAGE, keys[name], packages[name])
    return packages, problems


def _files(name: str) -> tuple[str, str]:
    """What the owners signed of a package: its package.toml and signatures (no README)."""
    return (f"api/v1/sources/{name}/package.toml", f"api/v1/sources/{name}/package.toml.sig")


def _fetch(updater: Updater, infos: Mapping[str, TargetFile], jobs: int) -> dict[str, bytes]:
    """Each target at once with a few others: over a network, the time goes into waiting."""
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        fetched = pool.map(lambda item: updater.fetch_listed(*item), infos.items())
        return dict(zip(infos, fetched, strict=True))


@dataclass(frozen=True, slots=True)
class _Fetched:
    """The updater's targets, with the ones fetched already (for RemoteRegistry)."""

    updater: Updater
    files: Mapping[str, bytes]

    @property
    def root(self) -> Root:
        return self.updater.root

    def listed(self, path: str) -> bool:
        return path in self.files or self.updater.listed(path)

    def fetch_target(self, path: str) -> bytes:
        found = self.files.get(path)
        return self.updater.fetch_target(path) if found is None else found


def _summary(package: Package) -> UpstreamPackage:
    versions = tuple(str(release.version) for release in package.releases)
    yanked = tuple(str(r.version) for r in package.releases if r.status is ReleaseStatus.YANKED)
    return UpstreamPackage(versions, yanked)


def page_template(upstream: Upstream, document: bytes) -> str:
    """The absolute URL of the upstream's package pages, with ``{name}``: its registry.json's
    ``urls.page``, resolved against where that document lives at the upstream's URL."""
    try:
        parsed: Any = json.loads(document)
        template = parsed["urls"]["page"]
    except (ValueError, RecursionError, KeyError, TypeError):
        template = None
    where = f"{upstream.url}{_REGISTRY_DOCUMENT}"
    if not isinstance(template, str) or "{name}" not in template:
        raise ClientError(f"{where}: urls.page: expected a URL template with {{name}}")
    absolute = urljoin(where, template)
    if (problem := url_problem(absolute.replace("{name}", "name"))) is not None:
        raise ClientError(f"{where}: urls.page: {problem}")
    return absolute


def _sha256(updater: Updater, path: str) -> str:
    """The sha256 the upstream's signed targets list for ``path``."""
    sha256: str = updater.target_info(path).hashes["sha256"]
    return sha256


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _restore(directory: Path, stored: Mapping[str, bytes]) -> None:
    """ngclient's directory as the last build left it."""
    (directory / "root_history").mkdir()
    for name, content in stored.items():
        (directory / name).write_bytes(content)


def _trusted_files(directory: Path) -> dict[str, bytes]:
    """ngclient's trusted metadata, by relative path: what the next build starts from."""
    found = {}
    for entry in os.scandir(directory):
        if entry.is_file(follow_symlinks=False) and entry.name.endswith(".json"):
            found[entry.name] = Path(entry.path).read_bytes()
    for entry in os.scandir(directory / "root_history"):
        found[f"root_history/{entry.name}"] = Path(entry.path).read_bytes()
    return dict(sorted(found.items()))
