"""Assemble the :class:`Site` from package summaries, with its derived indexes."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from regsite.model import PackageAmendments, Registry, Site
from regsite.summary import RECENT_RELEASES, PackageDetails, PackageSummary, ReleaseBrief

__all__ = ["assemble_site", "dependents_of", "recent_releases", "source_date"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def assemble_site(
    registry: Registry,
    summaries: Mapping[str, PackageSummary],
    source_date_epoch: int | None,
    details: Callable[[PackageSummary], PackageDetails],
    amendments: Mapping[str, PackageAmendments] | None = None,
) -> Site:
    """The site; ``details`` reads a package's details back (for the newest releases)."""
    ordered = {name: summaries[name] for name in sorted(summaries)}
    return Site(
        registry=registry,
        packages=ordered,
        dependents=dependents_of(ordered),
        updated=source_date(ordered, source_date_epoch),
        recent=recent_releases(ordered, details),
        amendments=dict(amendments or {}),
    )


def dependents_of(packages: Mapping[str, PackageSummary]) -> dict[str, tuple[str, ...]]:
    """Map each package to the packages with a non-yanked release that requires it."""
    found: defaultdict[str, list[str]] = defaultdict(list)
    for package in packages.values():
        for name in package.depends_on:
            found[name].append(package.name)
    return {name: tuple(sorted(found.get(name, ()))) for name in packages}


def recent_releases(
    packages: Mapping[str, PackageSummary], details: Callable[[PackageSummary], PackageDetails]
) -> tuple[tuple[str, ReleaseBrief], ...]:
    """The :data:`RECENT_RELEASES` newest releases of the registry, newest first.

    Packages are looked at newest first, and their details read until no package left can hold
    a newer release than the last one kept: a few reads, whatever the registry's size.
    """
    by_newest = heapq.nlargest(
        len(packages),
        ((package.newest, package.name) for package in packages.values() if package.newest),
    )  # sorted newest first; a full sort of plain tuples, compared in C
    found: list[tuple[datetime, str, int, ReleaseBrief]] = []
    for newest, name in by_newest:
        if len(found) >= RECENT_RELEASES and newest < found[RECENT_RELEASES - 1][0]:
            break
        recent = details(packages[name]).recent
        found += [(brief.published, name, -index, brief) for index, brief in enumerate(recent)]
        found.sort(key=lambda item: item[:3], reverse=True)
        del found[RECENT_RELEASES:]
    return tuple((name, brief) for _, name, _, brief in found)


def source_date(packages: Mapping[str, PackageSummary], source_date_epoch: int | None) -> datetime:
    """``SOURCE_DATE_EPOCH`` if given, else the newest publish time: never the wall clock."""
    if source_date_epoch is not None:
        return datetime.fromtimestamp(source_date_epoch, tz=UTC)
    published = [package.newest for package in packages.values() if package.newest]
    return max(published, default=_EPOCH)  # publish times are UTC (Fields.datetime)
