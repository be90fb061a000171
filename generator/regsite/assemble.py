"""Assemble the :class:`Site` from package summaries, with its derived indexes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime

from regsite.model import Package, Registry, Site
from regsite.summary import PackageSummary, summarize

__all__ = ["assemble_site", "dependents_of", "site_of", "source_date"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def assemble_site(
    registry: Registry, summaries: Mapping[str, PackageSummary], source_date_epoch: int | None
) -> Site:
    ordered = {name: summaries[name] for name in sorted(summaries)}
    return Site(
        registry=registry,
        packages=ordered,
        dependents=dependents_of(ordered),
        updated=source_date(ordered, source_date_epoch),
    )


def site_of(
    registry: Registry, packages: Mapping[str, Package], source_date_epoch: int | None = None
) -> Site:
    """The site of fully modelled packages (tests and in-memory builds)."""
    summaries = {name: summarize(package, "") for name, package in packages.items()}
    return assemble_site(registry, summaries, source_date_epoch)


def dependents_of(packages: Mapping[str, PackageSummary]) -> dict[str, tuple[str, ...]]:
    """Map each package to the packages with a non-yanked release that requires it."""
    found: defaultdict[str, list[str]] = defaultdict(list)
    for package in packages.values():
        for name in package.depends_on:
            found[name].append(package.name)
    return {name: tuple(sorted(found.get(name, ()))) for name in packages}


def source_date(packages: Mapping[str, PackageSummary], source_date_epoch: int | None) -> datetime:
    """``SOURCE_DATE_EPOCH`` if given, else the newest publish time: never the wall clock."""
    if source_date_epoch is not None:
        return datetime.fromtimestamp(source_date_epoch, tz=UTC)
    published = [p.recent[0].published for p in packages.values() if p.recent]
    return max(published, default=_EPOCH)  # publish times are UTC (Fields.datetime)
