"""PEP 440 versions and specifiers, parsed by ``packaging``: the default scheme.

Versions are ``packaging`` versions themselves, so a PEP 440 registry builds exactly as it did
before there were schemes; specifiers are ``packaging`` specifier sets behind a thin wrapper.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import packaging.requirements
import packaging.specifiers
import packaging.version
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from regsite.versions.scheme import Specifier, Version, VersionScheme, VersionSyntaxError

__all__ = ["PEP440", "Pep440Scheme", "Pep440Specifier"]

_V = TypeVar("_V", bound=Version)


def _packaging(version: Version) -> packaging.version.Version:
    if not isinstance(version, packaging.version.Version):
        raise TypeError(f"{version!r} is not a PEP 440 version")
    return version


@dataclass(frozen=True, slots=True)
class Pep440Specifier:
    specifier: SpecifierSet

    @property
    def is_any(self) -> bool:
        return len(self.specifier) == 0

    def admits(self, version: Version) -> bool:
        return self.specifier.contains(_packaging(version), prereleases=True)

    def pins(self, version: Version) -> bool:
        clauses = list(self.specifier)
        if len(clauses) != 1:
            return False
        (only,) = clauses
        return (
            only.operator in ("==", "===")
            and not only.version.endswith(".*")
            and only.contains(_packaging(version), prereleases=True)
        )

    def with_name(self, name: str) -> str:
        return f"{name}{self.specifier}"

    @property
    def written(self) -> str:
        return ",".join(str(clause) for clause in sorted(self.specifier, key=_written_order))

    def __str__(self) -> str:
        return str(self.specifier)  # clauses sorted, "" for any version (docs/decisions.md 4)


# Lower bounds, then versions named or excluded, then upper bounds, each group by version.
_OPERATOR_ORDER = {">": 0, ">=": 0, "~=": 0, "==": 1, "===": 1, "!=": 1, "<=": 2, "<": 2}
_NO_VERSION = packaging.version.Version("0")


def _written_order(clause: packaging.specifiers.Specifier) -> tuple[Any, ...]:
    """``>=1.0,!=1.5.*,<2``: lower bounds, exclusions, upper bounds; ``>=1.9`` before
    ``>=1.10``, by version."""
    group = _OPERATOR_ORDER[clause.operator]
    try:
        version = packaging.version.Version(clause.version.removesuffix(".*"))
    except packaging.version.InvalidVersion:  # '===' compares strings: any text at all
        return (group, 1, _NO_VERSION, clause.version)
    return (group, 0, version, clause.version)


def _specifier_set(specifier: Specifier) -> SpecifierSet:
    if not isinstance(specifier, Pep440Specifier):
        raise TypeError(f"{specifier!r} is not a PEP 440 specifier")
    return specifier.specifier


class Pep440Scheme(VersionScheme):
    name = "pep440"
    version_syntax = "a PEP 440 version like 1.0.2"
    specifier_examples = "'>=1.2,<2' or '*'"

    def parse_version(self, text: str) -> packaging.version.Version:
        try:
            return packaging.version.Version(text)
        except packaging.version.InvalidVersion:
            raise VersionSyntaxError(f"{text!r} is not a valid PEP 440 version") from None

    def parse_specifier(self, text: str) -> Pep440Specifier:
        try:
            return Pep440Specifier(SpecifierSet("" if text.strip() == "*" else text))
        except InvalidSpecifier:
            raise VersionSyntaxError(f"{text!r} is not a valid PEP 440 version specifier") from None

    def parse_requirement(self, text: str) -> tuple[str, Pep440Specifier]:
        try:
            parsed = packaging.requirements.Requirement(text)
        except packaging.requirements.InvalidRequirement as error:
            raise VersionSyntaxError(str(error)) from error
        found = (
            ("extras", bool(parsed.extras)),
            ("markers", parsed.marker is not None),
            ("URLs", parsed.url is not None),
        )
        unsupported = [what for what, present in found if present]
        if unsupported:
            raise VersionSyntaxError(
                f"{' and '.join(unsupported)} are not supported; only 'name' and a version"
                " specifier, like 'alpha>=1.0,<2'"
            )
        return parsed.name, Pep440Specifier(parsed.specifier)

    def select(self, specifiers: Sequence[Specifier], versions: Iterable[_V]) -> list[_V]:
        combined = SpecifierSet()
        for specifier in specifiers:
            combined &= _specifier_set(specifier)
        # filter() applies PEP 440's rule: pre-releases only when named, or when nothing else
        # matches; it keeps the order given.
        chosen = combined.filter(cast(Iterable[packaging.version.Version], versions))
        return cast(list[_V], list(chosen))


PEP440 = Pep440Scheme()
