"""The feed stage: what this build changed, as numbered events appended to the previous feed.

Site-wide and rendered every build (it is small: the head, the pages, the registry's Atom
feed); the writer leaves unchanged bytes alone, so a rebuild that changes nothing writes
nothing here.  Dates come from the site (``SOURCE_DATE_EPOCH``, else the newest release), never
from the clock, and never go back: an event is dated no earlier than the feed's last one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from regsite.advisories.model import Advisory
from regsite.assemble import Site
from regsite.feed.kinds import KINDS, AdvisoryChange, EventKind, FeedSources, Value
from regsite.feed.log import Feed, FeedUnusable, read_previous_feed, start_feed
from regsite.model import Registry
from regsite.render import Output
from regsite.render.api import API_ROOT, timestamp
from regsite.render.atom import AtomEntry, AtomFeed, atom_document, entry_id, site_link
from regsite.render.html import SITE_FEED
from regsite.report import BuildChanges

__all__ = ["ATOM_ENTRIES", "FeedRun", "events_of", "feed_outputs"]

log = logging.getLogger(__name__)

ATOM_ENTRIES = 50  # the registry's Atom feed shows the newest events
ADVISORY_INDEX = f"{API_ROOT}/advisories/index.json"


@dataclass(frozen=True, slots=True)
class FeedRun:
    site: Site
    changes: BuildChanges
    advisories: Sequence[Advisory]
    previous: Path | None  # the previous output, if it is one


def feed_outputs(run: FeedRun) -> Output:
    """The change feed's head and pages, and the registry's Atom feed."""
    roots = run.site.registry.root_history
    previous = read_previous_feed(run.previous, roots[0] if roots else None)
    sources = FeedSources(run.changes, _advisory_changes(run))
    feed = _continued(run, previous, events_of(KINDS.values(), sources))
    output = feed.files(SITE_FEED)
    output[SITE_FEED] = _site_atom(run.site.registry, feed)
    return output


def _continued(
    run: FeedRun,
    previous: Feed | FeedUnusable,
    events: Sequence[tuple[EventKind, tuple[Value, ...]]],
) -> Feed:
    date = timestamp(run.site.updated)
    if isinstance(previous, Feed) and run.changes.first_build:
        # The previous site's names.json or registry.json could not be read, so what changed is
        # not known: a feed that went on would miss it.
        reason = "the previous site's documents were unreadable; what changed is unknown"
        log.warning("%s: starting a new feed epoch", reason)
        previous = FeedUnusable(reason, epoch=previous.epoch)
    if isinstance(previous, Feed):
        return previous.append(events, max(date, previous.updated))
    counts = (len(run.site.packages), run.site.release_count)
    feed = start_feed(run.site.registry.name, previous.reason, date, counts, previous)
    return feed.append(events if not run.changes.first_build else (), date)


def _advisory_changes(run: FeedRun) -> dict[str, tuple[AdvisoryChange, ...]]:
    """Advisories published, modified, withdrawn or removed since the previous output's index."""
    before = _previous_index(run.previous)
    now = {advisory.id: advisory for advisory in run.advisories}
    found: dict[str, list[AdvisoryChange]] = {}
    for advisory in run.advisories:
        old = before.get(advisory.id)
        change = _change(advisory, old)
        if change is not None:
            found.setdefault(change, []).extend(_per_package(run.site, advisory))
    for advisory_id, old in sorted(before.items()):
        if advisory_id not in now:
            packages = [p for p in old.get("packages", []) if isinstance(p, str)]
            summary = str(old.get("summary", ""))
            removed = [AdvisoryChange(advisory_id, p, summary, ()) for p in packages]
            found.setdefault("removed", []).extend(removed)
    return {change: tuple(items) for change, items in found.items()}


def _change(advisory: Advisory, old: Mapping[str, Any] | None) -> str | None:
    if old is None:
        return "published"
    if advisory.withdrawn is not None and old.get("withdrawn") is None:
        return "withdrawn"
    if timestamp(advisory.modified) != old.get("modified"):
        return "modified"
    return None


def _per_package(site: Site, advisory: Advisory) -> list[AdvisoryChange]:
    scheme = site.registry.version_scheme
    changes = []
    for name in advisory.packages:
        summary = site.packages.get(name)
        versions = summary.versions if summary is not None else ()
        affected = tuple(v for v in versions if advisory.affects(name, scheme.parse_version(v)))
        changes.append(AdvisoryChange(advisory.id, name, advisory.summary, affected))
    return changes


def _previous_index(directory: Path | None) -> dict[str, Mapping[str, Any]]:
    """The previous output's advisory index, by id; empty when absent or unreadable."""
    if directory is None:
        return {}
    try:
        document = json.loads((directory / ADVISORY_INDEX).read_bytes())
        entries = document["advisories"]
        return {entry["id"]: entry for entry in entries if isinstance(entry.get("id"), str)}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: unreadable (%s); every advisory counts as new", ADVISORY_INDEX, exc)
        return {}


def _site_atom(registry: Registry, feed: Feed) -> bytes:
    """The registry's newest changes, for people."""
    entries = tuple(_entry(registry, feed.epoch, event) for event in feed.recent(ATOM_ENTRIES))
    atom = AtomFeed(
        id=entry_id(registry, "changes"),
        title=f"{registry.title}: changes",
        subtitle=f"What changed in {registry.title}, newest first (epoch {feed.epoch}).",
        author=registry.title,
        updated=max((entry.updated for entry in entries), default=_date(feed.updated)),
        self_link=site_link(registry, SITE_FEED, SITE_FEED),
        page_link=site_link(registry, "index.html", SITE_FEED),
        entries=entries,
    )
    return atom_document(atom)


def _entry(registry: Registry, epoch: str, event: Mapping[str, Any]) -> AtomEntry:
    kind = KINDS.get(str(event["kind"]))
    values = {key: _text(value) for key, value in event.items()}
    title = kind.title.format_map(values) if kind is not None else str(event["kind"])
    package = event.get("package")
    target = f"packages/{package}/index.html" if isinstance(package, str) else "api/v1/changes.json"
    lines = [f"{key}: {values[key]}" for key in event if key not in ("seq", "date")]
    return AtomEntry(
        id=entry_id(registry, "change", epoch, str(event["seq"])),
        title=f"#{event['seq']} {title}",
        updated=_date(str(event["date"])),
        summary="\n".join(lines),
        link=site_link(registry, target, SITE_FEED),
    )


def _text(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    return str(value)


def _date(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def events_of(
    kinds: Iterable[EventKind], sources: FeedSources
) -> list[tuple[EventKind, tuple[Value, ...]]]:
    """Every event ``kinds`` derive from ``sources``, in the table's order."""
    return [(kind, values) for kind in kinds for values in kind.derive(sources)]
