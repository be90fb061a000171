"""Write stage: stage only the files whose bytes changed, then move them in at the end.

A build puts every output file through :meth:`OutputWriter.put`.  A file whose bytes equal
what the output directory already holds is left alone (same inode, same modification time), so
deploy tools that compare files upload only the difference.  Changed files go to a staging
directory beside the output; :meth:`OutputWriter.commit` moves them in, removes the files the
new build no longer has, and writes ``metadata/timestamp.json`` last, so a TUF client never sees
a timestamp naming metadata that is not there yet.  Until ``commit`` nothing in the output
changes: a build that fails on bad input leaves the previous output exactly as it was.

The commit is a journal replayed forward (docs/decisions.md, 19): the staging directory is
renamed to ``.OUT.commit-*`` with the list of files to delete before anything moves, and
SIGINT, SIGTERM and SIGHUP wait until the commit is done.  A build killed outright (SIGKILL, a
crash, power loss) mid-commit leaves that journal beside the output: the next build, or
:func:`recover_output`, finishes the commit before anything else reads the output, and
``verify-site`` refuses a site with an unfinished commit.  A build holds a lock on the output
directory while it runs, and removes the staging directories that killed builds left behind.

Worker processes stage files through copies of the same writer (it is picklable and holds no
state of its own); only the parent commits.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import os
import shutil
import signal
import stat
import sys
import tempfile
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from regsite.errors import OutputError
from regsite.metadata.layout import TIMESTAMP_FILE, content_addressed_path

__all__ = [
    "SITE_MARKER",
    "CommitResult",
    "OutputWriter",
    "WrittenFile",
    "recover_output",
    "unfinished_commit",
]

log = logging.getLogger(__name__)

# A directory holding this file is a regsite output and may be replaced by the next build.
SITE_MARKER = "api/v1/registry.json"
_JOURNAL = ".regsite-commit.json"  # in a commit directory: the output files to delete
# Signals that wait until a commit is done (POSIX; SIGHUP does not exist on Windows)
_DEFERRED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class WrittenFile(NamedTuple):  # a tuple: kept for every output file, and cached
    path: str
    size: int
    sha256: str
    changed: bool  # staged because the output did not hold these bytes
    stamp: tuple[int, int] | None = None  # (inode, mtime_ns) in the output, once it holds it


@dataclass(frozen=True, slots=True)
class CommitResult:
    written: int  # files whose bytes changed (content-addressed copies included)
    unchanged: int
    removed: int


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
            lock = _lock(out)
        except OSError as exc:
            raise OutputError(f"{out}: cannot create the output directory: {exc.strerror}") from exc
        try:
            _finish_killed_builds(out)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
            staging.chmod(0o755)
        except OSError as exc:
            if lock >= 0:
                os.close(lock)
            raise OutputError(f"{out}: cannot prepare the output directory: {exc}") from exc
        fresh = not any(out.iterdir())
        return cls(out, staging, fresh, consistent, lock, created)

    def put(self, path: str, content: bytes, *, target: bool = True) -> WrittenFile:
        """Stage ``content`` as ``path`` unless the output already holds exactly these bytes.

        For a target of a signed site the content-addressed copy is staged too when missing: a
        hard link to the same file where the file system allows, so it costs no space.
        """
        parts = _safe_parts(path)
        digest = hashlib.sha256(content).hexdigest()
        try:
            held = self.out.joinpath(*parts)
            stamp = None if self.fresh else _holds(held, content)
            changed = stamp is None
            staged = self.staging.joinpath(*parts)
            if changed:
                _write(staged, content)
            if target and self.consistent:
                copy = _safe_parts(content_addressed_path(path, digest))
                if self.fresh or not self.out.joinpath(*copy).is_file():
                    _link(staged if changed else held, self.staging.joinpath(*copy), content)
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot write {path}: {exc}") from exc
        return WrittenFile(path, len(content), digest, changed, stamp)

    def intact(self, files: Iterable[WrittenFile]) -> bool:
        """Whether the output still holds these files, as a previous build wrote them.

        Checked by size, inode and modification time (and the content-addressed copy's
        presence: a second link to the file, or a file of its own), not by reading them back:
        any other write to the file, by another build or by hand, gives it a new inode or time.
        The paths are the writer's own, checked when first written.
        """
        out = os.fspath(self.out)
        for file in files:
            try:
                found = os.stat(f"{out}/{file.path}")  # noqa: PTH116 - hot loop
                if file.stamp != (found.st_ino, found.st_mtime_ns) or found.st_size != file.size:
                    return False
                if self.consistent and found.st_nlink < 2:
                    copy = content_addressed_path(file.path, file.sha256)
                    if not stat.S_ISREG(os.stat(f"{out}/{copy}").st_mode):  # noqa: PTH116
                        return False
            except OSError:
                return False
        return True

    def commit(self, paths: Collection[str]) -> CommitResult:
        """Move the staged files in and delete every output file not in ``paths``."""
        try:
            with _signals_deferred():
                if self.fresh:
                    written = sum(1 for _ in _files(self.staging))
                    self.out.rmdir()  # empty (checked when opened)
                    self.staging.rename(self.out)
                    return CommitResult(written=written, unchanged=0, removed=0)
                staged = list(_files(self.staging))
                keep = paths if isinstance(paths, set | frozenset) else set(paths)
                stale = [relative for relative in _files(self.out) if relative not in keep]
                journal = self._journal(stale)
                removed = _replay(journal, self.out)
            unchanged = len(paths) - len(staged)
        except OSError as exc:
            raise OutputError(f"{self.out}: cannot update the site: {exc}") from exc
        finally:
            self.discard()
        return CommitResult(written=len(staged), unchanged=max(unchanged, 0), removed=removed)

    def _journal(self, stale: list[str]) -> Path:
        """Turn the staging directory into a commit journal: from here on the commit is done,
        by this build or, if it is killed, by the next."""
        with (self.staging / _JOURNAL).open("wb") as file:
            file.write(json.dumps(stale).encode("utf-8"))
            os.fsync(file.fileno())
        journal = self.staging.with_name(self.staging.name.replace(".new-", ".commit-", 1))
        self.staging.rename(journal)
        return journal

    def stamped(self, files: Iterable[WrittenFile]) -> tuple[WrittenFile, ...]:
        """The files with the (inode, mtime_ns) the output holds them with, after commit."""
        out = os.fspath(self.out)
        found = []
        for file in files:
            if file.changed or file.stamp is None:
                try:
                    now = os.stat(f"{out}/{file.path}")  # noqa: PTH116 - once per written file
                    file = file._replace(stamp=(now.st_ino, now.st_mtime_ns))
                except OSError:
                    file = file._replace(stamp=None)
            found.append(file._replace(changed=False))
        return tuple(found)

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


def _lock(out: Path) -> int:
    """An exclusive lock on ``out`` for this build: two builds never write one output."""
    if sys.platform == "win32":  # no flock; one build at a time is then the user's to ensure
        return -1
    import fcntl

    descriptor = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(descriptor)
        if exc.errno in (errno.EWOULDBLOCK, errno.EACCES):
            raise OutputError(
                f"{out}: another regsite build is writing this output; wait for it to finish"
            ) from exc
        raise
    return descriptor


def _siblings(out: Path, kind: str) -> list[Path]:
    """The staging (``new``) or commit (``commit``) directories of builds of ``out``."""
    prefix = f".{out.name}.{kind}-"
    with os.scandir(out.parent) as entries:
        return sorted(Path(e.path) for e in entries if e.name.startswith(prefix) and e.is_dir())


def _finish_killed_builds(out: Path) -> None:
    """Finish the commit a killed build started; delete staging that killed builds left."""
    for journal in _siblings(out, "commit"):
        log.warning("%s: finishing the commit of a build that was killed", out)
        with _signals_deferred():
            _replay(journal, out)
    for staging in _siblings(out, "new"):
        log.info("%s: removing %s, left by a build that was killed", out, staging.name)
        shutil.rmtree(staging, ignore_errors=True)


def unfinished_commit(out: Path) -> Path | None:
    """The journal of a commit that a killed build left unfinished, if there is one."""
    try:
        journals = _siblings(out.absolute(), "commit")
    except OSError:
        return None
    return journals[0] if journals else None


def recover_output(out: Path) -> bool:
    """Finish an unfinished commit of ``out``, under the build lock; True if there was one."""
    out = out.absolute()
    if unfinished_commit(out) is None:
        return False
    try:
        lock = _lock(out)
    except OSError as exc:
        raise OutputError(f"{out}: cannot lock the output: {exc.strerror}") from exc
    try:
        _finish_killed_builds(out)
    except OSError as exc:
        raise OutputError(f"{out}: cannot finish the unfinished commit: {exc}") from exc
    finally:
        if lock >= 0:
            os.close(lock)
    return True


def _replay(journal: Path, out: Path) -> int:
    """Move every file left in ``journal`` into ``out`` (the timestamp last), delete the files
    it lists, then the journal; safe to run again from any point.  Return the files deleted."""
    try:
        stale = json.loads((journal / _JOURNAL).read_bytes())
    except (OSError, ValueError):  # the rename that makes a journal comes after it is written
        stale = []
    moved = sorted(_files(journal), key=lambda item: item == TIMESTAMP_FILE)
    for relative in moved:
        if relative == _JOURNAL:
            continue
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        (journal / relative).replace(target)
    removed = _remove(out, [path for path in stale if isinstance(path, str)])
    shutil.rmtree(journal)
    return removed


def _remove(out: Path, stale: Iterable[str]) -> int:
    """Delete ``stale`` files of ``out``, then the directories that left empty."""
    root = os.fspath(out)
    emptied = set()
    removed = 0
    for relative in stale:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{root}/{_safe_relative(relative)}")  # noqa: PTH108 - hot loop
            removed += 1
        emptied.add(relative.rpartition("/")[0])
    for directory in sorted(emptied, key=len, reverse=True):
        parts = directory.split("/")
        while parts and parts != [""]:
            try:
                os.rmdir(f"{root}/{'/'.join(parts)}")  # noqa: PTH106
            except OSError:  # not empty: neither are its parents
                break
            parts.pop()
    return removed


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Hold SIGINT, SIGTERM and SIGHUP until the block is done: a build stopped during its
    commit stops right after it, never half-way."""
    if sys.platform == "win32":
        yield
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _safe_relative(relative: str) -> str:
    return "/".join(_safe_parts(relative))


def _safe_parts(relative: str) -> tuple[str, ...]:
    parts = PurePosixPath(relative)
    if parts.is_absolute() or any(part in ("", ".", "..") for part in parts.parts):
        raise OutputError(f"refusing to write outside the output directory: {relative!r}")
    return parts.parts


def _holds(path: Path, content: bytes) -> tuple[int, int] | None:
    """The file's (inode, mtime_ns) if it holds exactly ``content``, else None."""
    try:
        found = path.stat()
        if found.st_size != len(content) or path.read_bytes() != content:
            return None
    except OSError:
        return None
    return (found.st_ino, found.st_mtime_ns)


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


def _files(root: Path) -> Iterable[str]:
    """Every regular file under ``root``, relative with '/' separators."""
    stack = [(os.fspath(root), "")]
    while stack:
        directory, prefix = stack.pop()
        with os.scandir(directory) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, f"{prefix}{entry.name}/"))
                else:
                    yield f"{prefix}{entry.name}"
