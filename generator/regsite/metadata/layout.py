"""Where the signed metadata and the content-addressed copies live in a built site."""

from __future__ import annotations

import re

__all__ = ["METADATA_DIR", "SNAPSHOT_FILE", "TIMESTAMP_FILE", "content_addressed_path"]

METADATA_DIR = "metadata"
TIMESTAMP_FILE = f"{METADATA_DIR}/timestamp.json"
SNAPSHOT_FILE = re.compile(r"([1-9][0-9]*)\.snapshot\.json")


def content_addressed_path(path: str, sha256: str) -> str:
    """Where TUF clients fetch a target under consistent snapshots: ``dir/<sha256>.<name>``."""
    directory, slash, name = path.rpartition("/")
    return f"{directory}{slash}{sha256}.{name}"
