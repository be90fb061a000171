"""Assemble the :class:`Site` from the validated model, with its derived indexes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime

from regsite.model import Package, Registry, ReleaseStatus, Site

__all__ = ["assemble_site", "dependents_of", "source_date"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def assemble_site(
    registry: Registry, packages: Mapping[str, Package], source_date_epoch: int | None
) -> Site:
    ordered = {name: packages[name] for name in sorted(packages)}
    return Site(
        registry=registry,
        packages=ordered,
        dependents=dependents_of(ordered),
        updated=source_date(ordered, source_date_epoch),
    )


def dependents_of(packages: Mapping[str, Package]) -> dict[str, tuple[str, ...]]:
    """Map each package to the packages with a non-yanked release that requires it."""
    found: defaultdict[str, set[str]] = defaultdict(set)
    for package in packages.values():
        for release in package.releases:
            if release.status is ReleaseStatus.YANKED:
                continue
            for dependency in release.requires:
                found[dependency.name].add(package.name)
    return {name: tuple(sorted(found.get(name, ()))) for name in packages}


def source_date(packages: Mapping[str, Package], source_date_epoch: int | None) -> datetime:
    """``SOURCE_DATE_EPOCH`` if given, else the newest publish time: never the wall clock."""
    if source_date_epoch is not None:
        return datetime.fromtimestamp(source_date_epoch, tz=UTC)
    published = [r.published for p in packages.values() for r in p.releases]
    return max(published, default=_EPOCH)  # publish times are UTC (Fields.datetime)
