"""Atom feeds (RFC 4287) for people: the registry's changes and each package's releases.

Written with feedgen (docs/decisions.md, "A signed change feed"), which knows Atom's required
elements and their order and serialises through lxml; regsite gives it every date (feedgen
would otherwise stamp the clock) and replaces the characters XML cannot hold before they reach
it.  Links are absolute under the registry's base URL and relative to the feed's own URL
without one; entry ids are ``urn:uuid:`` names derived from the registry's name, so they do not
change when the site moves.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from feedgen.feed import FeedGenerator

from regsite.advisories.model import Advisory
from regsite.advisories.releases import advisory_marks
from regsite.model import Package, Registry, Release

__all__ = [
    "ATOM_TYPE",
    "PACKAGE_ENTRIES",
    "AtomEntry",
    "AtomFeed",
    "atom_document",
    "entry_id",
    "package_feed",
    "package_feed_path",
    "site_link",
]

ATOM_TYPE = "application/atom+xml"
PACKAGE_ENTRIES = 30  # a package's feed lists its newest releases
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Characters XML 1.0 cannot hold (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class AtomEntry:
    id: str
    title: str
    updated: datetime
    summary: str
    link: str  # absolute, or relative to the feed (Atom wants an entry's alternate link)


@dataclass(frozen=True, slots=True)
class AtomFeed:
    id: str
    title: str
    subtitle: str
    author: str  # the registry's title: Atom requires an author on a feed whose entries have none
    updated: datetime
    self_link: str
    page_link: str
    entries: tuple[AtomEntry, ...]


def package_feed_path(name: str) -> str:
    return f"packages/{name}/feed.xml"


def site_link(registry: Registry, path: str, feed_path: str) -> str:
    """``path`` (from the site's root) as a feed at ``feed_path`` links it: absolute under the
    base URL, else relative to the feed."""
    if registry.base_url is not None:
        base = registry.base_url if registry.base_url.endswith("/") else registry.base_url + "/"
        return urljoin(base, path)
    return "../" * feed_path.count("/") + path


def entry_id(registry: Registry, *parts: str) -> str:
    """A stable entry id: a name-based UUID under the registry's name."""
    name = "\0".join(["regsite", registry.name, *parts])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def atom_document(feed: AtomFeed) -> bytes:
    """The feed as UTF-8 XML, byte for byte the same for the same feed."""
    document = FeedGenerator()
    document.id(feed.id)
    document.title(_xml(feed.title))
    document.subtitle(_xml(feed.subtitle))
    document.author(name=_xml(feed.author))
    document.updated(_utc(feed.updated))
    document.link(href=feed.self_link, rel="self", type=ATOM_TYPE)
    document.link(href=feed.page_link, rel="alternate", type="text/html")
    document.generator("regsite")
    for item in feed.entries:
        entry = document.add_entry(order="append")
        entry.id(item.id)
        entry.title(_xml(item.title))
        entry.updated(_utc(item.updated))
        entry.link(href=item.link, rel="alternate", type="text/html")
        entry.summary(_xml(item.summary))
    content: bytes = document.atom_str(pretty=True)
    return content


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def package_feed(registry: Registry, package: Package, advisories: Sequence[Advisory]) -> bytes:
    """A package's newest releases, each with its status and the advisories affecting it."""
    path = package_feed_path(package.name)
    releases = sorted(package.releases, key=lambda r: (r.published, r.version), reverse=True)
    entries = tuple(
        _release_entry(
            registry, package, release, advisory_marks(release, package.name, advisories)
        )
        for release in releases[:PACKAGE_ENTRIES]
    )
    feed = AtomFeed(
        id=entry_id(registry, "package", package.name),
        title=f"{package.name} · {registry.title}",
        subtitle=package.description,
        author=registry.title,
        updated=max((entry.updated for entry in entries), default=_EPOCH),
        self_link=site_link(registry, path, path),
        page_link=site_link(registry, f"packages/{package.name}/index.html", path),
        entries=entries,
    )
    return atom_document(feed)


def _release_entry(
    registry: Registry, package: Package, release: Release, marks: Sequence[Advisory]
) -> AtomEntry:
    version = str(release.version)
    status = "" if release.status.value == "active" else f" ({release.status.value})"
    lines = [f"{package.name} {version} published {_time(release.published)}{status}."]
    if release.status_reason:
        lines.append(release.status_reason)
    for advisory in marks:
        fixed = ", ".join(advisory.fixed_in(package.name)) or "no fixed version yet"
        lines.append(f"Affected by {advisory.id}: {advisory.summary} (fixed in: {fixed})")
    requires = ", ".join(d.specifier.with_name(d.name) for d in release.requires)
    if requires:
        lines.append(f"Requires {requires}.")
    path = package_feed_path(package.name)
    return AtomEntry(
        id=entry_id(registry, "release", package.name, version),
        title=f"{package.name} {version}{status}" + (" · advisory" if marks else ""),
        updated=max([release.published, *(advisory.modified for advisory in marks)]),
        summary="\n".join(lines),
        link=site_link(registry, f"packages/{package.name}/index.html#v{version}", path),
    )
