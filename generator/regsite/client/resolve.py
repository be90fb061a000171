"""Choose one release per package so that every requirement holds, with resolvelib as pip does.

Curators' amendments (docs/curation.md) reach the resolver as filters on a requirement (an upper
bound, excluded versions) applied after the version scheme has chosen what the owner's specifier
and yours admit, so an amendment can only remove versions, never add one; and as conflicts: a
package that must not be installed beside a release.  A package named only by conflicts is
resolved to "not installed", unless some requirement needs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from packaging.specifiers import SpecifierSet
from resolvelib import AbstractProvider, BaseReporter, Resolver
from resolvelib.resolvers import (
    RequirementInformation,
    ResolutionImpossible,
    ResolutionTooDeep,
)

from regsite.client.environment import LockEnvironment
from regsite.effective import (
    EffectiveRelease,
    EffectiveRequirement,
    bound_specifier,
    release_effective,
)
from regsite.errors import RegistryError
from regsite.model import Dependency, PackageAmendments, Release, ReleaseStatus
from regsite.names import name_problem, normalize_name
from regsite.requires import extra_problem
from regsite.versions import PEP440, Specifier, Version, VersionScheme, VersionSyntaxError

__all__ = [
    "MAX_ROUNDS",
    "Amended",
    "Candidates",
    "Requirement",
    "Requires",
    "ResolutionError",
    "ResolutionGaveUp",
    "Resolvable",
    "amended_requirements",
    "parse_requirement",
    "resolve",
]

MAX_ROUNDS = 10_000  # resolvelib rounds (one pin or backtrack each) before giving up
_VERSIONS_SHOWN = 10  # versions listed per package in a conflict message
_ROOT = "your requirements"


class ResolutionError(RegistryError):
    """The requirements are malformed, name a missing package, or cannot all hold at once."""


class ResolutionGaveUp(ResolutionError):
    """The search reached its bound on rounds before it could decide."""


class Resolvable(Protocol):
    """A release as the resolver reads it: a model :class:`~regsite.model.Release`, or a
    release read from a shard (client/portable.py)."""

    @property
    def version(self) -> Version: ...

    @property
    def status(self) -> ReleaseStatus: ...

    @property
    def requires(self) -> Sequence[Dependency]: ...

    @property
    def requires_python(self) -> SpecifierSet | None: ...


_R = TypeVar("_R", bound=Resolvable)
# (package name, release, its dependencies to resolve) -> them, bound to their registries
Requires = Callable[[str, _R, Sequence[Dependency]], Sequence[Dependency]]
_R_co = TypeVar("_R_co", bound=Resolvable, covariant=True)


class Candidates(Protocol[_R_co]):
    """A package as the resolver reads it: its releases, newest version first."""

    @property
    def releases(self) -> Sequence[_R_co]: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class Requirement:
    """A normalised package name, the extras wanted (PEP 440 only) and the versions wanted."""

    name: str
    specifier: Specifier  # in the registry's version scheme
    extras: tuple[str, ...] = ()  # normalised, sorted
    amended: tuple[Specifier, ...] = ()  # curators' upper bounds, applied after the scheme's choice
    excluded: frozenset[Version] = frozenset()  # versions curators left out
    conflict: bool = False  # the versions ``specifier`` admits must NOT be installed

    @property
    def identity(self) -> str:
        """What the resolver tells apart: ``name``, or ``name[extra,…]`` (as pip does)."""
        return f"{self.name}[{','.join(self.extras)}]" if self.extras else self.name

    def __str__(self) -> str:
        text = self.specifier.with_name(self.identity)
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


# A release's amendments in force, by its package's name (None: none is).
Amended = Callable[[str, _R], EffectiveRelease | None]


def amended_requirements(
    release: Release,
    amendments: PackageAmendments | None,
    scheme: VersionScheme,
    ignore: Collection[str] = (),
) -> list[Requirement]:
    """Every requirement of a release with its amendments in force, but those on packages in
    ``ignore`` (``--ignore-amendments-on``): the owner's always hold."""
    found = None
    if amendments is not None:
        found = release_effective(release, amendments.amendments, ignore=ignore)
    narrowed = {requirement.name: requirement for requirement in found.requires} if found else {}
    requirements = [
        _requirement(dependency, narrowed.get(dependency.name), scheme)
        for dependency in release.requires
    ]
    return requirements + _conflicts(found)


def _requirement(
    dependency: Dependency, effective: EffectiveRequirement | None, scheme: VersionScheme
) -> Requirement:
    """The owner's requirement, with the curators' bound and exclusions if any."""
    bound = None if effective is None else effective.bound
    return Requirement(
        name=normalize_name(dependency.name),
        specifier=dependency.specifier,
        extras=dependency.extras,
        amended=() if bound is None else (bound_specifier(scheme, bound),),
        excluded=frozenset(effective.excluded) if effective else frozenset(),
    )


def _conflicts(found: EffectiveRelease | None) -> list[Requirement]:
    return [
        Requirement(name=conflict.name, specifier=conflict.versions, conflict=True)
        for conflict in (found.conflicts if found else ())
    ]


# A PEP 508 name followed by extras: "widget[cli, socks]>=1".
_EXTRAS = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*\[([^\]]*)\](.*)", re.S)


def parse_requirement(text: str, scheme: VersionScheme) -> Requirement:
    """Parse ``name`` or a name and specifier as written by a user in the registry's ``scheme``:
    ``alpha>=1.0,<2`` or ``alpha[extra]>=1`` (PEP 440), ``alpha ^1.2`` or ``alpha@1.2``
    (semver)."""
    extras: tuple[str, ...] = ()
    match = _EXTRAS.fullmatch(text) if scheme is PEP440 else None
    if match is not None:
        extras = _extras(text, match[2])
        text = match[1] + match[3]
    try:
        raw_name, specifier = scheme.parse_requirement(text)
    except VersionSyntaxError as error:
        raise ResolutionError(f"invalid requirement {text!r}: {error}") from error
    name = normalize_name(raw_name)
    if (problem := name_problem(name)) is not None:
        raise ResolutionError(f"invalid requirement {text!r}: {problem}")
    return Requirement(name=name, specifier=specifier, extras=extras)


def _extras(text: str, listed: str) -> tuple[str, ...]:
    extras = [normalize_name(extra.strip()) for extra in listed.split(",") if extra.strip()]
    for extra in extras:
        if (problem := extra_problem(extra)) is not None:
            raise ResolutionError(f"invalid requirement {text!r}: {problem}")
    return tuple(sorted(set(extras)))


def resolve(
    requirements: Sequence[Requirement],
    get_package: Callable[[str], Candidates[_R]],
    scheme: VersionScheme,
    amended: Amended[_R] | None = None,
    requires: Requires[_R] | None = None,
    *,
    max_rounds: int = MAX_ROUNDS,
) -> dict[str, _R]:
    """Pick a release for every package needed; ``get_package`` raises KeyError for unknown names.
    Versions are chosen and matched as the registry's version ``scheme`` says; ``amended`` gives
    a release's amendments in force (default: none).  ``requires`` is given a release's
    dependencies that are to be resolved and returns them (default: as they are); across
    registries it also binds each to where it comes from (:mod:`regsite.client.view`).

    Returns package name -> release, sorted by name.
    """
    provider: _Provider[_R] = _Provider(
        get_package, requirements, scheme, requires or _listed, amended
    )
    resolver: Resolver[Requirement, _Candidate[_R], str] = Resolver(provider, BaseReporter())
    try:
        result = resolver.resolve(requirements, max_rounds=max_rounds)
    except ResolutionImpossible as error:
        raise provider.explain(error.causes) from error
    except ResolutionTooDeep as error:
        raise ResolutionGaveUp(
            f"gave up after {error.round_count} rounds of backtracking;"
            " pin some versions with '==' to narrow the search"
        ) from error
    # name[extra] is pinned to the very release of name, so one release per package remains.
    chosen = {
        candidate.name: candidate.release
        for candidate in result.mapping.values()
        if candidate.release is not None  # a package only conflicts named: not installed
    }
    return {name: chosen[name] for name in sorted(chosen)}


@dataclass(frozen=True, slots=True)
class _Candidate(Generic[_R]):
    name: str
    version: Version | None  # None: not installed (only conflicts name the package)
    release: _R | None = field(compare=False)
    extras: tuple[str, ...] = ()

    @property
    def identity(self) -> str:
        return f"{self.name}[{','.join(self.extras)}]" if self.extras else self.name

    def __str__(self) -> str:
        if self.version is None:
            return f"{self.identity} (not installed)"
        return f"{self.identity} {self.version}"


_Cause = RequirementInformation[Requirement, _Candidate[Any]]


class _Provider(AbstractProvider[Requirement, _Candidate[_R], str]):
    def __init__(
        self,
        get_package: Callable[[str], Candidates[_R]],
        roots: Iterable[Requirement],
        scheme: VersionScheme,
        requires: Requires[_R],
        amended: Amended[_R] | None = None,
    ) -> None:
        self._get_package = get_package
        self._requires = requires
        self._scheme = scheme
        self._amended: Amended[_R] = amended or (lambda name, release: None)
        self._packages: dict[str, Candidates[_R] | None] = {}
        # Who asked for each name, to explain conflicts; the user's own requirements win.
        self._roots = frozenset(requirement.name for requirement in roots)
        self._parents: dict[str, _Candidate[_R]] = {}
        self._environment = LockEnvironment.here(scheme)

    def package(self, name: str) -> Candidates[_R] | None:
        if name not in self._packages:
            try:
                self._packages[name] = self._get_package(name)
            except KeyError:
                self._packages[name] = None
        return self._packages[name]

    def identify(self, requirement_or_candidate: Requirement | _Candidate[_R]) -> str:
        return requirement_or_candidate.identity

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, _Candidate[_R]],
        candidates: Mapping[str, Iterator[_Candidate[_R]]],
        information: Mapping[str, Iterator[_Cause]],
        backtrack_causes: Sequence[_Cause],
    ) -> tuple[int, str]:
        # Fewest choices first: exact pins settle at once and conflicts surface early.
        return sum(1 for _ in candidates[identifier]), identifier

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Requirement]],
        incompatibilities: Mapping[str, Iterator[_Candidate[_R]]],
    ) -> list[_Candidate[_R]]:
        wanted = list(requirements[identifier])
        name, extras = wanted[0].name, wanted[0].extras
        needed = [requirement for requirement in wanted if not requirement.conflict]
        excluded = {candidate.version for candidate in incompatibilities[identifier]}
        if not needed:  # only conflicts name it: leave it out
            return [] if None in excluded else [_Candidate(name, None, None)]
        package = self.package(name)
        if package is None:
            return []
        releases = {
            release.version: release
            for release in package.releases
            if release.version not in excluded
            and _allowed(release, needed)
            and self._environment.supports(release.requires_python)
        }
        # The scheme's rules for choosing pre-releases over what the owners' and your
        # specifiers admit; the newest-first order is kept. Curators' narrowing only filters.
        chosen = self._scheme.select([requirement.specifier for requirement in needed], releases)
        return [
            _Candidate(name, version, releases[version], extras)
            for version in chosen
            if all(requirement.narrowed(version) for requirement in wanted)
        ]

    def is_satisfied_by(self, requirement: Requirement, candidate: _Candidate[_R]) -> bool:
        if candidate.version is None:
            return requirement.conflict
        return requirement.admits(candidate.version)

    def get_dependencies(self, candidate: _Candidate[_R]) -> list[Requirement]:
        if candidate.release is None:
            return []
        found = self._amended(candidate.name, candidate.release)
        narrowed = (
            {requirement.name: requirement for requirement in found.requires} if found else {}
        )
        release, extras = candidate.release, candidate.extras
        requirements = [
            _requirement(d, narrowed.get(d.name), self._scheme)
            for d in self._requires(candidate.name, release, self._wanted(release, extras))
        ]
        requirements += _conflicts(found)
        for requirement in requirements:
            self._parents[requirement.name] = candidate
        if candidate.extras:  # name[extra] is name itself, with more dependencies
            exact = self._scheme.parse_specifier(f"=={candidate.version}")
            requirements.append(Requirement(name=candidate.name, specifier=exact))
        return requirements

    def _wanted(self, release: _R, extras: tuple[str, ...]) -> list[Dependency]:
        """The dependencies resolved with a release: this registry's and its upstreams', not
        cargo's other registries' nor its dev and optional ones (not installed with it)."""
        return [
            d
            for d in release.requires
            if d.checked and d.installed and self._environment.applies(d, extras)
        ]

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

    def _chain(self, parent: _Candidate[_R] | None) -> str:
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


def _listed(name: str, release: _R, dependencies: Sequence[Dependency]) -> Sequence[Dependency]:
    return dependencies


def _allowed(release: Resolvable, wanted: Iterable[Requirement]) -> bool:
    """Yanked releases count only when a requirement pins exactly that version."""
    return release.status is not ReleaseStatus.YANKED or any(
        requirement.specifier.pins(release.version) for requirement in wanted
    )
