"""Where the signed metadata and the content-addressed copies live in a built site."""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "METADATA_DIR",
    "SNAPSHOT_FILE",
    "TIMESTAMP_FILE",
    "FileInfo",
    "content_addressed_path",
    "target_path_problem",
]

METADATA_DIR = "metadata"
TIMESTAMP_FILE = f"{METADATA_DIR}/timestamp.json"
SNAPSHOT_FILE = re.compile(r"([1-9][0-9]*)\.snapshot\.json")
_MAX_PATH = 1024  # characters


class FileInfo(NamedTuple):
    """A target file: its length in bytes and its SHA-256 (the sign stage's input)."""

    length: int
    sha256: str


def content_addressed_path(path: str, sha256: str) -> str:
    """Where TUF clients fetch a target under consistent snapshots: ``dir/<sha256>.<name>``."""
    directory, slash, name = path.rpartition("/")
    return f"{directory}{slash}{sha256}.{name}"


def target_path_problem(path: str) -> str | None:
    """Why ``path`` may not name a target (``None`` when it may): relative, '/'-separated.

    python-tuf looks targets up by path and never checks them; a client that fetches every
    target (``verify-site``) or joins a path to a URL checks here first.
    """
    parts = path.split("/")
    if not path or len(path) > _MAX_PATH:
        return f"expected a path of 1 to {_MAX_PATH} characters"
    if any(part in ("", ".", "..") for part in parts) or "\\" in path or "\x00" in path:
        return "expected a relative path without '', '.', '..', backslashes or NUL"
    if any(ord(char) < 0x20 for char in path):
        return "expected no control characters"
    return None
