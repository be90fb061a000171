"""A dependency as regsite's JSON writes it, and read back: one encoding for the package
document's ``requires`` (render/api.py) and a version-index shard's (render/shard.py), so that
what a client resolves from a shard is what the package document shows (docs/api.md,
docs/portable.md).  The reader takes only what the writer writes: a shard's bytes are its name.
"""

from __future__ import annotations

import json
import re
from typing import Any

from packaging.markers import InvalidMarker, Marker

from regsite.errors import RegistryError, describe
from regsite.model import Dependency, DependencyKind
from regsite.versions import VersionScheme, VersionSyntaxError

__all__ = ["DependencyDocumentError", "dependency_document", "read_dependency_document"]

# Every key dependency_document can write; "name" and "specifier" always.
_KEYS: tuple[str, ...] = ("name", "specifier", "marker", "extras", "kind", "target")
_KEYS += ("features", "optional", "default_features", "rename", "registry", "upstream")
_NAME = re.compile(r"(?=.{1,64}$)[A-Za-z0-9_-]+")  # this registry's, or a crate of another


class DependencyDocumentError(RegistryError):
    """A dependency object that :func:`dependency_document` would not have written."""


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


def read_dependency_document(item: object, scheme: VersionScheme) -> Dependency:
    """The dependency ``item`` encodes, read in the registry's version ``scheme``; refused
    unless ``dependency_document`` gives back exactly ``item``."""
    if not isinstance(item, dict) or not set(_KEYS).issuperset(item):
        raise DependencyDocumentError(
            f"expected an object with name, specifier and some of {', '.join(_KEYS[2:])}"
            f", found {describe(item)}"
        )
    name = _text(item, "name")
    if name is None or not _NAME.fullmatch(name):
        raise DependencyDocumentError(f"name: expected a package name, found {describe(name)}")
    try:
        dependency = _dependency(item, name, scheme)
    except (VersionSyntaxError, InvalidMarker, ValueError) as error:
        raise DependencyDocumentError(str(error)) from error
    if (written := dependency_document(dependency)) != item:  # a default written out, say
        canonical = json.dumps(written, ensure_ascii=False, separators=(",", ":"))
        raise DependencyDocumentError(f"not as regsite writes it: expected {canonical:.200}")
    return dependency


def _dependency(item: dict[str, Any], name: str, scheme: VersionScheme) -> Dependency:
    marker = _text(item, "marker")
    return Dependency(
        name=name,
        specifier=scheme.parse_specifier(_text(item, "specifier") or ""),
        marker=None if marker is None else Marker(marker),
        extras=_texts(item, "extras"),
        kind=DependencyKind(item.get("kind", DependencyKind.NORMAL.value)),
        target=_text(item, "target"),
        features=_texts(item, "features"),
        optional=item.get("optional") is True,
        default_features=item.get("default_features") is not False,
        rename=_text(item, "rename"),
        registry=_text(item, "registry"),
        upstream=_text(item, "upstream"),
    )


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise DependencyDocumentError(f"{key}: expected a string, found {describe(value)}")
    return value


def _texts(item: dict[str, Any], key: str) -> tuple[str, ...]:
    value = item.get(key, [])
    if not isinstance(value, list) or not all(isinstance(text, str) for text in value):
        raise DependencyDocumentError(
            f"{key}: expected an array of strings, found {describe(value)}"
        )
    return tuple(value)
