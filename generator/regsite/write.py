"""Write stage: stage only the files whose bytes changed, then move them in at the end.

A build puts every output file through :meth:`OutputWriter.put`.  A file whose bytes equal
what the output directory already holds (as the memo recorded it, or read and compared) is left
alone (same inode, same modification time), so deploy tools that compare files upload only the
difference.  Changed files go to a staging
directory beside the output; :meth:`OutputWriter.commit` moves them in, removes the files the
new build no longer has, and writes ``metadata/timestamp.json`` last, so a TUF client never sees
a timestamp naming metadata that is not there yet.  Until ``commit`` nothing in the output
changes: a build that fails on bad input leaves the previous output exactly as it was.

The commit is a journal replayed forward (:mod:`regsite.journal`): a build killed outright
mid-commit leaves it beside the output, and the next build finishes it before anything else
reads the output.  A build holds a lock on the output directory while it runs, and removes the
staging directories that killed builds left behind.

Worker processes stage files through copies of the same writer (it is picklable and holds no
state of its own); only the parent commits.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import NamedTuple, Protocol

from regsite.errors import OutputError
from regsite.journal import files as _files
from regsite.journal import (
    finish_killed_builds,
    journal,
    lock_output,
    replay,
    signals_deferred,
)
from regsite.metadata.layout import content_addressed_path, has_copy

__all__ = [
    "SITE_MARKER",
    "CommitResult",
    "MemoryWriter",
    "OutputWriter",
    "Writer",
    "WrittenFile",
]

log = logging.getLogger(__name__)

# A directory holding this file is a regsite output and may be replaced by the next build.
SITE_MARKER = "api/v1/registry.json"


class WrittenFile(NamedTuple):  # a tuple: kept for every output file, and in the memo
    path: str
    size: int
    sha256: str
    changed: bool  # staged because the output did not hold these bytes


@dataclass(frozen=True, slots=True)
class CommitResult:
    written: int  # files whose bytes changed (content-addressed copies included)
    unchanged: int
    removed: int


class Writer(Protocol):
    """Where a build's files go: :class:`OutputWriter` (a directory) or :class:`MemoryWriter`."""

    @property
    def output(self) -> Path | None: ...  # the directory written, if any

    @property
    def consistent(self) -> bool: ...  # targets also get content-addressed copies

    def put(
        self, path: str, content: bytes, *, held: str | None = None, copied: bool | None = None
    ) -> WrittenFile: ...

    def stage(self, path: str, content: bytes) -> None: ...

    def read_staged(self, path: str) -> bytes: ...

    def commit(
        self, paths: Collection[str], stale: Collection[str] | None = None
    ) -> CommitResult: ...

    def discard(self) -> None: ...


@dataclass(slots=True)
class MemoryWriter:
    """A writer into memory, for tests and tools: :attr:`committed` holds the site after commit.
    Only for builds in one process (workers would write into their own copy)."""

    consistent: bool = False
    staged: dict[str, bytes] = field(default_factory=dict)
    committed: dict[str, bytes] = field(default_factory=dict)

    @property
    def output(self) -> Path | None:
        return None

    def put(
        self, path: str, content: bytes, *, held: str | None = None, copied: bool | None = None
    ) -> WrittenFile:
        _safe_parts(path)
        self.staged[path] = content
        return WrittenFile(path, len(content), hashlib.sha256(content).hexdigest(), True)

    def stage(self, path: str, content: bytes) -> None:
        self.staged[path] = content

    def read_staged(self, path: str) -> bytes:
        return self.staged[path]

    def commit(self, paths: Collection[str], stale: Collection[str] | None = None) -> CommitResult:
        self.committed = {path: self.staged[path] for path in sorted(paths) if path in self.staged}
        return CommitResult(written=len(self.committed), unchanged=0, removed=0)

    def discard(self) -> None:
        self.staged.clear()


@dataclass(frozen=True, slots=True)
class OutputWriter:
    out: Path  # absolute
    staging: Path
    fresh: bool  # the output is empty: everything is staged, then renamed into place
    consistent: bool  # targets also get their content-addressed copy (signed sites)
    lock: int = -1  # an open descriptor of ``out``, locked while the build runs (-1: none)
    created: bool = False  # ``out`` did not exist before: a failed build removes it again

    @classmethod
    def open(cls, out: Path, keep: Path | None, consistent: bool) -> OutputWriter:
        """Check ``out`` may be written, lock it, finish or clear what killed builds left beside
        it, and create the staging directory.

        A non-empty ``out`` that is not a previous regsite output is never touched, so a mistyped
        ``-o`` cannot delete a directory, and neither is a directory that holds ``keep`` (the
        source being built).
        """
        out = out.absolute()
        _check_replaceable(out, keep)
        created = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
            lock = lock_output(out)
        except OSError as exc:
            raise OutputError(f"{out}: cannot create the output directory: {exc.strerror}") from exc
        try:
            finish_killed_builds(out)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
            staging.chmod(0o755)
        except OSError as exc:
            if lock >= 0:
                os.close(lock)
            raise OutputError(f"{out}: cannot prepare the output directory: {exc}") from exc
        fresh = not any(out.iterdir())
        return cls(out, staging, fresh, consistent, lock, created)

    def put(
        self, path: str, content: bytes, *, held: str | None = None, copied: bool | None = None
    ) -> WrittenFile:
        """Stage ``content`` as ``path`` unless the output already holds exactly these bytes:
        ``held`` is the SHA-256 the output holds there, as the memo recorded it; without it the
        output's file is read and compared.

        A file a verifying client fetches (by default, what
        :func:`~regsite.metadata.layout.has_copy` says) of a signed site also gets its
        content-addressed copy, staged when missing: a hard link to the same
        file where the file system allows, so it costs no space.
        """
        parts = _safe_parts(path)
        digest = hashlib.sha256(content).hexdigest()
        try:
            output = self.out.joinpath(*parts)
            staged = self.staging.joinpath(*parts)
            if self.fresh:
                changed = True
            elif held is not None:  # as recorded, and still there with its size
                changed = held != digest or not _has_size(output, len(content))
            else:
                changed = not _holds(output, content)
            if changed:
                _write(staged, content)
            elif staged.exists():  # staged with open slots (stage()), filled the same as before
                staged.unlink()
            if self.consistent and (has_copy(path) if copied is None else copied):
                copy = _safe_parts(content_addressed_path(path, digest))
                if changed or not self.out.joinpath(*copy).is_file():
                    _link(staged if changed else output, self.staging.joinpath(*copy), content)
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot write {path}: {exc}") from exc
        return WrittenFile(path, len(content), digest, changed)

    def stage(self, path: str, content: bytes) -> None:
        """Write ``content`` to the staging directory as it is, to be :meth:`put` later."""
        try:
            _write(self.staging.joinpath(*_safe_parts(path)), content)
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot write {path}: {exc}") from exc

    def read_staged(self, path: str) -> bytes:
        try:
            return self.staging.joinpath(*_safe_parts(path)).read_bytes()
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot read back {path}: {exc}") from exc

    def commit(self, paths: Collection[str], stale: Collection[str] | None = None) -> CommitResult:
        """Move the staged files in and delete the output files of the last build that are not
        in ``paths``: ``stale`` when the memo knows them, else every file not in ``paths``."""
        try:
            with signals_deferred():
                if self.fresh:
                    written = sum(1 for _ in _files(self.staging))
                    self.out.rmdir()  # empty (checked when opened)
                    self.staging.rename(self.out)
                    return CommitResult(written=written, unchanged=0, removed=0)
                staged = list(_files(self.staging))
                if stale is None:
                    keep = paths if isinstance(paths, set | frozenset) else set(paths)
                    stale = [relative for relative in _files(self.out) if relative not in keep]
                journaled = journal(self.staging, list(stale))
                removed = replay(journaled, self.out)
            unchanged = len(paths) - len(staged)
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot update the site: {exc}") from exc
        finally:
            self.discard()
        return CommitResult(written=len(staged), unchanged=max(unchanged, 0), removed=removed)

    @property
    def output(self) -> Path | None:
        return self.out

    def discard(self) -> None:
        """Remove the staging directory and release the lock (also after a commit)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        if self.created:
            with contextlib.suppress(OSError):
                self.out.rmdir()  # only if still empty: a failed first build leaves nothing
        if self.lock >= 0:
            with contextlib.suppress(OSError):
                os.close(self.lock)


def _check_replaceable(out: Path, keep: Path | None) -> None:
    if keep is not None and keep.resolve().is_relative_to(out.resolve()):
        raise OutputError(f"{out}: holds the source directory {keep}; choose another output")
    if not out.exists():
        return
    if out.is_symlink() or not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory; refusing to replace it")
    if any(out.iterdir()) and not (out / SITE_MARKER).is_file():
        raise OutputError(
            f"{out}: directory is not empty and holds no {SITE_MARKER}, so it is not a previous"
            " regsite output; refusing to replace it (choose a new or empty directory)"
        )


def _safe_parts(relative: str) -> tuple[str, ...]:
    parts = PurePosixPath(relative)
    if parts.is_absolute() or any(part in ("", ".", "..") for part in parts.parts):
        raise OutputError(f"refusing to write outside the output directory: {relative!r}")
    return parts.parts


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _holds(path: Path, content: bytes) -> bool:
    """Whether the file holds exactly ``content``."""
    try:
        return path.stat().st_size == len(content) and path.read_bytes() == content
    except OSError:
        return False


def _write(target: Path, content: bytes) -> None:
    """A new file: one staged earlier may be linked to a content-addressed copy, so it is
    replaced, never written through."""
    try:
        target.unlink(missing_ok=True)
        target.write_bytes(content)
    except FileNotFoundError:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _link(source: Path, target: Path, content: bytes) -> None:
    """``target`` as a hard link to ``source``, or a copy of ``content`` where links fail."""
    try:
        try:
            os.link(source, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(source, target)
    except OSError:  # no hard links here, or the target was staged already
        _write(target, content)
