"""Cargo's version requirements over SemVer versions: ``1.2``, ``^1.2``, ``~1.2.3``, ``>=1, <2``,
``=1.2.3``, ``*``, ``1.*``.

The grammar and the matching rules are the ones the Cargo book's "Specifying Dependencies" page
states and cargo implements (through the ``semver`` crate); tests/data/semver_vectors.toml holds
the book's examples and the crate's pre-release corners, run by tests/test_version_schemes.py.
The two rules that no Python library we know of follows (docs/decisions.md 20):

- a bare version is a caret requirement (``1.2`` is ``>=1.2.0, <2.0.0``), and a partial version
  in a comparison means what it says (``<1.2`` is ``<1.2.0``, ``>1`` is ``>=2.0.0``);
- a pre-release matches only a requirement that names a pre-release of the same
  MAJOR.MINOR.PATCH (``>=1.2.3-alpha`` admits ``1.2.3-beta``, never ``1.2.4-alpha``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import semver

from regsite.versions.scheme import Version, VersionSyntaxError

__all__ = ["MAX_COMPARATORS", "CargoRequirement", "Comparator", "Op", "parse_cargo_requirement"]

MAX_COMPARATORS = 32  # as cargo: ">1, >2, ..." beyond this is refused
_U64 = 2**64 - 1  # cargo's versions are unsigned 64-bit numbers


class Op(StrEnum):
    EXACT = "="
    GREATER = ">"
    GREATER_EQ = ">="
    LESS = "<"
    LESS_EQ = "<="
    TILDE = "~"
    CARET = "^"
    WILDCARD = ""  # 1.* and 1.2.*; printed without an operator


@dataclass(frozen=True, slots=True)
class Comparator:
    """One comma-separated part of a requirement; ``minor`` and ``patch`` may be left out."""

    op: Op
    major: int
    minor: int | None
    patch: int | None
    pre: str | None  # only with a patch number

    def __str__(self) -> str:
        text = f"{self.op.value}{self.major}"
        if self.minor is not None:
            text += f".{self.minor}"
            if self.patch is not None:
                text += f".{self.patch}" + (f"-{self.pre}" if self.pre else "")
            elif self.op is Op.WILDCARD:
                text += ".*"
        elif self.op is Op.WILDCARD:
            text += ".*"
        return text

    def matches(self, version: semver.Version) -> bool:
        """Whether ``version`` is in this comparator's range, pre-release rule aside."""
        order = _order(self, version)
        if self.op in (Op.EXACT, Op.WILDCARD):
            return _exact(self, version, order)
        if self.op is Op.GREATER:
            return order is not None and order > 0
        if self.op is Op.GREATER_EQ:
            return _exact(self, version, order) or (order is not None and order > 0)
        if self.op is Op.LESS:
            return order is not None and order < 0
        if self.op is Op.LESS_EQ:
            return _exact(self, version, order) or (order is not None and order < 0)
        if self.op is Op.TILDE:
            return _tilde(self, version)
        return _caret(self, version)

    def names_prerelease_of(self, version: semver.Version) -> bool:
        """This comparator names a pre-release of the same MAJOR.MINOR.PATCH as ``version``."""
        return self.pre is not None and (self.major, self.minor, self.patch) == (
            version.major,
            version.minor,
            version.patch,
        )


def _prerelease_order(mine: str | None, theirs: str | None) -> int:
    """Order two pre-release tags by SemVer precedence; no tag (a release) is the highest."""
    if mine is None or theirs is None:
        return (mine is None) - (theirs is None)
    return semver.Version(0, 0, 0, mine).compare(semver.Version(0, 0, 0, theirs))


def _order(comparator: Comparator, version: semver.Version) -> int | None:
    """``version`` against the comparator's version: the sign of the first number that differs,
    else of the pre-release tags; ``None`` if they agree on every number the comparator gives
    and it leaves one out (``1.2`` against ``1.2.7``)."""
    given = (comparator.major, comparator.minor, comparator.patch)
    for have, want in zip((version.major, version.minor, version.patch), given, strict=True):
        if want is None:
            return None
        if have != want:
            return 1 if have > want else -1
    return _prerelease_order(version.prerelease, comparator.pre)


def _exact(comparator: Comparator, version: semver.Version, order: int | None) -> bool:
    return order == 0 or (order is None and version.prerelease is None)


def _tilde(comparator: Comparator, version: semver.Version) -> bool:
    if version.major != comparator.major:
        return False
    if comparator.minor is not None and version.minor != comparator.minor:
        return False
    if comparator.patch is not None and version.patch != comparator.patch:
        return version.patch > comparator.patch
    return _prerelease_order(version.prerelease, comparator.pre) >= 0


def _caret(comparator: Comparator, version: semver.Version) -> bool:
    """Same left-most non-zero number, and not below the comparator's version."""
    major, minor, patch = comparator.major, comparator.minor, comparator.patch
    if version.major != major:
        return False
    if minor is None:
        return True
    if patch is None:
        return version.minor >= minor if major > 0 else version.minor == minor
    if major > 0:
        if (version.minor, version.patch) != (minor, patch):
            return (version.minor, version.patch) > (minor, patch)
    elif minor > 0:
        if version.minor != minor:
            return False
        if version.patch != patch:
            return version.patch > patch
    elif (version.minor, version.patch) != (minor, patch):
        return False
    return _prerelease_order(version.prerelease, comparator.pre) >= 0


@dataclass(frozen=True, slots=True)
class CargoRequirement:
    """Comparators that must all hold; none at all is ``*``, any version."""

    comparators: tuple[Comparator, ...]

    @property
    def is_any(self) -> bool:
        return not self.comparators

    def admits(self, version: Version) -> bool:
        if not isinstance(version, semver.Version):
            raise TypeError(f"{version!r} is not a SemVer version")
        if not all(comparator.matches(version) for comparator in self.comparators):
            return False
        # Cargo's pre-release rule: only when some comparator names a pre-release of this very
        # MAJOR.MINOR.PATCH, so "*" or ">=1" never picks 2.0.0-rc.1.
        return version.prerelease is None or any(
            comparator.names_prerelease_of(version) for comparator in self.comparators
        )

    def pins(self, version: Version) -> bool:
        if len(self.comparators) != 1:
            return False
        (only,) = self.comparators
        exact = only.op is Op.EXACT and only.patch is not None
        return exact and self.admits(version)

    def with_name(self, name: str) -> str:
        return name if self.is_any else f"{name} {self}"

    @property
    def written(self) -> str:
        return "" if self.is_any else str(self)  # cargo keeps its comparators as written

    def __str__(self) -> str:
        return ", ".join(map(str, self.comparators)) or "*"


_WILDCARDS = frozenset("*xX")
_NUMBER = r"[0-9]+|[*xX]"
_COMPARATOR = re.compile(
    rf"""(?P<op>>=|<=|>|<|=|~|\^)?[ ]*
    (?P<major>[0-9]+)
    (?:\.(?P<minor>{_NUMBER})(?:\.(?P<patch>{_NUMBER}))?)?
    (?:-(?P<pre>[0-9A-Za-z.-]*))?
    (?:\+(?P<build>[0-9A-Za-z.-]*))?""",
    re.VERBOSE | re.ASCII,
)


def parse_cargo_requirement(text: str) -> CargoRequirement:
    """Parse a requirement as cargo does; raise VersionSyntaxError with the reason."""
    parts = text.split(",")
    if len(parts) > MAX_COMPARATORS:
        raise VersionSyntaxError(f"more than {MAX_COMPARATORS} comparators")
    if len(parts) == 1 and parts[0].strip(" ") in _WILDCARDS:
        return CargoRequirement(())
    comparators = []
    for part in parts:
        stripped = part.strip(" ")
        if stripped in _WILDCARDS:
            raise VersionSyntaxError(f"the wildcard {stripped!r} must be the only comparator")
        comparators.append(_comparator(stripped))
    return CargoRequirement(tuple(comparators))


def _comparator(text: str) -> Comparator:
    if not text:
        raise VersionSyntaxError("expected a comparator such as '^1.2' between the commas")
    match = _COMPARATOR.fullmatch(text)
    if match is None:
        raise VersionSyntaxError(f"cannot read {text!r} as one comparator")
    minor, patch = match["minor"], match["patch"]
    if minor in _WILDCARDS and patch is not None and patch not in _WILDCARDS:
        raise VersionSyntaxError(f"{text!r}: nothing but a wildcard may follow a wildcard")
    wildcard = minor in _WILDCARDS or patch in _WILDCARDS
    numbers = [_number(part, what) for part, what in zip(match.group(*_PARTS), _PARTS, strict=True)]
    if (match["pre"] is not None or match["build"] is not None) and numbers[2] is None:
        raise VersionSyntaxError(f"{text!r}: a pre-release or build needs MAJOR.MINOR.PATCH")
    _identifiers(match["build"], "build metadata", numeric_leading_zero=True)
    major, minor_number, patch_number = numbers
    assert major is not None  # the pattern requires it
    return Comparator(
        op=Op(match["op"]) if match["op"] else (Op.WILDCARD if wildcard else Op.CARET),
        major=major,
        minor=minor_number,
        patch=patch_number,
        pre=_identifiers(match["pre"], "pre-release", numeric_leading_zero=False),
    )  # build metadata is read and dropped: cargo ignores it in requirements


_PARTS = ("major", "minor", "patch")


def _number(text: str | None, what: str) -> int | None:
    """A version number; ``None`` when left out or a wildcard."""
    if text is None or text in _WILDCARDS:
        return None
    if len(text) > 1 and text.startswith("0"):
        raise VersionSyntaxError(f"the {what} number {text!r} has a leading zero")
    if len(text) > 20 or int(text) > _U64:
        raise VersionSyntaxError(f"the {what} number {text:.30} is larger than 2^64-1")
    return int(text)


def _identifiers(text: str | None, what: str, *, numeric_leading_zero: bool) -> str | None:
    """Dot-separated identifiers of a pre-release or build, checked as SemVer 2.0.0 says."""
    if text is None:
        return None
    for identifier in text.split("."):
        if not identifier:
            raise VersionSyntaxError(f"the {what} {text!r} has an empty identifier")
        leading_zero = identifier.isdigit() and len(identifier) > 1 and identifier[0] == "0"
        if leading_zero and not numeric_leading_zero:
            raise VersionSyntaxError(f"the {what} identifier {identifier!r} has a leading zero")
    return text
