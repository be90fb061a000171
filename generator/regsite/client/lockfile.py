"""The lockfile: the exact releases and artifacts a resolution chose, as deterministic TOML."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import tomlkit

from regsite.atomic_write import write_atomically
from regsite.client.resolve import Requirement, ResolutionError, parse_requirement
from regsite.errors import ErrorReport, RegistryError
from regsite.fields import MAX_URL_LENGTH, Fields, long_key_problem, url_problem
from regsite.model import Artifact
from regsite.names import name_problem
from regsite.versions import DEFAULT_SCHEME, SCHEMES, Version, VersionScheme, VersionSyntaxError

__all__ = [
    "LOCK_HEADER",
    "LOCK_VERSION",
    "Lock",
    "Lockable",
    "LockedArtifact",
    "LockedPackage",
    "LockfileError",
    "dump_lock",
    "lock_from_resolution",
    "read_lock",
    "write_lock",
]

LOCK_VERSION = 1
LOCK_HEADER = "regsite lockfile; regenerate with 'regsite client lock'"
_SHA256 = re.compile(r"[0-9a-f]{64}")


class LockfileError(RegistryError):
    """A lockfile cannot be read or does not follow lock-version 1."""


@dataclass(frozen=True, kw_only=True, slots=True)
class LockedArtifact:
    url: str
    sha256: str  # 64 lowercase hex digits
    size: int  # bytes


@dataclass(frozen=True, kw_only=True, slots=True)
class LockedPackage:
    name: str
    version: Version
    artifacts: tuple[LockedArtifact, ...]
    upstream: str | None = None  # the upstream it came from (Lock.upstreams); None: the registry
    # Portable packages (docs/portable.md): the sha256 of the package's closure manifest when it
    # was locked, and the versions the resolution's requirements on it admitted, newest first.
    closure: str | None = None
    acceptable: tuple[Version, ...] = ()


class Lockable(Protocol):
    """A release as the lockfile reads it: a model Release, or one read from a shard."""

    @property
    def version(self) -> Version: ...

    @property
    def artifacts(self) -> Sequence[Artifact]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Lock:
    registry: str  # the registry's URL
    requirements: tuple[str, ...]  # what the user asked for, normalised
    packages: tuple[LockedPackage, ...]  # sorted by name
    scheme: VersionScheme = DEFAULT_SCHEME  # the registry's; written only when not the default
    upstreams: Mapping[str, str] = field(default_factory=dict)  # name -> URL, of those used


def lock_from_resolution(
    registry_url: str,
    requirements: Iterable[Requirement],
    resolved: Mapping[str, Lockable],
    scheme: VersionScheme = DEFAULT_SCHEME,
    sources: Mapping[str, tuple[str, str]] | None = None,
    *,
    closures: Mapping[str, str] | None = None,
    acceptable: Mapping[str, Sequence[Version]] | None = None,
) -> Lock:
    """A lock of the releases ``resolve`` chose, with every artifact of each; ``sources`` says
    which came from an upstream: package name -> (upstream name, its URL); and, where known,
    each package's closure manifest and acceptable versions (docs/portable.md)."""
    sources = sources or {}
    packages = tuple(
        LockedPackage(
            name=name,
            version=release.version,
            artifacts=tuple(
                # A hosted file's URL is its registry's own: its path below the site's root.
                LockedArtifact(url=a.href(base), sha256=a.sha256, size=a.size)
                for a in release.artifacts
            ),
            upstream=sources[name][0] if name in sources else None,
            closure=(closures or {}).get(name),
            acceptable=tuple((acceptable or {}).get(name, ())),
        )
        for name, release in sorted(resolved.items())
        for base in [sources[name][1] if name in sources else registry_url]
    )
    return Lock(
        registry=registry_url,
        requirements=tuple(str(requirement) for requirement in requirements),
        packages=packages,
        scheme=scheme,
        upstreams=dict(sorted(sources.values())),
    )


def dump_lock(lock: Lock) -> bytes:
    """The lockfile's bytes; the same lock always gives the same bytes."""
    document = tomlkit.document()
    document.add(tomlkit.comment(LOCK_HEADER))
    document.add("lock-version", LOCK_VERSION)
    document.add("registry", lock.registry)
    if lock.scheme is not DEFAULT_SCHEME:  # so PEP 440 locks read as they always did
        document.add("version-scheme", lock.scheme.name)
    requirements = tomlkit.array()
    requirements.extend(lock.requirements)
    document.add("requirements", requirements.multiline(len(lock.requirements) > 1))
    if lock.upstreams:  # so locks without upstreams read as they always did
        document.add("upstreams", dict(lock.upstreams))
    packages = tomlkit.aot()
    for package in sorted(lock.packages, key=lambda p: p.name):
        packages.append(_package_table(package))
    if lock.packages:  # tomlkit writes an empty array of tables as "package = []"
        document.add("package", packages)
    return tomlkit.dumps(document).encode()


def write_lock(path: Path, lock: Lock) -> None:
    """Write ``lock`` to ``path`` in one rename: a failed write leaves the old lockfile."""
    try:
        write_atomically(path, dump_lock(lock))
    except OSError as error:
        raise LockfileError(
            f"cannot write the lockfile {path}: {error.strerror or error}; choose another path"
            " with -o"
        ) from error


def _package_table(package: LockedPackage) -> tomlkit.items.Table:
    table = tomlkit.table()
    table.add("name", package.name)
    table.add("version", str(package.version))
    if package.upstream is not None:
        table.add("upstream", package.upstream)
    if package.closure is not None:
        table.add("closure", package.closure)
    if package.acceptable:
        acceptable = tomlkit.array()
        acceptable.extend(str(version) for version in package.acceptable)
        table.add("acceptable", acceptable)
    artifacts = tomlkit.aot()
    for artifact in package.artifacts:
        item = tomlkit.table()
        item.add("url", artifact.url)
        item.add("sha256", artifact.sha256)
        item.add("size", artifact.size)
        artifacts.append(item)
    if package.artifacts:
        table.add("artifact", artifacts)
    return table


def read_lock(path: Path) -> Lock:
    """Read and check a lockfile; every problem found is reported in one LockfileError."""
    try:
        text = path.read_text(encoding="utf-8")
        if (problem := long_key_problem(text)) is not None:
            raise LockfileError(f"{path}: {problem}")
        document = tomllib.loads(text)
    except OSError as error:
        fix = "; write one with 'regsite client lock REQUIREMENT...'" if not path.exists() else ""
        raise LockfileError(
            f"cannot read lockfile {path}: {error.strerror or error}{fix}"
        ) from error
    except (ValueError, RecursionError) as error:  # also integers too long to convert
        raise LockfileError(f"{path}: not a valid TOML lockfile: {error}") from error
    report = ErrorReport()
    lock = _lock(Fields(document, str(path), "", report))
    if report or lock is None:
        count = len(report)
        problems = [str(problem) for problem in report]
        heading = f"{count} problem{'s' if count != 1 else ''} in lockfile:"
        raise LockfileError(heading, details=problems)
    return lock


def _lock(top: Fields) -> Lock | None:
    top.only(["lock-version", "registry", "version-scheme", "requirements", "upstreams", "package"])
    version = top.integer("lock-version", minimum=0)
    if version is not None and version != LOCK_VERSION:
        top.problem("lock-version", f"expected {LOCK_VERSION}, found {version}")
    registry = _registry(top)
    scheme = _scheme(top)
    requirements = _requirements(top, scheme)
    upstreams = _upstreams(top)
    packages = [_package(fields, scheme, registry, upstreams) for fields in top.tables("package")]
    _check_unique_names(top, packages)
    if registry is None or any(package is None for package in packages):
        return None
    return Lock(
        registry=registry,
        requirements=requirements,
        packages=tuple(package for package in packages if package is not None),
        scheme=scheme,
        upstreams=upstreams,
    )


def _upstreams(top: Fields) -> dict[str, str]:
    """``[upstreams]``: name -> URL of each upstream a locked package came from."""
    table = top.table_of("upstreams")
    found: dict[str, str] = {}
    if table is None:
        return found
    for name in sorted(table.table):
        if (problem := name_problem(name)) is not None:
            table.problem(name, f"upstream name {problem}")
        elif (url := table.url(name, required=True)) is not None:
            found[name] = url
    return found


def _registry(top: Fields) -> str | None:
    """The registry's URL: http(s), or file:// for a site on disk (the client reads both)."""
    if "registry" not in top.table:
        top.problem("registry", "missing; expected an http(s) or file:// URL")
        return None
    text = top.text("registry", one_line=True, max_length=MAX_URL_LENGTH)
    if text is None or text.startswith("file:///"):
        return text
    if (problem := url_problem(text)) is not None:
        top.problem("registry", problem)
        return None
    return text


def _scheme(top: Fields) -> VersionScheme:
    name = top.text("version-scheme", required=False, one_line=True)
    if name is None:
        return DEFAULT_SCHEME
    if name not in SCHEMES:
        top.problem("version-scheme", f"expected one of {', '.join(SCHEMES)}, found {name!r:.40}")
        return DEFAULT_SCHEME
    return SCHEMES[name]


def _requirements(top: Fields, scheme: VersionScheme) -> tuple[str, ...]:
    if "requirements" not in top.table:
        top.problem("requirements", "missing; expected an array of strings")
    texts = top.strings("requirements")
    for index, text in enumerate(texts):
        try:
            parse_requirement(text, scheme)
        except ResolutionError as error:
            top.problem(f"requirements[{index}]", str(error))
    return tuple(texts)


def _package(
    fields: Fields, scheme: VersionScheme, registry: str | None, upstreams: Mapping[str, str]
) -> LockedPackage | None:
    fields.only(["name", "version", "upstream", "closure", "acceptable", "artifact"])
    name = fields.text("name", one_line=True)
    if name is not None and (problem := name_problem(name)) is not None:
        fields.problem("name", problem)
        name = None
    version = _version(fields, scheme)
    upstream = fields.text("upstream", required=False, one_line=True)
    if upstream is not None and upstream not in upstreams:
        fields.problem("upstream", f"{upstream!r:.40} is not in [upstreams]")
    closure = _sha256(fields, "closure", required=False)
    acceptable = _acceptable(fields, scheme)
    artifacts = [_artifact(item, registry) for item in fields.tables("artifact")]
    if name is None or version is None or any(a is None for a in artifacts):
        return None
    return LockedPackage(
        name=name,
        version=version,
        artifacts=tuple(a for a in artifacts if a is not None),
        upstream=upstream,
        closure=closure,
        acceptable=acceptable,
    )


def _sha256(fields: Fields, key: str, *, required: bool = True) -> str | None:
    text = fields.text(key, one_line=True, required=required)
    if text is not None and _SHA256.fullmatch(text) is None:
        fields.problem(key, f"expected 64 lowercase hex digits, found {text!r:.80}")
        return None
    return text


def _acceptable(fields: Fields, scheme: VersionScheme) -> tuple[Version, ...]:
    found = []
    for index, text in enumerate(fields.strings("acceptable")):
        try:
            found.append(scheme.parse_version(text))
        except VersionSyntaxError:
            expected = scheme.version_syntax
            fields.problem(f"acceptable[{index}]", f"expected {expected}, found {text!r:.60}")
    return tuple(found)


def _version(fields: Fields, scheme: VersionScheme) -> Version | None:
    text = fields.text("version", one_line=True)
    if text is None:
        return None
    try:
        return scheme.parse_version(text)
    except VersionSyntaxError:
        fields.problem("version", f"expected {scheme.version_syntax}, found {text!r:.60}")
        return None


def _artifact(fields: Fields, registry: str | None) -> LockedArtifact | None:
    fields.only(["url", "sha256", "size"])
    # A file a file:// registry hosts is fetched from it, and from nowhere else on this machine.
    text = fields.table.get("url")
    hosted = registry is not None and registry.startswith("file:///")
    if hosted and isinstance(text, str) and text.startswith(registry or "") and ".." not in text:
        url = fields.text("url", one_line=True, max_length=MAX_URL_LENGTH)
    else:
        url = fields.url("url", required=True)
    sha256 = _sha256(fields, "sha256")
    size = fields.integer("size", minimum=0)
    if url is None or sha256 is None or size is None:
        return None
    return LockedArtifact(url=url, sha256=sha256, size=size)


def _check_unique_names(top: Fields, packages: list[LockedPackage | None]) -> None:
    first: dict[str, int] = {}
    for index, package in enumerate(packages):
        if package is None:
            continue
        if package.name in first:
            top.problem(
                f"package[{index}].name",
                f"{package.name!r} is locked twice; first at package[{first[package.name]}]",
            )
        first.setdefault(package.name, index)
