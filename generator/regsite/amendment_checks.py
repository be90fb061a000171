"""Validation of a package's amendments against the registry: each names a package here,
applies to a release that exists, only narrows what the owner allowed (proved with the version
scheme over every version of the dependency that exists), and leaves every requirement it
narrows satisfiable.  Run with the package's requirement checks, under the same memo key plus
the amendments file (:mod:`regsite.validate`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence

from regsite.effective import (
    EffectiveRequirement,
    effective_release,
    effective_specifier,
    selected,
    widened,
)
from regsite.errors import SourceProblem
from regsite.model import Amendment, Narrowing, PackageAmendments
from regsite.summary import PackageSummary, Requirement
from regsite.versions import Specifier, Version, VersionScheme, VersionSyntaxError

__all__ = ["amendment_problems"]

_SHOWN = 5  # releases named in one message

Parse = Callable[[str], Specifier]
Versions = Callable[[tuple[str, ...]], tuple[Version, ...]]


def amendment_problems(
    amendments: PackageAmendments,
    package: PackageSummary,
    requirements: Sequence[Requirement],
    packages: Mapping[str, PackageSummary],
    present: Collection[str],
    scheme: VersionScheme,
    parse: tuple[Parse, Versions],
    *,
    taken: Mapping[str, str],
) -> list[SourceProblem]:
    """Every problem of ``package``'s amendments; ``parse`` reads specifiers and version lists
    (the validation stage's caches); ``taken``: the names registry.toml takes from an
    upstream, by name, which amendments may not name (docs/curation.md)."""
    path = amendments.source.path
    problems: list[SourceProblem] = []
    releases = _releases(package, requirements, parse)
    for amendment in amendments.amendments:
        where = f"amendment[{amendment.index}]"
        if (message := _target_problem(amendment, packages, present, taken)) is not None:
            problems.append(SourceProblem(path, where, message))
        elif not any(_in_force(amendment, version, declared) for version, declared in releases):
            problems.append(SourceProblem(path, where, _unused(amendment, package.name)))
        elif (message := _conflict_problem(amendment, releases)) is not None:
            problems.append(SourceProblem(path, f"{where}.conflict", message))
    for where, message in _narrowing_problems(amendments, releases, packages, scheme, parse[1]):
        problems.append(SourceProblem(path, where, message))
    return problems


_Release = tuple[Version, tuple[tuple[str, Specifier], ...]]


def _releases(
    package: PackageSummary, requirements: Sequence[Requirement], parse: tuple[Parse, Versions]
) -> list[_Release]:
    """Each release of the package with its declared requirements, parsed."""
    declared: defaultdict[str, list[tuple[str, Specifier]]] = defaultdict(list)
    for requirement in requirements:
        declared[requirement.release].append((requirement.name, parse[0](requirement.specifier)))
    versions = parse[1](package.versions)
    return [
        (version, tuple(declared[text]))
        for text, version in zip(package.versions, versions, strict=True)
    ]


def _target_problem(
    amendment: Amendment,
    packages: Mapping[str, PackageSummary],
    present: Collection[str],
    taken: Mapping[str, str],
) -> str | None:
    if amendment.target in packages or amendment.target in present:
        return None
    key = "conflict" if amendment.narrowing is Narrowing.CONFLICT else "dependency"
    if (upstream := taken.get(amendment.target)) is not None:
        return (
            f"{key} {amendment.target!r} is taken from upstream {upstream!r}: curators amend"
            " requirements on this registry's own packages only, since the proof that an"
            " amendment only narrows reads every version of the dependency, and an upstream's"
            " versions change without this source changing; ask the owners to narrow the"
            f" requirement in package.toml, or {upstream!r}'s curators to amend their package"
        )
    return f"{key} {amendment.target!r} is not a package of this registry"


def _in_force(
    amendment: Amendment, version: Version, declared: Sequence[tuple[str, Specifier]]
) -> bool:
    if not amendment.applies_to(version):
        return False
    return amendment.narrowing is Narrowing.CONFLICT or any(
        name == amendment.target for name, _ in declared
    )


def _conflict_problem(amendment: Amendment, releases: Sequence[_Release]) -> str | None:
    """A conflict with a package the release itself requires would take the release out of use
    (or narrow its requirement unseen): that is a bound's or an exclusion's job."""
    if amendment.narrowing is not Narrowing.CONFLICT:
        return None
    requiring = [
        str(version)
        for version, declared in releases
        if amendment.applies_to(version) and any(n == amendment.target for n, _ in declared)
    ]
    if not requiring:
        return None
    return _with_releases(
        f"conflicts with {amendment.target!r}, which the release itself requires; narrow that"
        " requirement with upper-bound or exclude instead (the build checks those only narrow)",
        requiring,
    )


def _unused(amendment: Amendment, package: str) -> str:
    what = f"that requires {amendment.target!r}"
    if amendment.narrowing is Narrowing.CONFLICT:
        what = "at all"
    return (
        f"applies to no release of {package!r} {what} (releases = {str(amendment.releases)!r});"
        " fix its releases or dependency, or remove it"
    )


def _narrowing_problems(
    amendments: PackageAmendments,
    releases: Sequence[_Release],
    packages: Mapping[str, PackageSummary],
    scheme: VersionScheme,
    versions_of: Versions,
) -> list[tuple[str, str]]:
    """Widening bounds, and requirements the amendments leave unsatisfiable, one problem per
    amendment, naming the releases concerned."""
    found: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    # Releases share requirements and amendments: each distinct one is checked once.
    checked: dict[tuple[str, ...], list[tuple[str, str]]] = {}
    for version, declared in releases:
        effective = effective_release(version, declared, amendments.amendments)
        for requirement in effective.requires if effective else ():
            target = packages.get(requirement.name)
            if requirement.amended and target is not None:
                key = _requirement_key(requirement)
                if key not in checked:
                    existing = versions_of(target.versions)
                    checked[key] = _requirement_problems(scheme, requirement, existing, amendments)
                for problem in checked[key]:
                    found[problem].append(str(version))
    return [(where, _with_releases(message, shown)) for (where, message), shown in found.items()]


def _requirement_key(requirement: EffectiveRequirement) -> tuple[str, ...]:
    """What :func:`_requirement_problems` reads of a requirement (the target's versions are
    the same for every release of the package)."""
    parts = (requirement.name, str(requirement.declared), str(requirement.bound))
    return (*parts, *map(str, requirement.excluded), "|", *map(str, requirement.amendments))


def _requirement_problems(
    scheme: VersionScheme,
    requirement: EffectiveRequirement,
    existing: tuple[Version, ...],
    amendments: PackageAmendments,
) -> list[tuple[str, str]]:
    problems = []
    by_index = {amendment.index: amendment for amendment in amendments.amendments}
    for index in requirement.amendments:
        amendment = by_index[index]
        if amendment.narrowing is not Narrowing.UPPER_BOUND or amendment.version is None:
            continue
        wider = widened(scheme, requirement.declared, amendment.version, existing)
        if wider:
            problems.append((f"amendment[{amendment.index}].upper-bound", _widens(wider, scheme)))
    try:
        effective_specifier(scheme, requirement)
    except VersionSyntaxError as error:
        where = f"amendment[{requirement.amendments[-1]}]"
        return [*problems, (where, f"cannot be added to {requirement.name}'s requirement: {error}")]
    satisfiable = scheme.select([requirement.declared], existing)  # else the owner's problem
    if not problems and satisfiable and not selected(scheme, requirement, existing):
        where = f"amendment[{requirement.amendments[-1]}]"
        problems.append((where, _unsatisfiable(requirement, existing)))
    return problems


def _widens(wider: Sequence[Version], scheme: VersionScheme) -> str:
    shown = ", ".join(str(version) for version in wider[:_SHOWN])
    return (
        f"widens what the owner allowed: with this bound, the {scheme.name} scheme would choose"
        f" {shown}, which the owner's requirement alone never chooses (a pre-release is chosen"
        " only when nothing else matches); an amendment may only narrow: exclude versions"
        " instead, or remove it"
    )


def _unsatisfiable(requirement: EffectiveRequirement, existing: Sequence[Version]) -> str:
    known = ", ".join(str(version) for version in existing[:10]) or "none"
    amended = ", ".join(f"amendment[{index}]" for index in requirement.amendments)
    return (
        f"with {amended}, no release of {requirement.name!r} satisfies the requirement"
        f" {str(requirement.declared) or '*'} any more (releases: {known}); loosen the bound or"
        " drop the exclusion (to take a release out of use, its owners yank it)"
    )


def _with_releases(message: str, releases: Sequence[str]) -> str:
    unique = list(dict.fromkeys(releases))
    more = f" and {len(unique) - _SHOWN} more" if len(unique) > _SHOWN else ""
    return f"on release {', '.join(unique[:_SHOWN])}{more}: {message}"
