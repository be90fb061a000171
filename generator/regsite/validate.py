"""Validate stage: every problem in the source, found in one run and reported together.

The scan already found the problems inside each file (signatures, delegations of a signed file,
names, versions, URLs, limits, hosted files, what a flavour cannot publish).  This stage adds
the ones across files (a delegation without a package, a dependency that no release satisfies)
and the build's own (the base URL, what a flavour needs of it), so that a contributor never
needs two builds to see two problems.  Requirement checks are memoised under
the requirements and the versions of the packages they name, and run in workers.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial

from regsite.amendment_checks import amendment_problems
from regsite.catalog import Catalog
from regsite.errors import ErrorReport, SourceProblem
from regsite.fields import url_problem
from regsite.memo import Memo, digest_of
from regsite.model import Narrowing, PackageAmendments, Registry
from regsite.render.flavours import flavour_site_problems
from regsite.summary import PackageSummary, Requirement
from regsite.upstream_checks import Upstreams, confusion_problems
from regsite.versions import Specifier, Version, VersionScheme
from regsite.workers import context, run

__all__ = ["check_delegations", "edited_requirement_problems", "requirement_problems", "validate"]


def validate(
    catalog: Catalog, base_url: str | None, jobs: int, advance: Callable[[], None]
) -> ErrorReport:
    """Every problem of the source; empty when the site may be built."""
    report = ErrorReport()
    report.extend(catalog.scan.problems)
    report.extend(catalog.problems)
    report.extend(catalog.curation.problems)
    report.extend(catalog.advisories.problems)
    if base_url is not None and (problem := url_problem(base_url)) is not None:
        report.add("--base-url", "", problem)
    report.extend(catalog.upstreams.problems)
    registry = catalog.registry
    if registry is not None:
        check_delegations(registry, catalog.scan.directories, report)
        report.extend(flavour_site_problems(registry))  # its base URL is the build's by now
        report.extend(confusion_problems(registry, catalog.scan.directories, catalog.upstreams))
        upstreams = Upstreams.of(registry, catalog.upstreams)
        report.extend(_requirements(catalog, registry.version_scheme, upstreams, jobs, advance))
    return report


def check_delegations(registry: Registry, present: Collection[str], report: ErrorReport) -> None:
    for name in sorted(set(registry.delegations) - set(present)):
        report.add(
            registry.source.path,
            f"packages.{name}",
            f"package is delegated but packages/{name}/package.toml does not exist",
        )


@dataclass(frozen=True, slots=True)
class _Checks:
    """What a worker checking requirements reads."""

    catalog: Catalog
    scheme: VersionScheme
    present: frozenset[str]
    upstreams: Upstreams


def _requirements(
    catalog: Catalog,
    scheme: VersionScheme,
    upstreams: Upstreams,
    jobs: int,
    advance: Callable[[], None],
) -> list[SourceProblem]:
    memo = catalog.memo
    present = frozenset(catalog.scan.directories)
    problems: list[SourceProblem] = []
    missed: list[tuple[str, bytes]] = []
    for summary in catalog.summaries.values():
        amendments = catalog.curation.amendments.get(summary.name)
        key = _check_key(memo, summary, catalog.summaries, present, scheme, upstreams, amendments)
        found: tuple[SourceProblem, ...] | None = memo.get("requirements", key)
        if found is None:
            missed.append((summary.name, key))
        else:
            problems.extend(found)
            advance()

    def done(result: tuple[bytes, tuple[SourceProblem, ...]]) -> None:
        memo.put("requirements", *result)
        problems.extend(result[1])
        advance()

    memo.flush()  # the workers read the packages' details from it
    run(_check_package, missed, _Checks(catalog, scheme, present, upstreams), jobs, done)
    return problems


def _check_key(
    memo: Memo,
    summary: PackageSummary,
    packages: Mapping[str, PackageSummary],
    present: Collection[str],
    scheme: VersionScheme,
    upstreams: Upstreams,
    amendments: PackageAmendments | None,
) -> bytes:
    """The package's requirements and what they are checked against: each target's versions,
    here or where registry.toml takes it from; and its amendments, with the packages its
    conflicts name."""
    parts: list[bytes | str] = [scheme.name, summary.source_path, summary.requirements_digest]
    parts.append(upstreams.identity)
    targets = set(summary.targets)
    if amendments is not None:
        parts += ["amendments", amendments.source.content, *summary.versions]
        targets.update(a.target for a in amendments.amendments if a.narrowing is Narrowing.CONFLICT)
    for target in sorted(targets):
        found = packages.get(target)
        parts += [target, digest_of(found.versions) if found else f"absent {target in present}"]
        if target in upstreams.taken:
            parts.append(upstreams.versions_digest(target))
    return memo.key("requirements", parts)


def _check_package(item: tuple[str, bytes]) -> tuple[bytes, tuple[SourceProblem, ...]]:
    name, key = item
    checks: _Checks = context()
    summary = checks.catalog.summaries[name]
    details = checks.catalog.details(summary)
    found = requirement_problems(
        summary.source_path,
        details.requirements,
        checks.catalog.summaries,
        checks.present,
        checks.scheme,
        checks.upstreams,
    )
    amendments = checks.catalog.curation.amendments.get(name)
    if amendments is not None:
        parse = (partial(_specifier, checks.scheme), partial(_versions, checks.scheme))
        found += amendment_problems(
            amendments,
            summary,
            details.requirements,
            checks.catalog.summaries,
            checks.present,
            checks.scheme,
            parse,
            taken=checks.upstreams.taken,
        )
    return key, tuple(found)


def requirement_problems(
    source_path: str,
    requirements: Sequence[Requirement],
    packages: Mapping[str, PackageSummary],
    present: Collection[str],
    scheme: VersionScheme,
    upstreams: Upstreams,
) -> list[SourceProblem]:
    """Each dependency must name a package here, or one registry.toml takes from the upstream
    it names, and be satisfied by one of its releases, as the registry's version ``scheme``
    matches them (an upstream's releases only once fetched: ``upstreams.versions``).

    ``present`` holds every package directory found, including ones that failed to load, so a
    broken package is reported once, not again by every package that depends on it.
    """
    problems = []
    for requirement in requirements:
        where = f"release[version={requirement.release}].requires.{requirement.name}"
        if requirement.upstream:
            message = _upstream_problem(requirement, upstreams, scheme)
        else:
            message = _local_problem(requirement, packages, present, upstreams, scheme)
        if message is not None:
            problems.append(SourceProblem(source_path, where, message))
    return problems


def edited_requirement_problems(
    registry: Registry,
    source_path: str,
    requirements: Sequence[Requirement],
    packages: Mapping[str, PackageSummary],
    present: Collection[str],
) -> list[SourceProblem]:
    """:func:`requirement_problems` for an edit of the source, which fetches nothing: a
    requirement on an upstream is checked by name, its releases are the build's to check."""
    upstreams = Upstreams.of(registry)
    scheme = registry.version_scheme
    return requirement_problems(source_path, requirements, packages, present, scheme, upstreams)


def _local_problem(
    requirement: Requirement,
    packages: Mapping[str, PackageSummary],
    present: Collection[str],
    upstreams: Upstreams,
    scheme: VersionScheme,
) -> str | None:
    target = packages.get(requirement.name)
    if target is None:
        if requirement.name in present:
            return None  # its own problems are reported
        if (upstream := upstreams.taken.get(requirement.name)) is not None:
            return (
                f"depends on {requirement.name!r}, which registry.toml takes from upstream"
                f" {upstream!r}: write {requirement.name} = {{ version ="
                f' "{requirement.specifier or "*"}", upstream = "{upstream}" }}'
            )
        return f"depends on {requirement.name!r}, which is not a package of this registry"
    return _unsatisfied(requirement, target.versions, scheme, "")


def _upstream_problem(
    requirement: Requirement, upstreams: Upstreams, scheme: VersionScheme
) -> str | None:
    name, upstream = requirement.name, requirement.upstream
    if upstream not in upstreams.declared:
        known = ", ".join(sorted(upstreams.declared)) or "none"
        return f"upstream {upstream!r} is not an [[upstream]] of registry.toml (upstreams: {known})"
    if upstreams.taken.get(name) != upstream:
        return (
            f"{name!r} is not taken from upstream {upstream!r}: add it to that [[upstream]]'s"
            " packages in registry.toml"
        )
    versions = None if upstreams.versions is None else upstreams.versions.get(name)
    if versions is None:
        return None  # not fetched (an edit), or the upstream's own problem is reported
    return _unsatisfied(requirement, versions, scheme, f" in upstream {upstream!r}")


def _unsatisfied(
    requirement: Requirement, versions: tuple[str, ...], scheme: VersionScheme, where: str
) -> str | None:
    if _satisfiable(scheme, requirement.specifier, versions):
        return None
    known = ", ".join(versions[:10]) or "none"
    return (
        f"no release of {requirement.name!r}{where} satisfies {requirement.specifier or '*'}"
        f" (releases: {known})"
    )


# Summaries hold versions and specifiers as their normal-form strings (small to keep and to cache);
# they are parsed again here, once per distinct string while it is in use.


@lru_cache(maxsize=65536)
def _satisfiable(scheme: VersionScheme, specifier: str, versions: tuple[str, ...]) -> bool:
    return bool(scheme.select([_specifier(scheme, specifier)], _versions(scheme, versions)))


@lru_cache(maxsize=16384)
def _specifier(scheme: VersionScheme, text: str) -> Specifier:
    return scheme.parse_specifier(text)


@lru_cache(maxsize=4096)  # a registry's most depended-upon packages, parsed once
def _versions(scheme: VersionScheme, texts: tuple[str, ...]) -> tuple[Version, ...]:
    return tuple(scheme.parse_version(text) for text in texts)
