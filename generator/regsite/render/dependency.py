"""A dependency as regsite's JSON writes it: one encoding for the package document's
``requires`` (render/api.py) and for a version-index shard's (render/shard.py), so that what a
client resolves from a shard is what the package document shows (docs/api.md, docs/portable.md).
"""

from __future__ import annotations

from typing import Any

from regsite.model import Dependency, DependencyKind

__all__ = ["dependency_document"]


def dependency_document(dependency: Dependency) -> dict[str, Any]:
    """Name and specifier; PEP 508's and cargo's details only where a dependency has them."""
    document: dict[str, Any] = {"name": dependency.name, "specifier": str(dependency.specifier)}
    if dependency.marker is not None:
        document["marker"] = str(dependency.marker)
    if dependency.extras:
        document["extras"] = list(dependency.extras)
    if dependency.kind is not DependencyKind.NORMAL:
        document["kind"] = dependency.kind.value
    for key, value, plain in (
        ("target", dependency.target, None),
        ("features", list(dependency.features), []),
        ("optional", dependency.optional, False),
        ("default_features", dependency.default_features, True),
        ("rename", dependency.rename, None),
        ("registry", dependency.registry, None),
        ("upstream", dependency.upstream, None),
    ):
        if value != plain:
            document[key] = value
    return document
