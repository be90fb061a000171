"""Validate stage: checks across files, once every package has been modelled."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from regsite.errors import ErrorReport
from regsite.model import Package, Registry

__all__ = ["check_dependencies", "validate_site"]


def validate_site(
    registry: Registry,
    packages: Mapping[str, Package],
    present: Collection[str],
    report: ErrorReport,
) -> None:
    """Check delegations against package directories and every dependency against releases.

    ``present`` holds every package directory found, including ones that failed to load, so a
    broken package is reported once, not again by every package that depends on it.
    """
    for name in sorted(set(registry.delegations) - set(present)):
        report.add(
            registry.source.path,
            f"packages.{name}",
            f"package is delegated but packages/{name}/package.toml does not exist",
        )
    for package in packages.values():
        check_dependencies(package, packages, present, report)


def check_dependencies(
    package: Package,
    packages: Mapping[str, Package],
    present: Collection[str],
    report: ErrorReport,
) -> None:
    """Each dependency must name a package here and be satisfied by one of its releases."""
    for release in package.releases:
        for dependency in release.requires:
            where = f"release[version={release.version}].requires.{dependency.name}"
            target = packages.get(dependency.name)
            if target is None:
                if dependency.name not in present:
                    report.add(
                        package.source.path,
                        where,
                        f"depends on {dependency.name!r}, which is not a package of this registry",
                    )
                continue
            versions = [candidate.version for candidate in target.releases]
            if not any(True for _ in dependency.specifier.filter(versions)):
                known = ", ".join(str(version) for version in versions[:10]) or "none"
                report.add(
                    package.source.path,
                    where,
                    f"no release of {dependency.name!r} satisfies {dependency.specifier or '*'!s}"
                    f" (releases: {known})",
                )
