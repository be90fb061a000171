"""Portable packages on the client (docs/portable.md): closure manifests and version-index shards
read by their sha256, from a vendor directory or the registry, and resolved without the network.

Every file is named by its hash and checked against it when read: a manifest against the hash
its parent names (the root's, against the package document the registry signed, or against the
lockfile), a shard against the hash its manifest names.  A file in the vendor directory whose
bytes are not its name is refused, never fetched again in its place: whoever can write the
directory is told, not trusted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet

from regsite.atomic_write import write_atomically
from regsite.errors import RegistryError
from regsite.fetch import Fetcher, FetchError
from regsite.metadata.layout import target_path_problem
from regsite.model import Artifact, Dependency, ReleaseStatus
from regsite.names import name_problem
from regsite.versions import Version, VersionScheme, VersionSyntaxError

__all__ = [
    "MAX_PORTABLE_BYTES",
    "ClosureGraph",
    "ClosureManifest",
    "PortableError",
    "PortableStore",
    "ShardPackage",
    "ShardRelease",
    "closure_graph",
]

MAX_PORTABLE_BYTES = 4_000_000  # per shard or manifest; a package state is a few KB
_SHA256 = re.compile(r"[0-9a-f]{64}")
_RANGES = re.compile(r"(?:[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*)?")
_STATUSES = {status.value: status for status in ReleaseStatus}
_KINDS = ("closures", "shards")


class PortableError(RegistryError):
    """A shard or closure manifest is missing, tampered with, or not in the published format."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ShardRelease:
    """A release as a shard has it: what the resolver and the lockfile read."""

    version: Version
    status: ReleaseStatus
    requires: tuple[Dependency, ...]
    artifacts: tuple[Artifact, ...]
    requires_python: SpecifierSet | None = None  # not in a shard: every Python is assumed


@dataclass(frozen=True, kw_only=True, slots=True)
class ShardPackage:
    name: str
    sha256: str
    releases: tuple[ShardRelease, ...]  # newest version first, as published


@dataclass(frozen=True, kw_only=True, slots=True)
class ClosureManifest:
    sha256: str
    packages: Mapping[str, str]  # the package (and its cycle) -> sha256 of its shard
    requires: Mapping[str, str]  # each package a release requires -> sha256 of its manifest


@dataclass(slots=True)
class PortableStore:
    """Shards and manifests by hash: read from ``vendor`` first; what it lacks is fetched from
    the registry at ``base_url`` (and kept in ``vendor``), unless there is no ``fetcher``."""

    vendor: Path | None
    base_url: str
    fetcher: Fetcher | None = None
    fetched: int = 0  # files this store fetched from the registry

    def manifest(self, name: str, sha256: str) -> ClosureManifest:
        where = self._where("closures", name, sha256)
        return _manifest(_json(self._read("closures", name, sha256), where), sha256, where)

    def shard(self, name: str, sha256: str, scheme: VersionScheme) -> ShardPackage:
        where = self._where("shards", name, sha256)
        return _shard(_json(self._read("shards", name, sha256), where), name, sha256, scheme, where)

    def _where(self, kind: str, name: str, sha256: str) -> str:
        relative = f"{kind}/{name}/{sha256}.json"
        if self.vendor is not None and (self.vendor / relative).is_file():
            return str(self.vendor / relative)
        return f"{self.base_url}api/v1/{relative}"

    def _read(self, kind: str, name: str, sha256: str) -> bytes:
        assert kind in _KINDS and name_problem(name) is None and _SHA256.fullmatch(sha256)
        relative = f"{kind}/{name}/{sha256}.json"
        if self.vendor is not None and (self.vendor / relative).is_file():
            return _checked(_read_file(self.vendor / relative), sha256, str(self.vendor / relative))
        if self.fetcher is None:
            where = self.vendor / relative if self.vendor is not None else relative
            raise PortableError(
                f"{where}: missing, and --offline forbids fetching it; run 'regsite client"
                " vendor LOCKFILE -d DIR' (or lock without --offline) to fetch it"
            )
        url = f"{self.base_url}api/v1/{relative}"
        try:
            content = _checked(self.fetcher.fetch(url, MAX_PORTABLE_BYTES), sha256, url)
        except FetchError as error:
            raise PortableError(
                f"{url}: {error}; the registry no longer publishes this state: lock again"
            ) from error
        self.fetched += 1
        if self.vendor is not None:
            _keep(self.vendor / relative, content)
        return content


def _read_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_PORTABLE_BYTES:
            raise PortableError(f"{path}: larger than {MAX_PORTABLE_BYTES:,} bytes; refused")
        return path.read_bytes()
    except OSError as error:
        raise PortableError(f"{path}: cannot read it: {error.strerror or error}") from error


def _keep(path: Path, content: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, content)
    except OSError as error:
        raise PortableError(
            f"{path}: cannot write the vendor directory: {error.strerror or error}; choose"
            " another with -d DIR"
        ) from error


def _checked(content: bytes, sha256: str, where: str) -> bytes:
    found = hashlib.sha256(content).hexdigest()
    if found != sha256:
        raise PortableError(
            f"{where}: sha256 is {found}, expected {sha256} (the name it is published under):"
            " tampered with or corrupted; refused. Delete it and vendor again"
        )
    return content


def _json(content: bytes, where: str) -> dict[str, Any]:
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as error:
        raise PortableError(f"{where}: not JSON: {error}") from error
    if not isinstance(document, dict) or document.get("api_version") != 1:
        raise PortableError(f"{where}: expected a JSON object with api_version 1")
    return document


def _is_sha256(value: object) -> bool:
    return isinstance(value, str) and _SHA256.fullmatch(value) is not None


def _names_to_hashes(value: object, where: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict) or any(name_problem(str(name)) for name in value):
        raise PortableError(f"{where}: {key}: expected an object keyed by package names")
    return value


def _manifest(document: dict[str, Any], sha256: str, where: str) -> ClosureManifest:
    packages = _names_to_hashes(document.get("packages"), where, "packages")
    requires = _names_to_hashes(document.get("requires"), where, "requires")
    if not packages or not all(_is_sha256(sha) for sha in packages.values()):
        raise PortableError(f"{where}: packages: expected at least one name -> sha256")
    pinned: dict[str, str] = {}
    for name, entry in requires.items():
        if not (
            isinstance(entry, list)
            and len(entry) == 2
            and _is_sha256(entry[0])
            and isinstance(entry[1], str)
            and _RANGES.fullmatch(entry[1])
        ):
            raise PortableError(f"{where}: requires.{name}: expected [sha256, index ranges]")
        pinned[name] = entry[0]
    return ClosureManifest(sha256=sha256, packages=dict(packages), requires=pinned)


def _shard(
    document: dict[str, Any], name: str, sha256: str, scheme: VersionScheme, where: str
) -> ShardPackage:
    if document.get("name") != name or not isinstance(document.get("releases"), list):
        raise PortableError(f"{where}: expected the shard of {name!r} with a releases array")
    releases = tuple(
        _release(entry, scheme, f"{where}: releases[{index}]")
        for index, entry in enumerate(document["releases"])
    )
    return ShardPackage(name=name, sha256=sha256, releases=releases)


def _release(entry: object, scheme: VersionScheme, where: str) -> ShardRelease:
    if not isinstance(entry, list) or len(entry) not in (3, 4):
        raise PortableError(f"{where}: expected [version, requires, artifacts(, status)]")
    status = _STATUSES.get(entry[3]) if len(entry) == 4 else ReleaseStatus.ACTIVE
    if status is None or not isinstance(entry[1], dict) or not isinstance(entry[2], list):
        raise PortableError(f"{where}: expected [version, requires, artifacts(, status)]")
    try:
        version = scheme.parse_version(str(entry[0]))
        requires = tuple(
            Dependency(name=str(target), specifier=scheme.parse_specifier(str(text)))
            for target, text in entry[1].items()
        )
    except VersionSyntaxError as error:
        raise PortableError(f"{where}: {error}") from error
    return ShardRelease(
        version=version, status=status, requires=requires, artifacts=_artifacts(entry[2], where)
    )


def _artifacts(entries: list[Any], where: str) -> tuple[Artifact, ...]:
    found = []
    for item in entries:
        if not (
            isinstance(item, list)
            and len(item) == 3
            and isinstance(item[0], str)
            and _is_sha256(item[1])
            and isinstance(item[2], int)
            and item[2] >= 0
        ):
            raise PortableError(f"{where}: artifacts: expected [url, sha256, size]")
        found.append(_artifact(item[0], item[1], item[2], where))
    return tuple(found)


def _artifact(location: str, sha256: str, size: int, where: str) -> Artifact:
    """An external file by its URL, or a file the registry hosts by its path from the root."""
    if location.startswith(("https://", "http://")):
        return Artifact(url=location, sha256=sha256, size=size)
    if not location.startswith("files/") or target_path_problem(location) is not None:
        raise PortableError(
            f"{where}: artifacts: expected an http(s) URL or files/..., found {location!r:.80}"
        )
    name = location.rsplit("/", 1)[-1]
    return Artifact(url=None, sha256=sha256, size=size, file=name, path=location)


@dataclass(slots=True)
class ClosureGraph:
    """Every package reachable from some root manifests: its shard and its manifest, by hash.
    Where two roots reach different states of one package, the first root's is kept."""

    store: PortableStore
    scheme: VersionScheme
    shards: dict[str, str] = field(default_factory=dict)  # package -> shard sha256
    manifests: dict[str, str] = field(default_factory=dict)  # package -> manifest sha256
    _packages: dict[str, ShardPackage] = field(default_factory=dict)

    def add(self, roots: Iterable[tuple[str, str]]) -> None:
        """Follow the manifests from ``roots`` (package, manifest sha256), breadth first."""
        queue = deque(root for root in roots if root[0] not in self.manifests)
        while queue:
            name, sha256 = queue.popleft()
            if name in self.manifests:
                continue
            manifest = self.store.manifest(name, sha256)
            for member, shard in manifest.packages.items():
                self.manifests.setdefault(member, sha256)
                self.shards.setdefault(member, shard)
            required = manifest.requires.items()
            queue.extend(item for item in required if item[0] not in self.manifests)

    def package(self, name: str) -> ShardPackage:
        """The package's shard; KeyError when no manifest reaches it (for the resolver)."""
        if name not in self.shards:
            raise KeyError(name)
        if name not in self._packages:
            self._packages[name] = self.store.shard(name, self.shards[name], self.scheme)
        return self._packages[name]

    def read_all(self) -> int:
        """Read (and so check, and vendor) every shard of the graph; return how many."""
        for name in self.shards:
            self.package(name)
        return len(self.shards)


def closure_graph(
    store: PortableStore, scheme: VersionScheme, roots: Mapping[str, str]
) -> ClosureGraph:
    """The graph of every package reachable from ``roots`` (package -> manifest sha256)."""
    graph = ClosureGraph(store, scheme)
    graph.add(sorted(roots.items()))
    return graph
