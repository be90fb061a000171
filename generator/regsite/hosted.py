"""Artifacts the site hosts itself: ``packages/<name>/files/<file>`` in the source, published
at ``files/<name>/<sha256>/<file>`` (a path that never changes content, so hosts may cache it
forever).  The package's ``[[release.artifact]]`` records the file's name, sha256 and size, so
the owners' signature covers its bytes.

This is the smallest form of the mechanism that the cargo flavour needs (a source directory of
files; no ``--files`` directory at build time).
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from regsite.errors import RegistryError, SourceProblem
from regsite.model import Package
from regsite.render import Output

__all__ = [
    "FILES_DIR",
    "MAX_HOSTED_BYTES",
    "hosted_digest_parts",
    "hosted_outputs",
    "hosted_problems",
    "hosted_stamp",
]

FILES_DIR = "files"  # packages/<name>/files/ in the source
MAX_HOSTED_BYTES = 100 * 1000 * 1000  # GitHub Pages refuses larger files


def hosted_problems(directory: Path, package: Package) -> list[SourceProblem]:
    """Each hosted file must be there, a plain file, with the recorded size and sha256."""
    problems = []
    for index, release in enumerate(package.releases):
        for number, artifact in enumerate(release.artifacts):
            if artifact.file is None:
                continue
            where = f"release[{index}].artifact[{number}].file"
            found = _read(directory / FILES_DIR / artifact.file, artifact.size)
            if isinstance(found, str):
                message = found
            elif len(found) != artifact.size:
                message = f"{artifact.file} has {len(found)} bytes, {artifact.size} recorded"
            elif (digest := hashlib.sha256(found).hexdigest()) != artifact.sha256:
                message = f"{artifact.file} has sha256 {digest}, {artifact.sha256} recorded"
            else:
                continue
            problems.append(SourceProblem(package.source.path, where, message))
    return problems


def _read(path: Path, size: int) -> bytes | str:
    """The file's bytes, or what is wrong with it."""
    name = f"{FILES_DIR}/{path.name}"
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            return f"{name} is not a regular file (symbolic links are refused)"
        if info.st_size > max(size, 0) or info.st_size > MAX_HOSTED_BYTES:
            return f"{name} has {info.st_size} bytes, {size} recorded"
        return path.read_bytes()
    except FileNotFoundError:
        return f"{name} is missing beside package.toml; a hosted file lives there"
    except OSError as error:
        return f"{name} cannot be read: {error.strerror}"


def hosted_outputs(directory: Path, package: Package) -> Output:
    """The hosted files at their published paths, checked again as they are read."""
    output: Output = {}
    for release in package.releases:
        for artifact in release.artifacts:
            path = artifact.path
            if path is None or artifact.file is None:
                continue
            found = _read(directory / FILES_DIR / artifact.file, artifact.size)
            if isinstance(found, str) or hashlib.sha256(found).hexdigest() != artifact.sha256:
                raise _changed(package.name)
            output[path] = found
    return output


def _changed(name: str) -> RegistryError:
    return RegistryError(f"packages/{name}/{FILES_DIR}: changed during the build; build again")


def hosted_stamp(directory: str) -> list[tuple[str, int, int, int, int]] | None:
    """The stat of every file in ``files/`` (None when there is no such directory)."""
    try:
        entries = sorted(os.scandir(f"{directory}/{FILES_DIR}"), key=lambda entry: entry.name)
    except OSError:
        return None
    stamp = []
    for entry in entries:
        found = entry.stat(follow_symlinks=False)
        name = f"{FILES_DIR}/{entry.name}"
        stamp.append((name, found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino))
    return stamp


def hosted_digest_parts(directory: Path) -> list[bytes | str]:
    """What the scan digest covers of ``files/``: each file's name and sha256."""
    parts: list[bytes | str] = []
    for name, *_ in hosted_stamp(str(directory)) or ():
        found = _read(directory / name, MAX_HOSTED_BYTES)
        parts += [name, hashlib.sha256(found).hexdigest() if isinstance(found, bytes) else found]
    return parts
