"""Read a ``.crate`` (the gzip tarball ``cargo package`` writes) for ``regsite release add
--from-crate``: its Cargo.toml, as cargo normalised it, turned into the release's source keys.

A crate is untrusted input: its size, the bytes it unpacks to, its number of entries and its
Cargo.toml are limited, and every entry must sit under the one ``NAME-VERSION/`` directory
cargo unpacks it to, with no absolute path, ``..``, link or device (:class:`CrateLimits`).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from regsite.cargo_fields import CRATES_IO_INDEX
from regsite.errors import SourceEditError

__all__ = ["Crate", "CrateLimits", "crate_release_fields", "read_crate"]


@dataclass(frozen=True, kw_only=True, slots=True)
class CrateLimits:
    crate_bytes: int = 100 * 1000 * 1000  # the file itself (GitHub Pages' limit per file)
    unpacked_bytes: int = 512 * 1024 * 1024  # what the gzip stream may inflate to
    entries: int = 100_000
    manifest_bytes: int = 1024 * 1024  # Cargo.toml


@dataclass(frozen=True, kw_only=True, slots=True)
class Crate:
    """A crate file and what its Cargo.toml says."""

    name: str
    version: str
    manifest: dict[str, Any]  # Cargo.toml, parsed
    content: bytes
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def read_crate(path: Path, limits: CrateLimits | None = None) -> Crate:
    """Read and check a ``.crate``; raise :class:`SourceEditError` saying what is wrong."""
    limits = limits or CrateLimits()
    content = _read_file(path, limits.crate_bytes)
    where = str(path)
    top, manifest_bytes = _scan_tarball(where, content, limits)
    try:
        manifest = tomllib.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SourceEditError(f"{where}: {top}/Cargo.toml is not valid TOML: {error}") from error
    package = manifest.get("package")
    name = package.get("name") if isinstance(package, dict) else None
    version = package.get("version") if isinstance(package, dict) else None
    if not isinstance(name, str) or not isinstance(version, str):
        raise SourceEditError(f"{where}: Cargo.toml has no [package] name and version")
    if top != f"{name}-{version}":
        raise SourceEditError(
            f"{where}: its files are under {top}/, but Cargo.toml says {name} {version}:"
            f" cargo would refuse it (expected {name}-{version}/)"
        )
    digest = hashlib.sha256(content).hexdigest()
    return Crate(name=name, version=version, manifest=manifest, content=content, sha256=digest)


def _read_file(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as stream:
            content = stream.read(limit + 1)
    except OSError as error:
        raise SourceEditError(f"{path}: cannot read the crate: {error.strerror}") from error
    if len(content) > limit:
        raise SourceEditError(f"{path}: larger than {limit} bytes; not read")
    return content


class _Inflated(io.RawIOBase):
    """The gzip stream's output, refused past a limit (a small file may inflate hugely)."""

    def __init__(self, stream: gzip.GzipFile, limit: int) -> None:
        self._stream, self._left = stream, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(min(len(buffer), self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise SourceEditError("unpacks to more bytes than allowed")
        buffer[: len(data)] = data
        return len(data)


def _scan_tarball(where: str, content: bytes, limits: CrateLimits) -> tuple[str, bytes]:
    """The one top directory and the bytes of its Cargo.toml; every entry checked."""
    inflated = _Inflated(gzip.GzipFile(fileobj=io.BytesIO(content)), limits.unpacked_bytes)
    top: str | None = None
    manifest: bytes | None = None
    try:
        with tarfile.open(fileobj=inflated, mode="r|") as archive:
            for count, member in enumerate(archive, start=1):
                if count > limits.entries:
                    raise SourceEditError(f"more than {limits.entries} entries")
                top = _check_member(member, top)
                if member.name == f"{top}/Cargo.toml":
                    manifest = _member_bytes(archive, member, limits.manifest_bytes)
    except SourceEditError as error:
        raise SourceEditError(f"{where}: not a crate cargo would unpack: {error}") from None
    except (OSError, EOFError, tarfile.TarError, zlib.error) as error:
        raise SourceEditError(f"{where}: not a gzip-compressed tarball: {error}") from error
    if top is None or manifest is None:
        raise SourceEditError(f"{where}: no NAME-VERSION/Cargo.toml in the crate")
    return top, manifest


def _check_member(member: tarfile.TarInfo, top: str | None) -> str:
    """Refuse what could land outside the crate's directory; the directory it is in."""
    path = PurePosixPath(member.name)
    if path.is_absolute() or ".." in path.parts or "\\" in member.name or not path.parts:
        raise SourceEditError(f"entry {member.name!r} would be unpacked outside its directory")
    if not (member.isfile() or member.isdir()):
        raise SourceEditError(f"entry {member.name!r} is a link or a device, not a file")
    if top is not None and path.parts[0] != top:
        raise SourceEditError(f"entries under both {top}/ and {path.parts[0]}/")
    return path.parts[0]


def _member_bytes(archive: tarfile.TarFile, member: tarfile.TarInfo, limit: int) -> bytes:
    if not member.isfile() or member.size > limit:
        raise SourceEditError(f"{member.name} is not a file of at most {limit} bytes")
    stream = archive.extractfile(member)
    assert stream is not None  # a regular file
    return stream.read()


# Cargo.toml -> the release's keys in package.toml --------------------------------------------

_KINDS = {
    "dependencies": "normal",
    "dev-dependencies": "dev",
    "dev_dependencies": "dev",
    "build-dependencies": "build",
    "build_dependencies": "build",
}
_CARRIED = ("features", "optional", "package")  # carried over under the same key


def crate_release_fields(crate: Crate, own_index: str | None) -> dict[str, Any]:
    """``requires``, ``features``, ``links`` and ``rust-version`` for the release, from the
    crate's Cargo.toml.  ``own_index`` is this registry's index URL: a dependency whose
    ``registry-index`` is that is one of this registry's packages; one without is on
    crates.io, as cargo reads a Cargo.toml."""
    manifest = crate.manifest
    fields: dict[str, Any] = {}
    requires = _requires(manifest, own_index)
    if requires:
        fields["requires"] = requires
    if isinstance(features := manifest.get("features"), dict) and features:
        fields["features"] = features
    package = manifest["package"]
    for key in ("links", "rust-version"):
        if isinstance(package.get(key), str):
            fields[key] = package[key]
    return fields


def _requires(manifest: dict[str, Any], own_index: str | None) -> dict[str, Any]:
    entries: dict[str, list[dict[str, Any]]] = {}
    targets = manifest.get("target", {})
    sections = [(None, manifest)]
    if isinstance(targets, dict):
        sections += [(target, table) for target, table in sorted(targets.items())]
    for target, table in sections:
        if not isinstance(table, dict):
            continue
        for section, kind in _KINDS.items():
            for key, value in sorted((table.get(section) or {}).items()):
                entry = _entry(key, value, own_index)
                entry.update({"kind": kind} if kind != "normal" else {})
                entry.update({"target": target} if target is not None else {})
                entries.setdefault(key, []).append(entry)
    return {key: _written(found) for key, found in sorted(entries.items())}


def _written(entries: list[dict[str, Any]]) -> Any:
    """The shortest form: ``"^1"``, ``{ … }`` or ``[{ … }, …]`` (docs/format.md)."""
    if len(entries) > 1:
        return entries
    if list(entries[0]) == ["version"]:
        return entries[0]["version"]
    return entries[0]


def _entry(key: str, value: Any, own_index: str | None) -> dict[str, Any]:
    table = {"version": value} if isinstance(value, str) else value
    if not isinstance(table, dict) or not isinstance(table.get("version"), str):
        raise SourceEditError(
            f"Cargo.toml: dependency {key!r} has no version: a registry's crates may only"
            " depend on released crates (cargo package removes path-only dev-dependencies)"
        )
    if "registry" in table:
        raise SourceEditError(
            f"Cargo.toml: dependency {key!r} names registry {table['registry']!r} but not its"
            " index: make the crate with cargo package, which writes registry-index"
        )
    entry: dict[str, Any] = {"version": table["version"]}
    entry.update({k: table[k] for k in _CARRIED if table.get(k)})
    default_features = table.get("default-features", table.get("default_features", True))
    entry.update({"default-features": False} if default_features is False else {})
    index = table.get("registry-index")
    if index is None:
        entry["registry"] = CRATES_IO_INDEX  # no registry in Cargo.toml means crates.io
    elif own_index is None or index.rstrip("/") != own_index.rstrip("/"):
        entry["registry"] = index
    return entry
