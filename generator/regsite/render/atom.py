"""Atom feeds (RFC 4287) for people: the registry's changes and each package's releases.

Written with the standard library's ElementTree (docs/decisions.md, "A signed change feed"):
an Atom document is a dozen elements, ElementTree escapes text and attributes, and nothing here
reads a clock.  Links are absolute under the registry's base URL and relative to the feed's own
URL without one; entry ids are ``urn:uuid:`` names derived from the registry's name, so they do
not change when the site moves.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin
from xml.etree import ElementTree

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
_NS = "http://www.w3.org/2005/Atom"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Characters XML 1.0 cannot hold (most C0 controls, lone surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True, slots=True)
class AtomEntry:
    id: str
    title: str
    updated: datetime
    summary: str
    link: str | None  # absolute, or relative to the feed


@dataclass(frozen=True, slots=True)
class AtomFeed:
    id: str
    title: str
    subtitle: str
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
    root = ElementTree.Element("feed", {"xmlns": _NS})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title)
    _text(root, "subtitle", feed.subtitle)
    _text(root, "updated", _time(feed.updated))
    _link(root, feed.self_link, "self", ATOM_TYPE)
    _link(root, feed.page_link, "alternate", "text/html")
    _text(root, "generator", "regsite")
    for item in feed.entries:
        entry = ElementTree.SubElement(root, "entry")
        _text(entry, "id", item.id)
        _text(entry, "title", item.title)
        _text(entry, "updated", _time(item.updated))
        if item.link is not None:
            _link(entry, item.link, "alternate", "text/html")
        _text(entry, "summary", item.summary)
    ElementTree.indent(root)
    body = ElementTree.tostring(root, encoding="unicode")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + body.encode("utf-8") + b"\n"


def _text(parent: ElementTree.Element, tag: str, text: str) -> None:
    ElementTree.SubElement(parent, tag).text = _NOT_XML.sub("\ufffd", text)


def _link(parent: ElementTree.Element, href: str, rel: str, kind: str) -> None:
    ElementTree.SubElement(parent, "link", {"rel": rel, "type": kind, "href": href})


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
