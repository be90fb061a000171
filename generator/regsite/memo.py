"""The memo: the build's one incremental mechanism (docs/decisions.md, 24).

A stage's result is stored under the digest of the inputs it declares (:meth:`Memo.key`), in one
SQLite database under ``--cache DIR``, so a rebuild computes again only what some input of it
changed.  Nothing keys on inodes or on the output's modification times: in CI the source is a
fresh clone and the cache comes back from the Actions cache with new inodes, and the memo holds
there as it does locally.  Stat stamps (size, modification and inode-change time) only front the
digests of source files (:meth:`Memo.file_digest`): a file whose stamp is as recorded is not read
again, and the digest, never the stamp, is what keys depend on.

Values are pickles of plain data, as trustworthy as the cache directory: keep it where the
build's own output is kept (a local directory, CI's cache), never fetched from elsewhere.  Each
build marks what it used; a successful build deletes the rest.  A damaged database is dropped
and the build starts from nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from urllib.request import pathname2url

from regsite import __version__
from regsite.errors import OutputError

__all__ = [
    "MEMO_FILE",
    "MEMO_FORMAT",
    "FileDigest",
    "Memo",
    "digest_of",
    "file_digests",
    "files_digest",
]

log = logging.getLogger(__name__)

MEMO_FORMAT = 4  # bump when a stored value's shape changes: older memos are then dropped
# (4: shard format 2, whose hashes the summaries keep and whose bytes the render stores)
MEMO_FILE = "regsite-memo.sqlite3"
_RACY_NS = 2_000_000_000  # a file changed this recently may change again in the same tick
_BATCH = 2000  # results written per transaction
_READ_CHUNK = 1024 * 1024  # bytes: large files are digested a chunk at a time
_CHUNK = 500  # keys looked up per query
MAX_DIGESTED = 64 * 1024 * 1024  # bytes: larger files are digested by their size alone

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS result (stage TEXT NOT NULL, key BLOB NOT NULL,"
    " value BLOB NOT NULL, used INTEGER NOT NULL, PRIMARY KEY (stage, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS stamp (path TEXT PRIMARY KEY, stat BLOB NOT NULL,"
    " digest BLOB NOT NULL, used INTEGER NOT NULL) WITHOUT ROWID",
)

_KEPT = (
    "CREATE TEMP TABLE IF NOT EXISTS kept (stage TEXT NOT NULL, key BLOB NOT NULL,"
    " PRIMARY KEY (stage, key)) WITHOUT ROWID"
)
_PRUNE = (
    "DELETE FROM result WHERE used < ? AND NOT EXISTS"
    " (SELECT 1 FROM kept WHERE kept.stage = result.stage AND kept.key = result.key)"
)


class FileDigest(NamedTuple):
    """A file of a directory as :func:`file_digests` found it (a tuple: kept in the memo)."""

    name: str
    size: int
    sha256: str  # hex; "" when it was not read, and ``note`` says why
    note: str  # "not a regular file", "over the limit", "unreadable: …"; "" when read


def digest_of(parts: Iterable[bytes | str]) -> bytes:
    """SHA-256 over length-prefixed parts: no two different part lists give the same input."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.digest()


@dataclass(slots=True)
class Memo:
    """One build's view of the memo database; only the build's own process uses it."""

    connection: sqlite3.Connection
    generation: int
    path: str  # the database file; a worker process opens its own connection to read it
    started_ns: int = field(default_factory=time.time_ns)
    owner: int = field(default_factory=os.getpid)  # the process that writes
    readers: dict[int, sqlite3.Connection] = field(default_factory=dict)
    pending: dict[tuple[str, bytes], bytes] = field(default_factory=dict)  # put, not yet written
    used: set[tuple[str, bytes]] = field(default_factory=set)
    stamps: list[tuple[str, bytes, bytes, int]] = field(default_factory=list)
    hits: int = 0
    misses: int = 0
    closed: bool = False

    @classmethod
    def open(cls, directory: Path) -> Memo:
        """The memo under ``directory``, created if missing."""
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot create the cache: {exc.strerror}") from exc
        path = directory / MEMO_FILE
        try:
            return cls._connect(str(path))
        except sqlite3.DatabaseError as exc:
            log.warning("%s: unreadable (%s); starting from an empty cache", path, exc)
            path.unlink(missing_ok=True)
            return cls._connect(str(path))

    @classmethod
    def _connect(cls, where: str) -> Memo:
        connection = sqlite3.connect(where, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA synchronous = OFF")  # a cache: losing it costs time only
        for statement in _SCHEMA:
            connection.execute(statement)
        meta = dict(connection.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("format") != f"{MEMO_FORMAT} {__version__}":
            connection.execute("DELETE FROM result")
            connection.execute("DELETE FROM stamp")
            meta = {}
        generation = int(meta.get("generation", "0")) + 1
        connection.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [("format", f"{MEMO_FORMAT} {__version__}"), ("generation", str(generation))],
        )
        return cls(connection, generation, where)

    @staticmethod
    def key(stage: str, inputs: Iterable[bytes | str]) -> bytes:
        """The key of ``stage``'s result from the inputs it declares."""
        return digest_of([stage, __version__, *inputs])

    def get(self, stage: str, key: bytes) -> Any:
        """The value stored under ``key``, or None; in a worker, as last flushed."""
        data = self.pending.get((stage, key)) if os.getpid() == self.owner else None
        if data is None:
            row = (
                self._connection()
                .execute("SELECT value FROM result WHERE stage = ? AND key = ?", (stage, key))
                .fetchone()
            )
            data = None if row is None else row[0]
        value = None if data is None else _loads(stage, data)
        if value is None:
            self.misses += 1
            return None
        self.used.add((stage, key))
        self.hits += 1
        return value

    def get_many(self, stage: str, keys: Iterable[bytes]) -> dict[bytes, Any]:
        """The values stored under any of ``keys``: one query per few hundred keys."""
        found: dict[bytes, Any] = {}
        wanted = []
        asked = 0
        for key in keys:
            asked += 1
            data = self.pending.get((stage, key)) if os.getpid() == self.owner else None
            if data is None:
                wanted.append(key)
            elif (value := _loads(stage, data)) is not None:
                found[key] = value
        connection = self._connection()
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = connection.execute(
                f"SELECT key, value FROM result WHERE stage = ? AND key IN ({marks})",  # noqa: S608 - only "?"s
                (stage, *chunk),
            )
            for key, data in rows:
                value = _loads(stage, data)
                if value is not None:
                    found[bytes(key)] = value
        self.used.update((stage, key) for key in found)
        self.hits += len(found)
        self.misses += asked - len(found)
        return found

    def put(self, stage: str, key: bytes, value: Any) -> None:
        self.pending[stage, key] = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        self.used.discard((stage, key))
        if len(self.pending) >= _BATCH:
            self.flush()

    def files_digest(self, directory: Path, wanted: Callable[[str], bool]) -> bytes:
        """A digest of the names and bytes of the files in ``directory`` that ``wanted`` picks,
        looked up by their stat when that is as recorded.  Unreadable entries, and files over
        :data:`MAX_DIGESTED` bytes, count by their error or size (the load stage reports them),
        so a change in them changes the digest too."""
        where = os.fspath(directory)
        stamp = _stamp(where, wanted)
        row = self.connection.execute(
            "SELECT stat, digest FROM stamp WHERE path = ?", (where,)
        ).fetchone()
        if stamp is not None and row is not None and row[0] == stamp:
            self.stamps.append((where, stamp, row[1], self.generation))
            return bytes(row[1])
        digest = files_digest(directory, wanted)
        if stamp is not None and _settled(stamp, self.started_ns):
            self.stamps.append((where, stamp, digest, self.generation))
        return digest

    def file_digests(self, directory: Path, max_bytes: int) -> tuple[FileDigest, ...]:
        """:func:`file_digests`, looked up by the files' stat when that is as recorded, so an
        unchanged file is not read again."""
        where = os.fspath(directory)
        stamp = _stamp(where, _every)
        if stamp is None:  # no such directory (or an unreadable one): nothing to look up
            return file_digests(directory, max_bytes)
        recorded = f"digests {max_bytes} {where}"  # beside files_digest's rows, never one of them
        row = self.connection.execute(
            "SELECT stat, digest FROM stamp WHERE path = ?", (recorded,)
        ).fetchone()
        if row is not None and row[0] == stamp and (found := _loads("stamp", row[1])) is not None:
            self.stamps.append((recorded, stamp, row[1], self.generation))
            return tuple(FileDigest(*entry) for entry in found)
        digests = file_digests(directory, max_bytes)
        if _settled(stamp, self.started_ns):
            packed = pickle.dumps([tuple(entry) for entry in digests])
            self.stamps.append((recorded, stamp, packed, self.generation))
        return digests

    def _connection(self) -> sqlite3.Connection:
        """This process's connection: a forked worker must never use its parent's."""
        pid = os.getpid()
        if pid == self.owner:
            return self.connection
        if pid not in self.readers:
            uri = f"file:{pathname2url(self.path)}?mode=ro"
            self.readers[pid] = sqlite3.connect(uri, uri=True)
        return self.readers[pid]

    def flush(self) -> None:
        """Write what this build stored so far (a failed build still keeps its results)."""
        with self._transaction() as connection:
            connection.executemany(
                "INSERT OR REPLACE INTO result VALUES (?, ?, ?, ?)",
                [
                    (stage, key, data, self.generation)
                    for (stage, key), data in self.pending.items()
                ],
            )
            connection.executemany("INSERT OR REPLACE INTO stamp VALUES (?, ?, ?, ?)", self.stamps)
        self.pending.clear()
        self.stamps.clear()

    def close(self, *, prune: bool) -> None:
        """Flush; with ``prune`` (a build that succeeded) delete what this build did not use.
        Closing again does nothing."""
        if self.closed:
            return
        self.closed = True
        try:
            self.flush()
            if prune:
                with self._transaction() as connection:
                    # The keys read go to a small table of their own: updating the results'
                    # rows would rewrite every value beside them (a third of a 10,000-package
                    # rebuild); a result survives when this build stored or read it.
                    connection.execute(_KEPT)
                    connection.executemany("INSERT OR IGNORE INTO kept VALUES (?, ?)", self.used)
                    connection.execute(_PRUNE, (self.generation,))
                    connection.execute("DELETE FROM stamp WHERE used < ?", (self.generation,))
                    connection.execute("DROP TABLE temp.kept")
        finally:
            self.connection.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.connection.execute("BEGIN")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")


def _loads(stage: str, data: bytes) -> Any:
    try:
        return pickle.loads(data)  # noqa: S301 - written by this memo only (module docstring)
    except Exception as exc:
        log.debug("memo %s entry unreadable (%s); computing again", stage, exc)
        return None


def _entries(where: str, wanted: Callable[[str], bool]) -> list[os.DirEntry[str]]:
    with os.scandir(where) as found:
        return sorted((entry for entry in found if wanted(entry.name)), key=lambda e: e.name)


def _every(name: str) -> bool:
    return True


def _stamp(where: str, wanted: Callable[[str], bool]) -> bytes | None:
    """(name, size, modification and inode-change time) of each file, or None if unreadable."""
    try:
        parts = []
        for entry in _entries(where, wanted):
            found = entry.stat(follow_symlinks=False)
            parts.append(f"{entry.name}\0{found.st_size}\0{found.st_mtime_ns}\0{found.st_ctime_ns}")
    except OSError:
        return None
    return "\n".join(parts).encode("utf-8", "surrogateescape")


def _settled(stamp: bytes, started_ns: int) -> bool:
    """No file changed within the racy window before the build started."""
    for line in stamp.split(b"\n"):
        if line and max(int(field) for field in line.split(b"\0")[2:]) >= started_ns - _RACY_NS:
            return False
    return True


def files_digest(directory: Path, wanted: Callable[[str], bool]) -> bytes:
    """What :meth:`Memo.files_digest` stands for, read from the files themselves."""
    where = os.fspath(directory)
    parts: list[bytes | str] = []
    try:
        entries = _entries(where, wanted)
    except OSError as exc:
        return digest_of([f"unreadable directory: {exc.strerror}"])
    for entry in entries:
        parts.append(entry.name)
        try:
            size = entry.stat(follow_symlinks=False).st_size
            if not entry.is_file(follow_symlinks=False) or size > MAX_DIGESTED:
                parts.append(f"not read: {size} bytes, file={entry.is_file(follow_symlinks=False)}")
                continue
            parts.append(hashlib.sha256(Path(entry.path).read_bytes()).digest())
        except OSError as exc:
            parts.append(f"unreadable: {exc.strerror}")
    return digest_of(parts)


def file_digests(directory: Path, max_bytes: int) -> tuple[FileDigest, ...]:
    """Each entry of ``directory`` (none if there is no such directory) with its size and
    SHA-256, read a chunk at a time; one that is not a regular file (a symbolic link), is over
    ``max_bytes`` or cannot be read is listed with why instead of a digest."""
    try:
        entries = _entries(os.fspath(directory), _every)
    except OSError:
        return ()
    return tuple(_file_digest(entry, max_bytes) for entry in entries)


def _file_digest(entry: os.DirEntry[str], max_bytes: int) -> FileDigest:
    try:
        size = entry.stat(follow_symlinks=False).st_size
        if not entry.is_file(follow_symlinks=False):
            return FileDigest(entry.name, size, "", "not a regular file")
        if size > max_bytes:
            return FileDigest(entry.name, size, "", "over the limit")
        digest = hashlib.sha256()
        with Path(entry.path).open("rb") as stream:
            while chunk := stream.read(_READ_CHUNK):
                digest.update(chunk)
        return FileDigest(entry.name, size, digest.hexdigest(), "")
    except OSError as exc:
        return FileDigest(entry.name, 0, "", f"unreadable: {exc.strerror}")
