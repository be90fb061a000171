"""A package's version-index shard (docs/portable.md): what a resolver needs of one package
state, and nothing else, published once under its own sha256.

A shard is a pure function of the package: a package that does not change keeps its shard, and
every closure manifest that reaches the package names that one file.  The encoding is part of
the published format (``schemas/shard.schema.json``): compact JSON, keys in this order, one
array per release.  Each dependency is written as the package document writes it (name,
specifier, marker, extras, cargo's fields, upstream: dependency_document.py), in the order the
owner wrote them, so that an offline resolution sees every dependency an online one does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from regsite.dependency_document import dependency_document
from regsite.model import Package, Release, ReleaseStatus

__all__ = ["SHARDS_DIR", "SHARD_API_VERSION", "shard_document", "shard_path", "shard_sha256"]

# api.md's API_ROOT; spelled out because render.api imports the summary, which imports this.
SHARDS_DIR = "api/v1/shards"
# 2: every dependency as written (markers, extras, same-name entries) and requires-python.
# The client reads this version only (client/portable.py): a shard's bytes are its name.
SHARD_API_VERSION = 2


def shard_document(package: Package) -> bytes:
    """The shard's bytes: every release, newest version first, as
    ``[version, [dependency, ...], [[url, sha256, size], ...]]``, with
    ``{"status": ..., "requires_python": ...}`` appended when either is set (status only when
    it is not ``active``)."""
    document = {
        "api_version": SHARD_API_VERSION,
        "name": package.name,
        "releases": [_release(release) for release in package.releases],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def shard_sha256(package: Package) -> str:
    """The shard's name: the sha256 of its bytes, in lower-case hex."""
    return hashlib.sha256(shard_document(package)).hexdigest()


def shard_path(name: str, sha256: str) -> str:
    """Where the shard of ``name`` whose sha256 is ``sha256`` is published."""
    return f"{SHARDS_DIR}/{name}/{sha256}.json"


def _release(release: Release) -> list[Any]:
    entry: list[Any] = [
        str(release.version),
        [dependency_document(dependency) for dependency in release.requires],
        # An external file's URL; a hosted one's path from the site's root (files/...).
        [
            [artifact.url or artifact.path, artifact.sha256, artifact.size]
            for artifact in release.artifacts
        ],
    ]
    details: dict[str, str] = {}
    if release.status is not ReleaseStatus.ACTIVE:
        details["status"] = release.status.value
    if release.requires_python is not None:
        details["requires_python"] = str(release.requires_python)
    if details:
        entry.append(details)
    return entry
