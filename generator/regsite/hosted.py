"""Hosted artifacts: the files a registry publishes itself, at content-addressed paths.

An artifact written ``file = "<name>"`` in package.toml is hosted.  The build finds it in the
source at ``packages/<package>/files/<name>``, or else, when ``regsite build --files DIR`` is
given, at ``DIR/<package>/<name>``; checks its size and sha256 against what the owners signed;
and publishes it at ``files/<package>/<sha256>/<name>`` (:func:`regsite.model.hosted_path`), a
path that never changes content.  A hosted wheel's core metadata (``<name>.metadata``, whose
sha256 package.toml records as ``core-metadata-sha256``) is found, checked and published beside
it, for PEP 658.  docs/flavours.md describes the layout and what hosts allow.

The hosted files are inputs of their package's scan (docs/decisions.md, 24): the build lists
each place a package's files may be, with every file's size and SHA-256 (:func:`list_hosted`,
fronted by their stat through the memo), that listing is part of the package's scan key, and the
scan checks package.toml against it (:func:`hosted_problems`), so a problem in a hosted file is
reported with every other problem of the source, and a changed file is always noticed.  The
package's outputs then publish them (:func:`publish_hosted`), reading each file once more and
checking it again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from regsite.errors import RegistryError, SourceProblem
from regsite.load import PACKAGES_DIR
from regsite.memo import FileDigest, file_digests
from regsite.model import Artifact, Package
from regsite.write import Writer, WrittenFile

__all__ = [
    "CORE_METADATA_SUFFIX",
    "HOSTED_SOURCE_DIR",
    "MAX_CORE_METADATA_BYTES",
    "MAX_HOSTED_BYTES",
    "HostedFile",
    "HostedFiles",
    "HostedListing",
    "hosted_files",
    "hosted_problems",
    "list_hosted",
    "listing_parts",
    "publish_hosted",
]

HOSTED_SOURCE_DIR = "files"  # packages/<package>/files/ in the source
CORE_METADATA_SUFFIX = ".metadata"  # PEP 658: the wheel's METADATA, at its URL + .metadata
MAX_HOSTED_BYTES = 512 * 1024 * 1024  # one hosted file; hosts allow less (docs/flavours.md)
MAX_CORE_METADATA_BYTES = 4 * 1024 * 1024

# Each place a package's hosted files may be, in order, as shown in messages, with its files.
HostedListing = tuple[tuple[str, tuple[FileDigest, ...]], ...]


@dataclass(frozen=True, slots=True)
class HostedFiles:
    """Where a build looks for hosted files: the source first, then ``--files DIR``."""

    source: Path  # the registry's source directory
    extra: Path | None = None  # regsite build --files DIR, laid out as DIR/<package>/<file>

    def places(self, package: str) -> list[tuple[str, Path]]:
        """Each directory that may hold ``package``'s hosted files, as shown and as read."""
        relative = f"{PACKAGES_DIR}/{package}/{HOSTED_SOURCE_DIR}"
        found = [(relative, self.source / relative)]
        if self.extra is not None:
            found.append((f"{self.extra}/{package}", self.extra / package))
        return found


@dataclass(frozen=True, slots=True)
class HostedFile:
    """One file to publish: where package.toml speaks of it, and what it must hold."""

    where: str  # the key in package.toml, for messages
    name: str  # the file name looked for
    sha256: str
    size: int | None  # None: any size up to the limit (core metadata records only its hash)
    path: str  # where the site publishes it

    @property
    def limit(self) -> int:
        return MAX_HOSTED_BYTES if self.size is not None else MAX_CORE_METADATA_BYTES


def hosted_files(package: Package) -> Iterator[HostedFile]:
    """Every file ``package`` hosts, core metadata included, in package.toml's order."""
    for release in package.releases:
        for artifact in release.artifacts:
            if artifact.file is None or artifact.path is None:
                continue
            where = f"release[version={release.version}].artifact[file={artifact.file}]"
            yield HostedFile(where, artifact.file, artifact.sha256, artifact.size, artifact.path)
            yield from _core_metadata(where, artifact)


def _core_metadata(where: str, artifact: Artifact) -> Iterator[HostedFile]:
    if artifact.core_metadata_sha256 is None or artifact.path is None:
        return
    name = f"{artifact.file}{CORE_METADATA_SUFFIX}"
    path = artifact.path + CORE_METADATA_SUFFIX
    metadata = artifact.core_metadata_sha256
    yield HostedFile(f"{where}.core-metadata-sha256", name, metadata, None, path)


def list_hosted(
    files: HostedFiles,
    package: str,
    digests: Callable[[Path, int], tuple[FileDigest, ...]] = file_digests,
) -> HostedListing:
    """What each place holds for ``package``; the build passes the memo's ``file_digests``."""
    return tuple((shown, digests(path, MAX_HOSTED_BYTES)) for shown, path in files.places(package))


def listing_parts(listing: HostedListing) -> list[str]:
    """The listing as parts of a scan key: each file's place (by rank, not by path, so that a
    ``--files`` directory elsewhere keeps the memo), name, size and digest."""
    return [
        f"hosted {rank} {entry.name}\0{entry.size}\0{entry.sha256}\0{entry.note}"
        for rank, (_, entries) in enumerate(listing)
        for entry in entries
    ]


def hosted_problems(
    files: HostedFiles,
    package: Package,
    listing: HostedListing | None = None,
    *,
    missing_ok: bool = False,
) -> list[SourceProblem]:
    """Each hosted file must be in one of the places, a regular file with the size and sha256
    that package.toml records; ``listing`` is what the places hold (read now if not given).
    With ``missing_ok`` (an edit, before ``--files DIR`` is known), only files found are
    checked."""
    if listing is None:
        listing = list_hosted(files, package.name)
    places = [(shown, {entry.name: entry for entry in entries}) for shown, entries in listing]
    problems = []
    for wanted in hosted_files(package):
        problem = _problem(places, wanted, files.extra is not None, missing_ok)
        if problem is not None:
            problems.append(SourceProblem(package.source.path, wanted.where, problem))
    return problems


def _problem(
    places: list[tuple[str, dict[str, FileDigest]]],
    wanted: HostedFile,
    extra: bool,
    missing_ok: bool,
) -> str | None:
    for shown, entries in places:
        if (entry := entries.get(wanted.name)) is not None:
            return _mismatch(f"{shown}/{wanted.name}", entry, wanted)
    if missing_ok:
        return None
    looked = " and ".join(f"{shown}/{wanted.name}" for shown, _ in places)
    fix = "" if extra else ", or build with --files DIR (DIR/<package>/<file>)"
    return f"hosted file not found: looked for {looked}; put it there{fix}"


def _mismatch(shown: str, entry: FileDigest, wanted: HostedFile) -> str | None:
    """What is wrong with the file found (size first, then sha256), if anything."""
    if entry.note == "not a regular file":
        problem = f"{shown}: expected a regular file (symbolic links are refused)"
    elif wanted.size is not None and entry.size != wanted.size:
        problem = f"{shown} is {entry.size} bytes, but package.toml records {wanted.size}"
    elif entry.size > wanted.limit:
        problem = f"{shown} is {entry.size} bytes; a hosted file may have at most {wanted.limit}"
    elif entry.note:
        problem = f"{shown}: {entry.note}"
    elif entry.sha256 != wanted.sha256:
        problem = f"{shown} has sha256 {entry.sha256}, but package.toml records {wanted.sha256}"
    else:
        return None
    return problem + "; it is not published"


def publish_hosted(files: HostedFiles, package: Package, writer: Writer) -> list[WrittenFile]:
    """Put every hosted file of ``package`` through ``writer``, one at a time.

    A file the output already holds at its path, with its size, is left as it is and not read:
    the path names the sha256 the owners signed, so it never holds other bytes (a file edited in
    the output by hand to the same size is what ``regsite verify-site`` catches).  Every other
    file is read from the first place that has it and checked again: one changed since the scan
    stops the build (it must be built again), so no unchecked byte is published.
    """
    written = []
    for wanted in hosted_files(package):
        held = _held_size(writer.output, wanted)
        if held is not None:
            written.append(WrittenFile(wanted.path, held, wanted.sha256, False))
        else:
            written.append(writer.put(wanted.path, _read_checked(files, package.name, wanted)))
    return written


def _held_size(output: Path | None, wanted: HostedFile) -> int | None:
    if output is None:
        return None
    try:
        size = os.lstat(output / wanted.path).st_size
    except OSError:
        return None
    return size if wanted.size is None or size == wanted.size else None


def _read_checked(files: HostedFiles, package: str, wanted: HostedFile) -> bytes:
    for shown, directory in files.places(package):
        try:
            with (directory / wanted.name).open("rb") as stream:
                content = stream.read(wanted.limit + 1)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise RegistryError(f"{shown}/{wanted.name}: cannot read it: {exc.strerror}") from exc
        same_size = wanted.size is None or len(content) == wanted.size
        if not same_size or hashlib.sha256(content).hexdigest() != wanted.sha256:
            break
        return content
    # A RegistryError, not a BuildError: it crosses from a worker process, so it must pickle.
    raise RegistryError(
        f"{PACKAGES_DIR}/{package}: the hosted file {wanted.name} changed during the build;"
        " build again"
    )
