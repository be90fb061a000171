"""Where the signed metadata and the content-addressed copies live in a built site."""

from __future__ import annotations

import re

__all__ = [
    "METADATA_DIR",
    "SNAPSHOT_FILE",
    "TARGETS_DIR",
    "TIMESTAMP_FILE",
    "content_addressed_path",
    "is_target",
]

METADATA_DIR = "metadata"
TIMESTAMP_FILE = f"{METADATA_DIR}/timestamp.json"
SNAPSHOT_FILE = re.compile(r"([1-9][0-9]*)\.snapshot\.json")
# What a verifying client fetches, and so what the signed metadata lists and what gets
# content-addressed copies: the JSON API and the signed sources. Pages, search and assets are for
# browsers, and artifacts are checked against the sha256 in their owner-signed package.toml
# (docs/decisions.md, 22).
TARGETS_DIR = "api/"


def is_target(path: str) -> bool:
    return path.startswith(TARGETS_DIR)


def content_addressed_path(path: str, sha256: str) -> str:
    """Where TUF clients fetch a target under consistent snapshots: ``dir/<sha256>.<name>``."""
    directory, slash, name = path.rpartition("/")
    return f"{directory}{slash}{sha256}.{name}"
