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

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from regsite.atomic_write import write_atomically
from regsite.dependency_document import DependencyDocumentError, read_dependency_document
from regsite.errors import RegistryError, describe
from regsite.fetch import Fetcher, FetchError
from regsite.metadata.layout import target_path_problem
from regsite.model import Artifact, Dependency, ReleaseStatus
from regsite.names import name_problem
from regsite.render.shard import SHARD_API_VERSION
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
_STATUSES = {s.value: s for s in ReleaseStatus if s is not ReleaseStatus.ACTIVE}
_API_VERSIONS = {"closures": 1, "shards": SHARD_API_VERSION}  # the versions this client reads
_DETAILS_KEYS = frozenset(("status", "requires_python"))
_KINDS = tuple(_API_VERSIONS)


class PortableError(RegistryError):
    """A shard or closure manifest is missing, tampered with, or not in the published format."""


@dataclass(frozen=True, kw_only=True, slots=True)
class ShardRelease:
    """A release as a shard has it: what the resolver and the lockfile read."""

    version: Version
    status: ReleaseStatus
    requires: tuple[Dependency, ...]
    artifacts: tuple[Artifact, ...]
    requires_python: SpecifierSet | None = None  # None: every Python


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
        content = self._read("closures", name, sha256)
        return _manifest(_json(content, where, "closures"), sha256, where)

    def shard(self, name: str, sha256: str, scheme: VersionScheme) -> ShardPackage:
        where = self._where("shards", name, sha256)
        content = self._read("shards", name, sha256)
        return _shard(_json(content, where, "shards"), name, sha256, scheme, where)

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


def _json(content: bytes, where: str, kind: str) -> dict[str, Any]:
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as error:
        raise PortableError(f"{where}: not JSON: {error}") from error
    expected = _API_VERSIONS[kind]
    if not isinstance(document, dict) or document.get("api_version") != expected:
        found = document.get("api_version") if isinstance(document, dict) else None
        raise PortableError(_version_problem(where, kind, found, expected))
    return document


def _version_problem(where: str, kind: str, found: object, expected: int) -> str:
    """What to do about a file of a format this client does not read."""
    if not isinstance(found, int) or isinstance(found, bool):
        return f"{where}: expected a JSON object with api_version {expected}"
    shown = found if found.bit_length() < 64 else describe(found)
    what = f"{where}: api_version {shown}, but this regsite reads {kind} of api_version {expected}"
    if found > expected:
        return f"{what}: a newer regsite wrote it; upgrade regsite"
    return (
        f"{what}: an older regsite wrote it. Lock again online ('regsite client lock ... -o"
        " LOCKFILE') against a registry built by this regsite, then vendor again ('regsite"
        " client vendor LOCKFILE -d DIR')"
    )


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
    if not (
        isinstance(entry, list)
        and len(entry) in (3, 4)
        and isinstance(entry[0], str)
        and isinstance(entry[1], list)
        and isinstance(entry[2], list)
    ):
        raise PortableError(
            f"{where}: expected [version, requires, artifacts(, {{status, requires_python}})],"
            f" found {describe(entry)}"
        )
    status, requires_python = _details(entry[3:], where)
    try:
        version = scheme.parse_version(entry[0])
    except VersionSyntaxError as error:
        raise PortableError(f"{where}: version: {error}") from error
    return ShardRelease(
        version=version,
        status=status,
        requires=tuple(
            _dependency(item, scheme, f"{where}: requires[{index}]")
            for index, item in enumerate(entry[1])
        ),
        artifacts=_artifacts(entry[2], where),
        requires_python=requires_python,
    )


def _details(rest: list[Any], where: str) -> tuple[ReleaseStatus, SpecifierSet | None]:
    """The release's status and requires-python: absent, or an object with either or both."""
    if not rest:
        return ReleaseStatus.ACTIVE, None
    value = rest[0]
    if not isinstance(value, dict) or not value or not _DETAILS_KEYS.issuperset(value):
        raise PortableError(
            f"{where}: expected {{status, requires_python}} (either or both),"
            f" found {describe(value)}"
        )
    found = value.get("status", ReleaseStatus.ACTIVE.value)
    status = ReleaseStatus.ACTIVE if "status" not in value else _STATUSES.get(str(found))
    if status is None or not isinstance(found, str):
        raise PortableError(
            f"{where}: status: expected one of {', '.join(_STATUSES)},"
            f" found {describe(value['status'])}"
        )
    text = value.get("requires_python")
    return status, None if text is None else _requires_python(text, where)


def _requires_python(text: object, where: str) -> SpecifierSet:
    """A specifier set, written as packaging writes it (as the build did)."""
    try:
        specifiers = SpecifierSet(text) if isinstance(text, str) else None
    except InvalidSpecifier:
        specifiers = None
    if specifiers is None or str(specifiers) != text:
        raise PortableError(
            f"{where}: requires_python: expected a PEP 440 specifier set as packaging writes"
            f" it, found {describe(text)}"
        )
    return specifiers


def _dependency(item: object, scheme: VersionScheme, where: str) -> Dependency:
    try:
        return read_dependency_document(item, scheme)
    except DependencyDocumentError as error:
        raise PortableError(f"{where}: {error}") from error


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
