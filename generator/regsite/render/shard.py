"""A package's version-index shard (docs/portable.md): what a resolver needs of one package
state, and nothing else, published once under its own sha256.

A shard is a pure function of the package: a package that does not change keeps its shard, and
every closure manifest that reaches the package names that one file.  The encoding is part of
the published format (``schemas/shard.schema.json``): compact JSON, keys in this order, one
array per release.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from regsite.model import Package, Release, ReleaseStatus

__all__ = ["SHARDS_DIR", "shard_document", "shard_path", "shard_sha256"]

# api.md's API_ROOT; spelled out because render.api imports the summary, which imports this.
SHARDS_DIR = "api/v1/shards"
SHARD_API_VERSION = 1


def shard_document(package: Package) -> bytes:
    """The shard's bytes: every release, newest version first, as
    ``[version, {dependency: specifier}, [[url, sha256, size], ...]]`` with the status appended
    when it is not ``active``."""
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
        {dependency.name: str(dependency.specifier) for dependency in release.requires},
        # An external file's URL; a hosted one's path from the site's root (files/...).
        [
            [artifact.url or artifact.path, artifact.sha256, artifact.size]
            for artifact in release.artifacts
        ],
    ]
    if release.status is not ReleaseStatus.ACTIVE:
        entry.append(release.status.value)
    return entry
