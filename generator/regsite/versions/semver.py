"""SemVer 2.0.0 versions (python-semver) with cargo's version requirements (:mod:`.cargo`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TypeVar

import semver

from regsite.versions.cargo import CargoRequirement, parse_cargo_requirement
from regsite.versions.scheme import Specifier, Version, VersionScheme, VersionSyntaxError

__all__ = ["SEMVER", "SemVersion", "SemverScheme"]

_V = TypeVar("_V", bound=Version)
_U64 = 2**64 - 1
_REQUIREMENT = re.compile(r"[ ]*(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)[ ]*@?[ ]*(?P<rest>.*)", re.S)
_EXAMPLES = "'1.2', '^1.2.3', '~1.2', '>=1, <2', '=1.2.3', '1.*' or '*'"


class SemVersion(semver.Version):
    """A SemVer 2.0.0 version; equal and hashed by precedence, so build metadata does not count."""

    __slots__ = ()

    @property
    def is_prerelease(self) -> bool:
        return self.prerelease is not None


def _requirement(text: str) -> CargoRequirement:
    try:
        return parse_cargo_requirement(text)
    except VersionSyntaxError as error:
        raise VersionSyntaxError(
            f"{text!r} is not a valid cargo version requirement (version-scheme 'semver'):"
            f" {error}; write one such as {_EXAMPLES}"
        ) from None


class SemverScheme(VersionScheme):
    name = "semver"
    version_syntax = "a SemVer 2.0.0 version like 1.2.3 or 1.0.0-alpha.1"
    specifier_examples = "'^1.2', '>=1, <2' or '*'"

    def parse_version(self, text: str) -> SemVersion:
        try:
            version = SemVersion.parse(text)
        except ValueError:
            version = None
        if version is None or max(version.major, version.minor, version.patch) > _U64:
            raise VersionSyntaxError(
                f"{text!r} is not a valid SemVer 2.0.0 version (version-scheme 'semver'):"
                " expected MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD], numbers below 2^64 without"
                " leading zeros, such as 1.2.3 or 1.0.0-alpha.1"
            )
        return version

    def parse_specifier(self, text: str) -> CargoRequirement:
        return _requirement(text)

    def parse_requirement(self, text: str) -> tuple[str, CargoRequirement]:
        """``name``, ``name@1.2`` (as ``cargo add`` takes it) or ``name ^1.2``."""
        match = _REQUIREMENT.fullmatch(text)
        if match is None:
            raise VersionSyntaxError(
                f"expected a package name, then a cargo version requirement such as {_EXAMPLES}"
            )
        rest = match["rest"].strip(" ")
        return match["name"], _requirement(rest) if rest else CargoRequirement(())

    def select(self, specifiers: Sequence[Specifier], versions: Iterable[_V]) -> list[_V]:
        # Cargo has no PEP 440-style fallback: a requirement that names no pre-release never
        # selects one, even when only pre-releases exist.
        return [v for v in versions if all(spec.admits(v) for spec in specifiers)]


SEMVER = SemverScheme()
