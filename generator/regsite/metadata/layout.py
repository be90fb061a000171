"""Where the signed metadata and the content-addressed copies live in a built site."""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "CHANGES_HEAD",
    "CHANGES_PAGE",
    "CHANGES_PAGE_SIZE",
    "COPIED_DIR",
    "METADATA_DIR",
    "SNAPSHOT_FILE",
    "TIMESTAMP_FILE",
    "FileInfo",
    "content_addressed_path",
    "has_copy",
    "is_target",
    "target_path_problem",
]

METADATA_DIR = "metadata"
TIMESTAMP_FILE = f"{METADATA_DIR}/timestamp.json"
SNAPSHOT_FILE = re.compile(r"([1-9][0-9]*)\.snapshot\.json")
# What a verifying client must fetch as of the metadata it holds, even during a deploy: the
# signed sources (registry.toml, package.toml and their signatures), which pin everything else it
# reads (a README by its sha256). Only these get content-addressed copies; the JSON documents,
# pages, search and assets are read at their plain names, checked against the targets' hashes
# (docs/decisions.md, 25). Every file is listed in the signed targets all the same, so that
# verify-site checks every byte a host serves.
COPIED_DIR = "api/v1/sources/"
_COPIED_SUFFIXES = (".toml", ".toml.sig")
# The change feed (docs/feed.md): its head and its open page change from build to build and a
# client reads them as of its metadata, so they have copies; a full page never changes again.
CHANGES_HEAD = "api/v1/changes.json"
CHANGES_PAGE = re.compile(r"api/v1/changes/([1-9][0-9]{0,18})-([1-9][0-9]{0,18})\.json")
CHANGES_PAGE_SIZE = 1000  # events per page


def is_target(path: str) -> bool:
    """Whether the signed targets list ``path`` (every file but the metadata itself)."""
    return not path.startswith(f"{METADATA_DIR}/")


def has_copy(path: str) -> bool:
    """Whether a signed site also publishes ``path`` at its content-addressed name."""
    if path.startswith(COPIED_DIR):
        return path.endswith(_COPIED_SUFFIXES)
    if path == CHANGES_HEAD:
        return True
    page = CHANGES_PAGE.fullmatch(path)
    return page is not None and int(page[2]) - int(page[1]) + 1 < CHANGES_PAGE_SIZE


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
