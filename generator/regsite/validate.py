"""Validate stage: checks across files, once every package has been summarised."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cache

from regsite.errors import ErrorReport, SourceProblem
from regsite.model import Registry
from regsite.summary import PackageSummary
from regsite.versions import Specifier, Version, VersionScheme

__all__ = ["check_delegations", "requirement_problems", "validate_site"]


def validate_site(
    registry: Registry,
    packages: Mapping[str, PackageSummary],
    present: Collection[str],
    report: ErrorReport,
) -> None:
    """Check delegations against package directories and every dependency against releases."""
    check_delegations(registry, present, report)
    for package in packages.values():
        report.extend(requirement_problems(package, packages, present, registry.version_scheme))


def check_delegations(registry: Registry, present: Collection[str], report: ErrorReport) -> None:
    for name in sorted(set(registry.delegations) - set(present)):
        report.add(
            registry.source.path,
            f"packages.{name}",
            f"package is delegated but packages/{name}/package.toml does not exist",
        )


def requirement_problems(
    package: PackageSummary,
    packages: Mapping[str, PackageSummary],
    present: Collection[str],
    scheme: VersionScheme,
) -> list[SourceProblem]:
    """Each dependency must name a package here and be satisfied by one of its releases, as the
    registry's version ``scheme`` matches them.

    ``present`` holds every package directory found, including ones that failed to load, so a
    broken package is reported once, not again by every package that depends on it.
    """
    problems = []
    for requirement in package.requirements:
        where = f"release[version={requirement.release}].requires.{requirement.name}"
        target = packages.get(requirement.name)
        if target is None:
            if requirement.name not in present:
                message = (
                    f"depends on {requirement.name!r}, which is not a package of this registry"
                )
                problems.append(SourceProblem(package.source_path, where, message))
            continue
        if not _satisfiable(scheme, requirement.specifier, target.versions):
            known = ", ".join(target.versions[:10]) or "none"
            message = (
                f"no release of {requirement.name!r} satisfies {requirement.specifier or '*'}"
                f" (releases: {known})"
            )
            problems.append(SourceProblem(package.source_path, where, message))
    return problems


# Summaries hold versions and specifiers as their normal-form strings (small to keep and to cache);
# they are parsed again here, once per distinct string.


@cache
def _satisfiable(scheme: VersionScheme, specifier: str, versions: tuple[str, ...]) -> bool:
    return bool(scheme.select([_specifier(scheme, specifier)], _versions(scheme, versions)))


@cache
def _specifier(scheme: VersionScheme, text: str) -> Specifier:
    return scheme.parse_specifier(text)


@cache
def _versions(scheme: VersionScheme, texts: tuple[str, ...]) -> tuple[Version, ...]:
    return tuple(scheme.parse_version(text) for text in texts)
