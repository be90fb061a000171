"""Hosted artifacts: the files a registry publishes itself, at content-addressed paths.

An artifact written ``file = "<name>"`` in package.toml is hosted.  The build finds it in the
source at ``packages/<package>/files/<name>``, or else, when ``regsite build --files DIR`` is
given, at ``DIR/<package>/<name>``; checks its size and sha256 against what the owners signed;
and publishes it at ``files/<package>/<sha256>/<name>`` (:func:`regsite.model.hosted_path`), a
path that never changes content.  A hosted wheel's core metadata (``<name>.metadata``, whose
sha256 package.toml records as ``core-metadata-sha256``) is found, checked and published beside
it, for PEP 658.  A file that is missing or differs is a problem naming both hashes; it is never
published.  docs/flavours.md describes the layout and what hosts allow.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from regsite.errors import ErrorReport
from regsite.load import PACKAGES_DIR
from regsite.model import Artifact, Package

__all__ = [
    "CORE_METADATA_SUFFIX",
    "HOSTED_SOURCE_DIR",
    "MAX_CORE_METADATA_BYTES",
    "MAX_HOSTED_BYTES",
    "HostedFiles",
    "read_hosted",
]

HOSTED_SOURCE_DIR = "files"  # packages/<package>/files/ in the source
CORE_METADATA_SUFFIX = ".metadata"  # PEP 658: the wheel's METADATA, at its URL + .metadata
MAX_HOSTED_BYTES = 512 * 1024 * 1024  # one hosted file; hosts allow less (docs/flavours.md)
MAX_CORE_METADATA_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HostedFiles:
    """Where a build looks for hosted files: the source first, then ``--files DIR``."""

    source: Path  # the registry's source directory
    extra: Path | None = None  # regsite build --files DIR, laid out as DIR/<package>/<file>
    max_bytes: int = MAX_HOSTED_BYTES

    def candidates(self, package: str, file: str) -> list[tuple[str, Path]]:
        """Each place the file may be, as shown in messages and as read, in order."""
        relative = f"{PACKAGES_DIR}/{package}/{HOSTED_SOURCE_DIR}/{file}"
        found = [(relative, self.source / relative)]
        if self.extra is not None:
            found.append((f"{self.extra}/{package}/{file}", self.extra / package / file))
        return found


@dataclass(frozen=True, slots=True)
class _Wanted:
    """One file to publish: where package.toml speaks of it, and what it must hold."""

    where: str  # the key in package.toml, for messages
    name: str  # the file name looked for
    sha256: str
    size: int | None  # None: any size up to the limit (core metadata records only its hash)
    path: str  # where the site publishes it


def read_hosted(
    files: HostedFiles, package: Package, report: ErrorReport
) -> Iterator[tuple[str, bytes]]:
    """Every hosted file of ``package`` (core metadata included) as ``(site path, bytes)``,
    one at a time, each checked against package.toml; a file that is not is left out and
    reported in ``report``."""
    source = package.source.path
    for wanted in _wanted(package):
        content = _read(files, package.name, wanted, report, source)
        if content is not None:
            yield wanted.path, content


def _wanted(package: Package) -> Iterator[_Wanted]:
    for release in package.releases:
        for artifact in release.artifacts:
            if artifact.file is None or artifact.path is None:
                continue
            where = f"release[version={release.version}].artifact[file={artifact.file}]"
            yield _Wanted(where, artifact.file, artifact.sha256, artifact.size, artifact.path)
            yield from _core_metadata(where, artifact)


def _core_metadata(where: str, artifact: Artifact) -> Iterator[_Wanted]:
    if artifact.core_metadata_sha256 is None or artifact.path is None:
        return
    name = f"{artifact.file}{CORE_METADATA_SUFFIX}"
    path = artifact.path + CORE_METADATA_SUFFIX
    yield _Wanted(f"{where}.core-metadata-sha256", name, artifact.core_metadata_sha256, None, path)


def _read(
    files: HostedFiles, package: str, wanted: _Wanted, report: ErrorReport, source: str
) -> bytes | None:
    places = files.candidates(package, wanted.name)
    for shown, path in places:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        except OSError as exc:
            report.add(source, wanted.where, f"cannot read {shown}: {exc.strerror}")
            return None
        return _checked(files, shown, path, info, wanted, report, source)
    looked = " and ".join(shown for shown, _ in places)
    fix = "" if files.extra is not None else ", or build with --files DIR (DIR/<package>/<file>)"
    report.add(
        source, wanted.where, f"hosted file not found: looked for {looked}; put it there{fix}"
    )
    return None


def _checked(
    files: HostedFiles,
    shown: str,
    path: Path,
    info: os.stat_result,
    wanted: _Wanted,
    report: ErrorReport,
    source: str,
) -> bytes | None:
    """The file's bytes if they are what package.toml records (size, then sha256)."""
    limit = files.max_bytes if wanted.size is not None else MAX_CORE_METADATA_BYTES
    if not stat.S_ISREG(info.st_mode):
        problem = f"{shown}: expected a regular file (symbolic links are refused)"
    elif wanted.size is not None and info.st_size != wanted.size:
        problem = f"{shown} is {info.st_size} bytes, but package.toml records {wanted.size}"
    elif info.st_size > limit:
        problem = f"{shown} is {info.st_size} bytes; a hosted file may have at most {limit}"
    else:
        content = _read_at_most(path, limit)
        actual = hashlib.sha256(content).hexdigest()
        if actual == wanted.sha256 and (wanted.size is None or len(content) == wanted.size):
            return content
        problem = f"{shown} has sha256 {actual}, but package.toml records {wanted.sha256}"
    report.add(source, wanted.where, problem + "; it is not published")
    return None


def _read_at_most(path: Path, limit: int) -> bytes:
    with path.open("rb") as stream:
        return stream.read(limit + 1)
