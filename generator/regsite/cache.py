"""The build cache: values keyed by content digests, in a directory CI can save and restore.

Each entry is one pickle file, ``<dir>/<version>/<kind>/<key[:2]>/<key>``, written atomically.
The key is a SHA-256 over every input the value was computed from, so an entry is either right
or never looked up.  Each file starts with the SHA-256 of its pickle, so a damaged or
unreadable entry counts as a miss and is never unpickled.  The cache only holds what
regsite itself wrote there, so unpickling it is as safe as the directory it lives in: keep it
where the build's own output and keys are kept (CI's cache, a local directory), never fetched
from elsewhere.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regsite import __version__
from regsite.errors import OutputError

__all__ = ["CACHE_FORMAT", "BuildCache", "digest_of"]

log = logging.getLogger(__name__)

CACHE_FORMAT = 3  # bump when a cached value's shape changes
_CHECKSUM = 32  # every entry starts with the SHA-256 of its pickle: a damaged one is a miss


def digest_of(parts: Iterable[bytes | str]) -> str:
    """SHA-256 over length-prefixed parts: no two different part lists give the same input."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class BuildCache:
    """A cache directory; picklable, so worker processes open the same one."""

    directory: Path

    @classmethod
    def open(cls, directory: Path) -> BuildCache:
        root = directory / f"regsite-{__version__}-{CACHE_FORMAT}"
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot create the cache: {exc.strerror}") from exc
        for stale in directory.iterdir():  # entries of other regsite versions are never read
            if stale.name.startswith("regsite-") and stale != root:
                shutil.rmtree(stale, ignore_errors=True)
        return cls(root)

    def _path(self, kind: str, key: str) -> Path:
        return self.directory / kind / key[:2] / key

    def get(self, kind: str, key: str) -> Any:
        """The value stored under ``key``, or None."""
        try:
            data = self._path(kind, key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.debug("cache entry %s/%s unreadable (%s); recomputing", kind, key, exc)
            return None
        checksum, payload = data[:_CHECKSUM], data[_CHECKSUM:]
        if len(checksum) != _CHECKSUM or hashlib.sha256(payload).digest() != checksum:
            log.debug("cache entry %s/%s damaged; recomputing", kind, key)
            return None
        try:
            return pickle.loads(payload)  # noqa: S301 - written by this cache only (docstring)
        except Exception as exc:
            log.debug("cache entry %s/%s unreadable (%s); recomputing", kind, key, exc)
            return None

    def put(self, kind: str, key: str, value: Any) -> None:
        path = self._path(kind, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(handle, "wb") as file:
                file.write(hashlib.sha256(payload).digest() + payload)
            Path(temporary).replace(path)
        except OSError as exc:  # a cache that cannot be written only makes the next build slower
            log.debug("cannot write cache entry %s/%s: %s", kind, key, exc)

    def prune(self, kind: str, used: set[str]) -> int:
        """Delete the entries of ``kind`` this build did not use; return how many."""
        removed = 0
        top = self.directory / kind
        if not top.is_dir():
            return 0
        for bucket in os.scandir(top):
            if not bucket.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(bucket.path):
                if entry.name not in used:
                    with contextlib.suppress(OSError):
                        Path(entry.path).unlink()
                        removed += 1
        return removed
