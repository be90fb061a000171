"""Where the signed metadata and the content-addressed copies live in a built site."""

from __future__ import annotations

import re

__all__ = [
    "COPIED_DIR",
    "METADATA_DIR",
    "SNAPSHOT_FILE",
    "TIMESTAMP_FILE",
    "content_addressed_path",
    "has_copy",
    "is_target",
]

METADATA_DIR = "metadata"
TIMESTAMP_FILE = f"{METADATA_DIR}/timestamp.json"
SNAPSHOT_FILE = re.compile(r"([1-9][0-9]*)\.snapshot\.json")
# What a verifying client fetches: the JSON API and the signed sources. Only these get
# content-addressed copies; pages, search and assets are for browsers, which never fetch a copy
# (docs/decisions.md, 22). Every file is listed in the signed targets all the same, so that
# verify-site checks every byte a host serves.
COPIED_DIR = "api/"


def is_target(path: str) -> bool:
    """Whether the signed targets list ``path`` (every file but the metadata itself)."""
    return not path.startswith(f"{METADATA_DIR}/")


def has_copy(path: str) -> bool:
    """Whether a signed site also publishes ``path`` at its content-addressed name."""
    return path.startswith(COPIED_DIR)


def content_addressed_path(path: str, sha256: str) -> str:
    """Where TUF clients fetch a target under consistent snapshots: ``dir/<sha256>.<name>``."""
    directory, slash, name = path.rpartition("/")
    return f"{directory}{slash}{sha256}.{name}"
