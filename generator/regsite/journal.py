"""The write stage's commit, as a journal replayed forward, under a lock (docs/decisions.md, 19).

The staging directory becomes the journal: it gets the list of output files to delete, then is
renamed to ``.OUT.commit-*``, and from then on the commit is decided.  Replaying a journal from any
point gives the same site, so the next build (or :func:`recover_output`) finishes the commit of a
build that was killed.  SIGINT, SIGTERM and SIGHUP wait until a commit is done.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import signal
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from regsite.errors import OutputError
from regsite.metadata.layout import TIMESTAMP_FILE

__all__ = [
    "JOURNAL_FILE",
    "files",
    "finish_killed_builds",
    "journal",
    "lock_output",
    "recover_output",
    "replay",
    "signals_deferred",
    "unfinished_commit",
]

log = logging.getLogger(__name__)

JOURNAL_FILE = ".regsite-commit.json"  # in a commit directory: the output files to delete
# Signals that wait until a commit is done (POSIX; SIGHUP does not exist on Windows)
_DEFERRED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def journal(staging: Path, stale: list[str]) -> Path:
    """Turn a staging directory into a commit journal: from here on the commit is done, by this
    build or, if it is killed, by the next."""
    with (staging / JOURNAL_FILE).open("wb") as file:
        file.write(json.dumps(stale).encode("utf-8"))
        os.fsync(file.fileno())
    renamed = staging.with_name(staging.name.replace(".new-", ".commit-", 1))
    staging.rename(renamed)
    return renamed


def lock_output(out: Path) -> int:
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


def finish_killed_builds(out: Path) -> None:
    """Finish the commit a killed build started; delete staging that killed builds left."""
    for journal in _siblings(out, "commit"):
        log.warning("%s: finishing the commit of a build that was killed", out)
        with signals_deferred():
            replay(journal, out)
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
        lock = lock_output(out)
    except OSError as exc:
        raise OutputError(f"{out}: cannot lock the output: {exc.strerror}") from exc
    try:
        finish_killed_builds(out)
    except OSError as exc:
        raise OutputError(f"{out}: cannot finish the unfinished commit: {exc}") from exc
    finally:
        if lock >= 0:
            os.close(lock)
    return True


def replay(journal: Path, out: Path) -> int:
    """Move every file left in ``journal`` into ``out`` (the timestamp last), delete the files
    it lists, then the journal; safe to run again from any point.  Return the files deleted."""
    try:
        stale = json.loads((journal / JOURNAL_FILE).read_bytes())
    except (OSError, ValueError):  # the rename that makes a journal comes after it is written
        stale = []
    moved = sorted(files(journal), key=lambda item: item == TIMESTAMP_FILE)
    for relative in moved:
        if relative == JOURNAL_FILE:
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
def signals_deferred() -> Iterator[None]:
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
    """A journal's path, as the writer made it: refuse anything that leaves the output."""
    parts = relative.split("/")
    if relative.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise OutputError(f"refusing to delete outside the output directory: {relative!r}")
    return relative


def files(root: Path) -> Iterable[str]:
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
