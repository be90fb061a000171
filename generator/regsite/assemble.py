"""The :class:`Site`, what every renderer shares, assembled from the package summaries with its
derived indexes."""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from regsite.model import PackageAmendments, Registry
from regsite.summary import RECENT_RELEASES, PackageDetails, PackageSummary, ReleaseBrief

__all__ = [
    "TRANSITIVE_LIMIT",
    "Site",
    "assemble_site",
    "dependents_of",
    "recent_releases",
    "source_date",
    "transitive_counts",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, kw_only=True, slots=True)
class Site:
    """What every renderer shares: the registry, a summary of each package, derived indexes.

    A package's own outputs are rendered from its full :class:`~regsite.model.Package` plus this.
    """

    registry: Registry
    packages: Mapping[str, PackageSummary]  # sorted by name
    dependents: Mapping[str, tuple[str, ...]]  # package -> packages that depend on it
    updated: datetime  # SOURCE_DATE_EPOCH, or the newest release's publish time
    recent: tuple[tuple[str, ReleaseBrief], ...] = ()  # the newest releases of all, newest first
    # package -> how many packages installing its latest release installs (transitive_counts)
    transitive: Mapping[str, int] = field(default_factory=dict)
    feed: str | None = None  # the site's Atom feed, relative to its root; None: it has none
    amendments: Mapping[str, PackageAmendments] = field(default_factory=dict)  # by package

    @property
    def release_count(self) -> int:
        return sum(package.release_count for package in self.packages.values())


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
        transitive=transitive_counts(ordered),
        amendments=dict(amendments or {}),
    )


def dependents_of(packages: Mapping[str, PackageSummary]) -> dict[str, tuple[str, ...]]:
    """Map each package to the packages with a non-yanked release that requires it."""
    found: defaultdict[str, list[str]] = defaultdict(list)
    for package in packages.values():
        for name in package.depends_on:
            found[name].append(package.name)
    return {name: tuple(sorted(found.get(name, ()))) for name in packages}


TRANSITIVE_LIMIT = 1_000  # a count stops here ("1,000 or more"): each walk costs at most this


def transitive_counts(packages: Mapping[str, PackageSummary]) -> dict[str, int]:
    """For each package whose latest release installs packages of this registry, how many
    packages installing it installs in all (each counted once, however it is reached), up to
    :data:`TRANSITIVE_LIMIT`."""
    counts: dict[str, int] = {}
    for name, package in packages.items():
        if package.uses:
            counts[name] = _reachable(packages, name)
    return counts


def _reachable(packages: Mapping[str, PackageSummary], start: str) -> int:
    seen = {start}
    stack = [start]
    while stack and len(seen) <= TRANSITIVE_LIMIT:
        summary = packages.get(stack.pop())
        for name, _ in summary.uses if summary else ():
            if name not in seen:
                seen.add(name)
                stack.append(name)
    return min(len(seen) - 1, TRANSITIVE_LIMIT)


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
