"""Read a Python distribution's core metadata: a wheel's ``.dist-info/METADATA``, an sdist's
``PKG-INFO``, parsed and validated by ``packaging.metadata``.

Archives are untrusted input: a wheel is a zip and an sdist a gzipped tar, either of which can
claim or hold far more than it looks.  Only the metadata file is read, with a limit on its size
that is checked before anything is decompressed and again while reading; an sdist is scanned as
a stream with a limit on everything decompressed before its PKG-INFO is found.
"""

from __future__ import annotations

import gzip
import hashlib
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from packaging.metadata import InvalidMetadata, Metadata
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from regsite.errors import RegistryError

__all__ = [
    "MAX_METADATA_BYTES",
    "MAX_SCANNED_BYTES",
    "Distribution",
    "DistributionError",
    "read_distribution",
]

MAX_METADATA_BYTES = 4 * 1024 * 1024  # METADATA or PKG-INFO
MAX_SCANNED_BYTES = 256 * 1024 * 1024  # decompressed from an sdist before its PKG-INFO
MAX_MEMBERS = 100_000  # entries of an archive looked through
_CHUNK = 1024 * 1024


class DistributionError(RegistryError):
    """A wheel or sdist cannot be read, or its metadata is invalid; the message says which."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Distribution:
    path: Path
    kind: Literal["wheel", "sdist"]
    name: str  # normalised, as the metadata gives it
    version: Version
    metadata: Metadata
    core_metadata: bytes  # the METADATA (or PKG-INFO) file, byte for byte
    sha256: str
    size: int

    @property
    def filename(self) -> str:
        return self.path.name


def read_distribution(path: Path, kind: Literal["wheel", "sdist"]) -> Distribution:
    """The distribution at ``path``, its name and version checked against its file name."""
    name, version = _name_and_version(path, kind)
    try:
        raw = _read_wheel_metadata(path) if kind == "wheel" else _read_sdist_metadata(path)
        sha256, size = _digest(path)
    except OSError as error:
        raise DistributionError(f"{path}: cannot read it: {error.strerror or error}") from error
    metadata = _parse(path, raw)
    found = canonicalize_name(metadata.name)
    if (found, metadata.version) != (name, version):
        raise DistributionError(
            f"{path}: its metadata names {found} {metadata.version}, but its file name says"
            f" {name} {version}"
        )
    return Distribution(
        path=path,
        kind=kind,
        name=found,
        version=metadata.version,
        metadata=metadata,
        core_metadata=raw,
        sha256=sha256,
        size=size,
    )


def _name_and_version(path: Path, kind: str) -> tuple[str, Version]:
    try:
        if kind == "wheel":
            name, version, _, _ = parse_wheel_filename(path.name)
        else:
            name, version = parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename) as error:
        expected = "NAME-VERSION-TAGS.whl" if kind == "wheel" else "NAME-VERSION.tar.gz"
        raise DistributionError(f"{path}: not a {kind} file name ({expected}): {error}") from None
    return str(name), version


def _parse(path: Path, raw: bytes) -> Metadata:
    try:
        return Metadata.from_email(raw, validate=True)
    except ExceptionGroup as group:
        problems = "; ".join(str(error) for error in group.exceptions)
        raise DistributionError(f"{path}: invalid core metadata: {problems}") from None
    except (InvalidMetadata, ValueError) as error:
        raise DistributionError(f"{path}: invalid core metadata: {error}") from None


def _digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _read_wheel_metadata(path: Path) -> bytes:
    """``<name>-<version>.dist-info/METADATA``, the one at the top of the wheel."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > MAX_MEMBERS:
                raise DistributionError(f"{path}: more than {MAX_MEMBERS} entries")
            found = [e for e in entries if _is_top_level(e.filename, ".dist-info", "METADATA")]
            if len(found) != 1:
                raise DistributionError(
                    f"{path}: expected one .dist-info/METADATA at the top, found {len(found)}"
                )
            (entry,) = found
            _check_size(path, entry.filename, entry.file_size)
            with archive.open(entry) as stream:
                return _limited(path, entry.filename, stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile) as error:
        raise DistributionError(f"{path}: not a valid wheel (zip): {error}") from None


def _is_top_level(member: str, suffix: str, file: str) -> bool:
    parts = member.split("/")
    return len(parts) == 2 and parts[0].endswith(suffix) and parts[1] == file


def _read_sdist_metadata(path: Path) -> bytes:
    """``<name>-<version>/PKG-INFO``, read while streaming through the archive."""
    if path.name.endswith(".zip"):
        return _read_zip_sdist(path)
    with gzip.open(path, "rb") as compressed:
        stream = _Budget(compressed, path)
        try:
            with tarfile.open(fileobj=stream, mode="r|") as archive:  # type: ignore[call-overload]
                return _find_pkg_info(path, archive)
        except (tarfile.TarError, EOFError, gzip.BadGzipFile) as error:
            raise DistributionError(f"{path}: not a valid sdist (.tar.gz): {error}") from None


def _find_pkg_info(path: Path, archive: tarfile.TarFile) -> bytes:
    for count, member in enumerate(archive, start=1):
        if count > MAX_MEMBERS:
            break
        if member.isfile() and _is_top_level(member.name, "", "PKG-INFO"):
            _check_size(path, member.name, member.size)
            extracted = archive.extractfile(member)
            assert extracted is not None  # a regular file
            return _limited(path, member.name, extracted)
    raise DistributionError(f"{path}: no PKG-INFO at the top of the sdist")


def _read_zip_sdist(path: Path) -> bytes:
    try:
        with zipfile.ZipFile(path) as archive:
            found = [e for e in archive.infolist() if _is_top_level(e.filename, "", "PKG-INFO")]
            if not found:
                raise DistributionError(f"{path}: no PKG-INFO at the top of the sdist")
            _check_size(path, found[0].filename, found[0].file_size)
            with archive.open(found[0]) as stream:
                return _limited(path, found[0].filename, stream)
    except zipfile.BadZipFile as error:
        raise DistributionError(f"{path}: not a valid sdist (zip): {error}") from None


def _check_size(path: Path, member: str, size: int) -> None:
    if size > MAX_METADATA_BYTES:
        raise DistributionError(
            f"{path}: {member} is {size} bytes; core metadata may have at most {MAX_METADATA_BYTES}"
        )


def _limited(path: Path, member: str, stream: IO[bytes]) -> bytes:
    """Never more than the limit, whatever the archive's header claimed."""
    content = stream.read(MAX_METADATA_BYTES + 1)
    if len(content) > MAX_METADATA_BYTES:
        raise DistributionError(f"{path}: {member} is larger than {MAX_METADATA_BYTES} bytes")
    return content


class _Budget:
    """A reader that refuses to decompress more than MAX_SCANNED_BYTES (a gzip bomb)."""

    def __init__(self, stream: gzip.GzipFile, path: Path) -> None:
        self._stream, self._path, self._left = stream, path, MAX_SCANNED_BYTES

    def read(self, size: int = -1) -> bytes:
        wanted = self._left + 1 if size < 0 else min(size, self._left + 1)
        chunk = self._stream.read(wanted)
        self._left -= len(chunk)
        if self._left < 0:
            raise DistributionError(
                f"{self._path}: more than {MAX_SCANNED_BYTES} bytes decompressed before its"
                " PKG-INFO; refusing to read further"
            )
        return chunk
