"""Choose one release per package so that every requirement holds, with resolvelib as pip does.

Curators' amendments (docs/curation.md) reach the resolver as filters on a requirement (an upper
bound, excluded versions) applied after the version scheme has chosen what the owner's specifier
and yours admit, so an amendment can only remove versions, never add one; and as conflicts: a
package that must not be installed beside a release.  A package named only by conflicts is
resolved to "not installed", unless some requirement needs it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import (
    RequirementInformation,
    ResolutionImpossible,
    ResolutionTooDeep,
)

from regsite.effective import bound_specifier, release_effective
from regsite.errors import RegistryError
from regsite.model import Package, PackageAmendments, Release, ReleaseStatus
from regsite.names import name_problem, normalize_name
from regsite.versions import Specifier, Version, VersionScheme, VersionSyntaxError

__all__ = [
    "MAX_ROUNDS",
    "Dependencies",
    "Requirement",
    "ResolutionError",
    "amended_requirements",
    "parse_requirement",
    "resolve",
]

MAX_ROUNDS = 10_000  # resolvelib rounds (one pin or backtrack each) before giving up
_VERSIONS_SHOWN = 10  # versions listed per package in a conflict message
_ROOT = "your requirements"


class ResolutionError(RegistryError):
    """The requirements are malformed, name a missing package, or cannot all hold at once."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Requirement:
    """A normalised package name and the versions wanted; no extras, markers or URLs."""

    name: str
    specifier: Specifier  # in the registry's version scheme
    amended: tuple[Specifier, ...] = ()  # curators' upper bounds, applied after the scheme's choice
    excluded: frozenset[Version] = frozenset()  # versions curators left out
    conflict: bool = False  # the versions ``specifier`` admits must NOT be installed

    def __str__(self) -> str:
        text = self.specifier.with_name(self.name)
        if self.conflict:
            return f"no {text} (a curator's conflict)"
        narrowed = [str(bound) for bound in self.amended]
        narrowed += [f"!={version}" for version in sorted(self.excluded)]
        return f"{text} (amended: {', '.join(narrowed)})" if narrowed else text

    def admits(self, version: Version) -> bool:
        """Whether ``version`` satisfies it, curators' narrowing included."""
        if self.conflict:
            return not self.specifier.admits(version)
        return self.specifier.admits(version) and self.narrowed(version)

    def narrowed(self, version: Version) -> bool:
        """Whether the curators' narrowing leaves ``version`` in."""
        if self.conflict:
            return not self.specifier.admits(version)
        bounded = all(bound.admits(version) for bound in self.amended)
        return bounded and version not in self.excluded


Dependencies = Callable[[str, Release], Sequence[Requirement]]


def amended_requirements(
    release: Release,
    amendments: PackageAmendments | None,
    scheme: VersionScheme,
    ignore: Collection[str] = (),
) -> list[Requirement]:
    """A release's requirements with its amendments in force, but those on packages in
    ``ignore`` (``--ignore-amendments-on``): the owner's always hold."""
    found = None
    if amendments is not None:
        found = release_effective(release, amendments.amendments, ignore=ignore)
    if found is None:
        return [_declared(dependency.name, dependency.specifier) for dependency in release.requires]
    requirements = [
        Requirement(
            name=normalize_name(effective.name),
            specifier=effective.declared,
            amended=() if effective.bound is None else (bound_specifier(scheme, effective.bound),),
            excluded=frozenset(effective.excluded),
        )
        for effective in found.requires
    ]
    conflicts = [
        Requirement(name=conflict.name, specifier=conflict.versions, conflict=True)
        for conflict in found.conflicts
    ]
    return requirements + conflicts


def _declared(name: str, specifier: Specifier) -> Requirement:
    return Requirement(name=normalize_name(name), specifier=specifier)


def parse_requirement(text: str, scheme: VersionScheme) -> Requirement:
    """Parse ``name`` or a name and specifier as written by a user in the registry's ``scheme``:
    ``alpha>=1.0,<2`` (PEP 440), ``alpha ^1.2`` or ``alpha@1.2`` (semver)."""
    try:
        raw_name, specifier = scheme.parse_requirement(text)
    except VersionSyntaxError as error:
        raise ResolutionError(f"invalid requirement {text!r}: {error}") from error
    name = normalize_name(raw_name)
    if (problem := name_problem(name)) is not None:
        raise ResolutionError(f"invalid requirement {text!r}: {problem}")
    return Requirement(name=name, specifier=specifier)


def resolve(
    requirements: Sequence[Requirement],
    get_package: Callable[[str], Package],
    scheme: VersionScheme,
    dependencies: Dependencies | None = None,
) -> dict[str, Release]:
    """Pick a release for every package needed; ``get_package`` raises KeyError for unknown names.
    Versions are chosen and matched as the registry's version ``scheme`` says; ``dependencies``
    gives a release's requirements (default: as its owners declared them).

    Returns package name -> release, sorted by name.
    """
    provider = _Provider(get_package, requirements, scheme, dependencies)
    resolver: Resolver[Requirement, _Candidate, str] = Resolver(provider, BaseReporter())
    try:
        result = resolver.resolve(requirements, max_rounds=MAX_ROUNDS)
    except ResolutionImpossible as error:
        raise provider.explain(error.causes) from error
    except ResolutionTooDeep as error:
        raise ResolutionError(
            f"gave up after {error.round_count} rounds of backtracking;"
            " pin some versions with '==' to narrow the search"
        ) from error
    found = {name: result.mapping[name].release for name in sorted(result.mapping)}
    return {name: release for name, release in found.items() if release is not None}


@dataclass(frozen=True, slots=True)
class _Candidate:
    name: str
    version: Version | None  # None: not installed (only conflicts name the package)
    release: Release | None = field(compare=False)

    def __str__(self) -> str:
        return (
            f"{self.name} (not installed)"
            if self.version is None
            else f"{self.name} {self.version}"
        )


_Cause = RequirementInformation[Requirement, _Candidate]


class _Provider(AbstractProvider[Requirement, _Candidate, str]):
    def __init__(
        self,
        get_package: Callable[[str], Package],
        roots: Iterable[Requirement],
        scheme: VersionScheme,
        dependencies: Dependencies | None = None,
    ) -> None:
        self._get_package = get_package
        self._scheme = scheme
        self._dependencies: Dependencies = dependencies or (
            lambda name, release: [_declared(d.name, d.specifier) for d in release.requires]
        )
        self._packages: dict[str, Package | None] = {}
        # Who asked for each name, to explain conflicts; the user's own requirements win.
        self._roots = frozenset(requirement.name for requirement in roots)
        self._parents: dict[str, _Candidate] = {}

    def package(self, name: str) -> Package | None:
        if name not in self._packages:
            try:
                self._packages[name] = self._get_package(name)
            except KeyError:
                self._packages[name] = None
        return self._packages[name]

    def identify(self, requirement_or_candidate: Requirement | _Candidate) -> str:
        return requirement_or_candidate.name

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, _Candidate],
        candidates: Mapping[str, Iterator[_Candidate]],
        information: Mapping[str, Iterator[_Cause]],
        backtrack_causes: Sequence[_Cause],
    ) -> tuple[int, str]:
        # Fewest choices first: exact pins settle at once and conflicts surface early.
        return sum(1 for _ in candidates[identifier]), identifier

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[_Candidate]],
    ) -> list[_Candidate]:
        wanted = list(requirements[identifier])
        needed = [requirement for requirement in wanted if not requirement.conflict]
        excluded = {candidate.version for candidate in incompatibilities[identifier]}
        if not needed:  # only conflicts name it: leave it out
            return [] if None in excluded else [_Candidate(identifier, None, None)]
        package = self.package(identifier)
        if package is None:
            return []
        releases = {
            release.version: release
            for release in package.releases
            if release.version not in excluded and _allowed(release, needed)
        }
        # The scheme's rules for choosing pre-releases over what the owners' and your
        # specifiers admit; the newest-first order is kept. Curators' narrowing only filters.
        chosen = self._scheme.select([requirement.specifier for requirement in needed], releases)
        return [
            _Candidate(identifier, version, releases[version])
            for version in chosen
            if all(requirement.narrowed(version) for requirement in wanted)
        ]

    def is_satisfied_by(self, requirement: Requirement, candidate: _Candidate) -> bool:
        if candidate.version is None:
            return requirement.conflict
        return requirement.admits(candidate.version)

    def get_dependencies(self, candidate: _Candidate) -> list[Requirement]:
        if candidate.release is None:
            return []
        requirements = list(self._dependencies(candidate.name, candidate.release))
        for requirement in requirements:
            self._parents[requirement.name] = candidate
        return requirements

    def explain(self, causes: Iterable[_Cause]) -> ResolutionError:
        """Turn resolvelib's causes into a message that shows who asked for what."""
        causes = sorted(
            causes, key=lambda c: (c.requirement.name, str(c.requirement), str(c.parent))
        )
        for cause in causes:
            if self.package(cause.requirement.name) is None:
                return ResolutionError(
                    f"no package named {cause.requirement.name!r}"
                    f" (required by {self._chain(cause.parent)})"
                )
        lines = list(
            dict.fromkeys(  # the same requirement may reach resolvelib more than once
                f"{cause.requirement} (required by {self._chain(cause.parent)})" for cause in causes
            )
        )
        names = sorted({cause.requirement.name for cause in causes})
        lines += [self._versions(name) for name in names]
        return ResolutionError(
            "cannot find versions that satisfy every requirement:", details=lines
        )

    def _chain(self, parent: _Candidate | None) -> str:
        parts: list[str] = []
        while parent is not None:
            if str(parent) in parts:  # a dependency cycle
                return " <- ".join([*parts, "..."])
            parts.append(str(parent))
            parent = None if parent.name in self._roots else self._parents.get(parent.name)
        return " <- ".join([*parts, _ROOT])

    def _versions(self, name: str) -> str:
        package = self.package(name)
        releases = package.releases if package is not None else ()
        usable = [str(r.version) for r in releases if r.status is not ReleaseStatus.YANKED]
        yanked = [str(r.version) for r in releases if r.status is ReleaseStatus.YANKED]
        if not yanked:
            return f"{name} has versions {_shown(usable)}" if usable else f"{name} has no releases"
        pin = f"a requirement that pins one exactly, like '{name}=={yanked[0]}', selects it"
        if not usable:
            return f"every release of {name} is yanked ({_shown(yanked)}); {pin}"
        return f"{name} has versions {_shown(usable)}; yanked: {_shown(yanked)} ({pin})"


def _shown(versions: list[str]) -> str:
    """The newest versions, and how many older ones are left out."""
    more = len(versions) - _VERSIONS_SHOWN
    older = f" and {more} older" if more > 0 else ""
    return ", ".join(versions[:_VERSIONS_SHOWN]) + older


def _allowed(release: Release, wanted: Iterable[Requirement]) -> bool:
    """Yanked releases count only when a requirement pins exactly that version."""
    return release.status is not ReleaseStatus.YANKED or any(
        requirement.specifier.pins(release.version) for requirement in wanted
    )
