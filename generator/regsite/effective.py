"""A release's effective requirements: what its owner declared, narrowed by the curators'
amendments that apply to it (docs/curation.md).

One definition for every reader: the package JSON and page, the requirement checks, the client's
resolver, and a flavour that publishes requirements in another format (the cargo index calls
:func:`effective_release` and :func:`effective_specifier`).

A dependency's effective versions are the ones its declared specifier and the lowest upper bound
select, as the registry's version scheme selects them, less the excluded versions.  An
amendment that would make the scheme select a version the declared specifier alone does not (a
PEP 440 pre-release, chosen when the bound leaves no final release) widens what the owner
allowed, and validation refuses it (:func:`widened`).  A conflict names a package whose versions
must not be installed beside the release.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from regsite.model import Amendment, Narrowing, Release
from regsite.versions import Specifier, Version, VersionScheme, VersionSyntaxError

__all__ = [
    "Conflict",
    "EffectiveRelease",
    "EffectiveRequirement",
    "bound_specifier",
    "effective_release",
    "effective_specifier",
    "release_effective",
    "selected",
    "specifier_text",
    "widened",
]


@dataclass(frozen=True, slots=True)
class EffectiveRequirement:
    """One dependency of a release, as declared and as amended."""

    name: str
    declared: Specifier  # the owner's
    bound: Version | None  # the lowest upper bound the amendments set (exclusive)
    excluded: tuple[Version, ...]  # versions the amendments leave out, in order
    amendments: tuple[int, ...]  # the amendments that narrow it, by index in the file

    @property
    def amended(self) -> bool:
        return bool(self.amendments)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A package whose ``versions`` must not be installed beside the release."""

    name: str
    versions: Specifier
    amendment: int


@dataclass(frozen=True, slots=True)
class EffectiveRelease:
    requires: tuple[EffectiveRequirement, ...]  # every declared dependency, in declared order
    conflicts: tuple[Conflict, ...]
    amendments: tuple[int, ...]  # every amendment that applies to the release


def effective_release(
    version: Version,
    requires: Iterable[tuple[str, Specifier]],
    amendments: Sequence[Amendment],
    *,
    ignore: Collection[str] = (),
) -> EffectiveRelease | None:
    """The release ``version``'s requirements with the amendments in force; None when none is.

    An amendment is in force on a release in its range that declares the dependency it narrows
    (a conflict: on every release in its range).  ``ignore`` names packages whose amendments are
    left out (the client's ``--ignore-amendments-on``).
    """
    declared = tuple(requires)
    names = {name for name, _ in declared}
    applying = [
        amendment
        for amendment in amendments
        if amendment.target not in ignore
        and amendment.applies_to(version)
        and (amendment.narrowing is Narrowing.CONFLICT or amendment.target in names)
    ]
    if not applying:
        return None
    return EffectiveRelease(
        requires=tuple(_requirement(name, spec, applying) for name, spec in declared),
        conflicts=tuple(
            Conflict(amendment.target, amendment.versions, amendment.index)
            for amendment in applying
            if amendment.narrowing is Narrowing.CONFLICT and amendment.versions is not None
        ),
        amendments=tuple(amendment.index for amendment in applying),
    )


def release_effective(
    release: Release, amendments: Sequence[Amendment], *, ignore: Collection[str] = ()
) -> EffectiveRelease | None:
    """:func:`effective_release` for a modelled release."""
    requires = ((dependency.name, dependency.specifier) for dependency in release.requires)
    return effective_release(release.version, requires, amendments, ignore=ignore)


def _requirement(
    name: str, declared: Specifier, applying: Iterable[Amendment]
) -> EffectiveRequirement:
    mine = [a for a in applying if a.target == name and a.narrowing is not Narrowing.CONFLICT]
    bounds = [a.version for a in mine if a.narrowing is Narrowing.UPPER_BOUND and a.version]
    excluded = {a.version for a in mine if a.narrowing is Narrowing.EXCLUDE and a.version}
    return EffectiveRequirement(
        name=name,
        declared=declared,
        bound=min(bounds) if bounds else None,
        excluded=tuple(sorted(excluded)),
        amendments=tuple(a.index for a in mine),
    )


def bound_specifier(scheme: VersionScheme, bound: Version) -> Specifier:
    """``<bound`` in the registry's scheme: under both schemes a pre-release of ``bound`` is
    left out too, unless the bound is a pre-release itself."""
    return scheme.parse_specifier(f"<{bound}")


def effective_specifier(scheme: VersionScheme, requirement: EffectiveRequirement) -> Specifier:
    """The declared specifier and the upper bound as one specifier of the scheme; exclusions
    stay apart (cargo's requirements cannot write them).  VersionSyntaxError if the scheme
    cannot hold both (more than cargo's 32 comparators)."""
    if requirement.bound is None:
        return requirement.declared
    parts = [] if requirement.declared.is_any else [str(requirement.declared)]
    parts.append(str(bound_specifier(scheme, requirement.bound)))
    return scheme.parse_specifier(", ".join(parts))


def specifier_text(scheme: VersionScheme, requirement: EffectiveRequirement) -> str:
    """:func:`effective_specifier` in the scheme's normal form, for the JSON and the pages."""
    try:
        return str(effective_specifier(scheme, requirement))
    except VersionSyntaxError:  # reported by validation; the site is not published then
        return f"{requirement.declared}, <{requirement.bound}"


def selected(
    scheme: VersionScheme, requirement: EffectiveRequirement, versions: Sequence[Version]
) -> list[Version]:
    """The ``versions`` the effective requirement lets the scheme choose."""
    specifiers = [requirement.declared]
    if requirement.bound is not None:
        specifiers.append(bound_specifier(scheme, requirement.bound))
    excluded = set(requirement.excluded)
    return [version for version in scheme.select(specifiers, versions) if version not in excluded]


def widened(
    scheme: VersionScheme, declared: Specifier, bound: Version, versions: Sequence[Version]
) -> list[Version]:
    """The ``versions`` the upper ``bound`` would let the scheme choose that ``declared`` alone
    does not: empty exactly when the bound only narrows, over the versions that exist."""
    before = set(scheme.select([declared], versions))
    after = scheme.select([declared, bound_specifier(scheme, bound)], versions)
    return [version for version in after if version not in before]
