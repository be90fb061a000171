"""Version schemes: how a registry's versions and dependency specifiers are written, ordered
and matched.

``registry.toml`` picks one with ``[registry] version-scheme``: ``"pep440"`` (the default, with
``packaging``) or ``"semver"`` (SemVer 2.0.0 versions with cargo's requirements).  Everything
that parses, orders or matches a version goes through the registry's scheme.
"""

from __future__ import annotations

from regsite.versions.pep440 import PEP440
from regsite.versions.scheme import Specifier, Version, VersionScheme, VersionSyntaxError
from regsite.versions.semver import SEMVER

__all__ = [
    "DEFAULT_SCHEME",
    "PEP440",
    "SCHEMES",
    "SEMVER",
    "Specifier",
    "Version",
    "VersionScheme",
    "VersionSyntaxError",
    "scheme_named",
]

SCHEMES: dict[str, VersionScheme] = {scheme.name: scheme for scheme in (PEP440, SEMVER)}
DEFAULT_SCHEME = PEP440


def scheme_named(name: str) -> VersionScheme:
    """The scheme called ``name`` in registry.toml; ``KeyError`` if there is none."""
    return SCHEMES[name]
