"""opam's staged release, step 1, as a plan: which releases of which dependents a new,
incompatible release of a package would reach, and the release ranges whose requirement on it
an upper bound keeps on the releases they were made for (``regsite curate stage``).

A dependent's release is reached when its effective requirement (its owner's, narrowed by the
amendments already in force) admits the new version.  It is bounded unless the bound would leave
it nothing to choose (a release made for the new version: it is left as it is, and said so).
Consecutive bounded releases share one range, written in the registry's version scheme and
checked to cover exactly the releases meant; where a scheme cannot write one (a SemVer
pre-release), each release gets its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from regsite.effective import EffectiveRequirement, release_effective, selected
from regsite.model import Package, PackageAmendments, Release
from regsite.versions import Specifier, Version, VersionScheme, VersionSyntaxError

__all__ = ["Skipped", "StagePlan", "StagedRange", "stage_plan"]

_EXACT = {"pep440": "==", "semver": "="}  # how each scheme names one version exactly


@dataclass(frozen=True, slots=True)
class StagedRange:
    package: str
    releases: str  # the amendment's range, in the scheme's normal form
    versions: tuple[str, ...]  # the releases in it that the bound reaches


@dataclass(frozen=True, slots=True)
class Skipped:
    package: str
    version: str
    why: str


@dataclass(frozen=True, slots=True)
class StagePlan:
    ranges: tuple[StagedRange, ...]
    skipped: tuple[Skipped, ...]


def stage_plan(
    name: str,
    version: Version,
    dependents: Mapping[str, Package],
    amendments: Mapping[str, PackageAmendments],
    existing: Sequence[Version],
    scheme: VersionScheme,
) -> StagePlan:
    """The ranges to bound below ``version`` in each dependent (by name), and the releases left
    as they are; ``existing`` are package ``name``'s versions now."""
    ranges: list[StagedRange] = []
    skipped: list[Skipped] = []
    for package in sorted(dependents.values(), key=lambda p: p.name):
        current = amendments.get(package.name)
        marks = []
        for release in sorted(package.releases, key=lambda r: r.version):
            mark = _mark(name, version, release, current, existing, scheme)
            if isinstance(mark, str):
                skipped.append(Skipped(package.name, str(release.version), mark))
                mark = False
            marks.append((release.version, mark))
        ranges += _ranges(package.name, marks, scheme)
    return StagePlan(tuple(ranges), tuple(skipped))


_Mark = bool | None | str  # True: bound it; None: it does not require the package; str: why not


def _mark(
    name: str,
    version: Version,
    release: Release,
    current: PackageAmendments | None,
    existing: Sequence[Version],
    scheme: VersionScheme,
) -> _Mark:
    requirement = _requirement(name, release, current)
    if requirement is None:
        return None
    if not _admits(requirement, version):
        return False
    bound = version if requirement.bound is None else min(version, requirement.bound)
    bounded = replace(requirement, bound=bound)
    if not selected(scheme, bounded, [v for v in existing if v != version]):
        declared = str(requirement.declared) or "*"
        return f"requires {name} {declared}, which no release before {version} satisfies"
    return True


def _requirement(
    name: str, release: Release, current: PackageAmendments | None
) -> EffectiveRequirement | None:
    effective = None if current is None else release_effective(release, current.amendments)
    if effective is not None:
        return next((r for r in effective.requires if r.name == name), None)
    declared = next((d.specifier for d in release.requires if d.name == name), None)
    return None if declared is None else EffectiveRequirement(name, declared, None, (), ())


def _admits(requirement: EffectiveRequirement, version: Version) -> bool:
    below = requirement.bound is None or version < requirement.bound
    return below and version not in requirement.excluded and requirement.declared.admits(version)


def _ranges(
    package: str, marks: Sequence[tuple[Version, bool | None]], scheme: VersionScheme
) -> list[StagedRange]:
    """One range per run of releases to bound, runs joined across releases that do not require
    the package; each checked against every release of the package."""
    runs: list[list[Version]] = []
    run: list[Version] = []
    for version, mark in marks:
        if mark is True:
            run.append(version)
        elif mark is False and run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    lowest = marks[0][0] if marks else None
    found = []
    for run in runs:
        text = _range_text(run, lowest, scheme)
        if text is not None and _covers(scheme.parse_specifier(text), run, marks):
            found.append(StagedRange(package, text, tuple(map(str, run))))
        else:
            exact = _EXACT[scheme.name]
            found += [StagedRange(package, f"{exact}{v}", (str(v),)) for v in run]
    return found


def _range_text(
    run: Sequence[Version], lowest: Version | None, scheme: VersionScheme
) -> str | None:
    """``<=newest`` from the package's oldest release (older ones published later are alike),
    one release exactly, or ``>=oldest, <=newest``."""
    if run[0] == lowest:
        text = f"<={run[-1]}"
    elif len(run) == 1:
        text = f"{_EXACT[scheme.name]}{run[0]}"
    else:
        text = f">={run[0]}, <={run[-1]}"
    try:
        return str(scheme.parse_specifier(text))
    except VersionSyntaxError:
        return None


def _covers(
    releases: Specifier, run: Sequence[Version], marks: Sequence[tuple[Version, bool | None]]
) -> bool:
    """The range holds every release of ``run``, and no release it must leave alone."""
    meant = set(run)
    for version, mark in marks:
        inside = releases.admits(version)
        if version in meant and not inside:
            return False
        if inside and version not in meant and mark is not None:
            return False
    return True
