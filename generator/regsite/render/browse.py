"""Browsing pages: paged listings of every package (by name, recent, most depended upon), one
page per owner and one per keyword (docs/pages.md).

Each listing is cut into pages of :data:`PAGE_SIZE` packages, so no page grows with the registry;
a page links to its neighbours and a few pages either side, never to every page. These are
site-wide outputs: :func:`listings` lays out every page from the in-memory
:class:`~regsite.assemble.Site`, render/browse_pages.py renders them every build, and the writer
leaves the files whose bytes did not change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regsite.assemble import Site
from regsite.model import Owner, PackageStatus
from regsite.render.search import search_order
from regsite.summary import PackageSummary

__all__ = [
    "DESCRIPTION_LENGTH",
    "HOME_LIST",
    "PAGE_SIZE",
    "SORTS",
    "Entry",
    "Listing",
    "entries",
    "initials",
    "keyword_path",
    "listing_path",
    "listings",
    "owner_path",
]

PAGE_SIZE = 100  # packages per listing page
HOME_LIST = 10  # packages in each of the home page's lists
DESCRIPTION_LENGTH = 100  # characters of description a listing shows
PAGER_SPAN = 2  # pages linked either side of the current one
# The listings of every package: path segment -> the heading it goes by.
SORTS = {"name": "by name", "recent": "recently updated", "depended": "most depended upon"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One package in a listing, formatted once."""

    name: str
    version: str | None
    description: str
    deprecated: bool
    updated: str  # the newest release's date, YYYY-MM-DD; "" without releases
    dependents: int
    anchor: str | None = None  # "initial-a": the first name with its initial on a name listing


@dataclass(frozen=True, slots=True)
class PagerLink:
    number: int
    href: str  # relative to the current page
    current: bool


@dataclass(frozen=True, slots=True)
class Pager:
    number: int
    count: int
    links: tuple[PagerLink, ...]  # the first, the last, and PAGER_SPAN either side of this one
    previous: str | None
    next: str | None


@dataclass(frozen=True, slots=True)
class Listing:
    """One browsing page before it is rendered: what it shows is the template's context."""

    path: str
    context: Mapping[str, Any]  # listing.html's, beside the site
    updated: datetime | None  # its newest package's newest release, for the sitemap


def listing_path(sort: str, number: int = 1) -> str:
    return f"browse/{sort}/{number}.html"


def owner_path(owner_id: str, number: int = 1) -> str:
    """Owner ids follow the package name rules (names.py), so they are safe path segments."""
    return f"owners/{owner_id}/" + ("index.html" if number == 1 else f"{number}.html")


def keyword_path(keyword: str, number: int = 1) -> str:
    """Keywords follow the package name rules too: normalised, ASCII, no path tricks."""
    return f"keywords/{keyword}/" + ("index.html" if number == 1 else f"{number}.html")


def entries(site: Site, packages: Sequence[PackageSummary]) -> list[Entry]:
    return [_entry(site, package) for package in packages]


def _entry(site: Site, package: PackageSummary, anchor: str | None = None) -> Entry:
    description = package.description
    if len(description) > DESCRIPTION_LENGTH:
        description = description[: DESCRIPTION_LENGTH - 1].rstrip() + "…"
    return Entry(
        name=package.name,
        version=package.latest.version if package.latest else None,
        description=description,
        deprecated=package.status is PackageStatus.DEPRECATED,
        updated=package.newest.strftime("%Y-%m-%d") if package.newest else "",
        dependents=len(site.dependents.get(package.name, ())),
        anchor=anchor,
    )


def sorted_packages(site: Site, sort: str) -> list[PackageSummary]:
    packages = list(site.packages.values())  # sorted by name
    if sort == "recent":  # newest release first; the sort is stable, so names break ties
        dated = [(package.newest, package) for package in packages if package.newest is not None]
        dated.sort(key=lambda pair: pair[0], reverse=True)
        return [package for _, package in dated] + [p for p in packages if p.newest is None]
    if sort == "depended":
        return search_order(site)
    return packages


def initials(site: Site) -> dict[str, int]:
    """Each initial of the names (a-z, 0-9) -> the page of the name listing where it starts."""
    found: dict[str, int] = {}
    for index, name in enumerate(site.packages):
        found.setdefault(name[0], index // PAGE_SIZE + 1)
    return found


def listings(site: Site) -> Iterator[Listing]:
    """Every listing page, owner page and keyword page."""
    registry = site.registry
    for sort, title in SORTS.items():
        packages = sorted_packages(site, sort)
        context = {"sort": sort, "sorts": SORTS, "title": f"All packages, {title}"}
        context["page_description"] = f"Every package of {registry.title}, {title}."
        if sort == "name":
            context["initials"] = initials(site)
        for number, chunk, pager in _paged(packages, lambda n, s=sort: listing_path(s, n)):
            path = listing_path(sort, number)
            before = packages[(number - 1) * PAGE_SIZE - 1].name[0] if number > 1 else ""
            rows = _rows(site, chunk, before if sort == "name" else None)
            yield Listing(path, {**context, "entries": rows, "pager": pager}, site.updated)
    yield from _owner_pages(site)
    yield from _keyword_pages(site)


def _rows(site: Site, chunk: Sequence[PackageSummary], previous: str | None) -> list[Entry]:
    """The rows of a page; on the name listing (``previous``: the initial of the name before
    the page's first), the first name of each initial is an anchor."""
    rows = []
    for package in chunk:
        initial = package.name[0]
        anchor = f"initial-{initial}" if previous is not None and initial != previous else None
        rows.append(_entry(site, package, anchor))
        previous = initial
    return rows


def _owner_pages(site: Site) -> Iterator[Listing]:
    registry = site.registry
    owned: defaultdict[str, list[PackageSummary]] = defaultdict(list)
    for name, package in site.packages.items():
        delegation = registry.delegations.get(name)
        for owner_id in delegation.owners if delegation else ():
            owned[owner_id].append(package)
    for owner_id, owner in registry.owners.items():
        packages = owned.get(owner_id, [])
        context = {"owner": owner, "keys": _keys(owner), "since": _since(packages)}
        context["title"] = f"Packages of {owner.name}"
        context["count"] = len(packages)
        context["page_description"] = f"{len(packages)} packages signed by {owner.name}."
        for number, chunk, pager in _paged(packages, lambda n, o=owner_id: owner_path(o, n)):
            path = owner_path(owner_id, number)
            rows = entries(site, chunk)
            yield Listing(path, {**context, "entries": rows, "pager": pager}, _newest(packages))


def _keyword_pages(site: Site) -> Iterator[Listing]:
    tagged: defaultdict[str, list[PackageSummary]] = defaultdict(list)
    for package in search_order(site):  # most depended upon first
        for keyword in package.keywords:
            tagged[keyword].append(package)
    for keyword in sorted(tagged):
        packages = tagged[keyword]
        context = {"keyword": keyword, "title": f"Packages about {keyword}", "count": len(packages)}
        context["page_description"] = f"{len(packages)} packages with the keyword {keyword}."
        for number, chunk, pager in _paged(packages, lambda n, k=keyword: keyword_path(k, n)):
            path = keyword_path(keyword, number)
            rows = entries(site, chunk)
            yield Listing(path, {**context, "entries": rows, "pager": pager}, _newest(packages))


def _keys(owner: Owner) -> list[tuple[str, str]]:
    """Each of the owner's keys as (fingerprint, the key as registry.toml writes it)."""
    return [(key.fingerprint, str(key)) for key in owner.keys]


def _since(packages: Sequence[PackageSummary]) -> str | None:
    first = [package.first for package in packages if package.first is not None]
    return min(first).strftime("%Y-%m-%d") if first else None


def _newest(packages: Sequence[PackageSummary]) -> datetime | None:
    return max((p.newest for p in packages if p.newest is not None), default=None)


def _paged(
    packages: Sequence[PackageSummary], path_of: Any
) -> Iterator[tuple[int, Sequence[PackageSummary], Pager]]:
    """The packages in pages of PAGE_SIZE (one empty page when there are none), each with its
    pager; ``path_of(n)`` is page n's path."""
    count = max(1, -(-len(packages) // PAGE_SIZE))
    for number in range(1, count + 1):
        chunk = packages[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        yield number, chunk, _pager(number, count, path_of)


def _pager(number: int, count: int, path_of: Any) -> Pager:
    def href(n: int) -> str:  # the pages of one listing share a directory
        return str(path_of(n)).rsplit("/", 1)[1]

    near = range(max(1, number - PAGER_SPAN), min(count, number + PAGER_SPAN) + 1)
    shown = sorted({1, count, *near})
    return Pager(
        number=number,
        count=count,
        links=tuple(PagerLink(n, href(n), n == number) for n in shown),
        previous=href(number - 1) if number > 1 else None,
        next=href(number + 1) if number < count else None,
    )
