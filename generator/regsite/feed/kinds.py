"""The kinds of change the feed records, in one table (:data:`KINDS`).

A kind is a name (``release.yanked``), the fields its events carry, a title for the Atom feed,
and how a build derives its events from what it found changed (:class:`FeedSources`: the build
report's comparison, :func:`regsite.report.compare_builds`, and the advisories' changes).  To
add a kind, add one :func:`event_kind` call here: its events are then derived, numbered,
published in the pages, shown in the Atom feed and listed by ``regsite client changes``, in the
order of this table within a build (docs/feed.md, "Adding a kind of event").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from regsite.report import AmendmentKey, BuildChanges

__all__ = [
    "KINDS",
    "AdvisoryChange",
    "EventKind",
    "FeedSources",
    "Value",
    "event_kind",
]

Value = str | int | tuple[str, ...]  # a field's value; a tuple is published as a JSON array


@dataclass(frozen=True, slots=True)
class AdvisoryChange:
    """An advisory as the feed reports it, for one package it names."""

    id: str
    package: str
    summary: str
    versions: tuple[str, ...]  # the package's releases it affects (none once withdrawn)


@dataclass(frozen=True, slots=True)
class FeedSources:
    """What changed in this build, as the kinds' ``derive`` functions read it."""

    changes: BuildChanges
    advisories: Mapping[str, tuple[AdvisoryChange, ...]] = field(default_factory=dict)
    # ^ by change: "published", "modified", "withdrawn", "removed"


@dataclass(frozen=True, slots=True)
class EventKind:
    name: str  # "<subject>.<change>", lower case
    fields: tuple[str, ...]  # what each event carries besides seq, kind and date
    title: str  # the Atom entry's title: str.format over the fields
    derive: Callable[[FeedSources], Iterable[tuple[Value, ...]]]  # one tuple per event

    def document(self, seq: int, date: str, values: tuple[Value, ...]) -> dict[str, Any]:
        """One event as the feed's pages publish it."""
        if len(values) != len(self.fields):
            raise ValueError(f"{self.name}: expected values for {self.fields}, got {values!r}")
        event: dict[str, Any] = {"seq": seq, "kind": self.name, "date": date}
        for name, value in zip(self.fields, values, strict=True):
            event[name] = list(value) if isinstance(value, tuple) else value
        return event


KINDS: dict[str, EventKind] = {}


def event_kind(
    name: str,
    fields: tuple[str, ...],
    title: str,
    derive: Callable[[FeedSources], Iterable[tuple[Value, ...]]] = lambda _: (),
) -> EventKind:
    """Register a kind of event (in the order events of one build are numbered)."""
    if name in KINDS:
        raise ValueError(f"event kind {name!r} is registered twice")
    kind = EventKind(name, fields, title, derive)
    KINDS[name] = kind
    return kind


def _keys(
    sources: FeedSources, where: Callable[[str], bool], change: str
) -> list[tuple[Value, ...]]:
    return [(w, k) for w, c, k in sources.changes.keys if where(w) and c == change]


def _owner_keys(sources: FeedSources, change: str) -> list[tuple[Value, ...]]:
    found = _keys(sources, lambda where: where.startswith("owner "), change)
    return [(str(where).removeprefix("owner "), key) for where, key in found]


def _advisories(change: str) -> Callable[[FeedSources], Iterable[tuple[Value, ...]]]:
    def derive(sources: FeedSources) -> Iterable[tuple[Value, ...]]:
        return [
            (a.id, a.package, a.summary, a.versions) for a in sources.advisories.get(change, ())
        ]

    return derive


def _amendment(package: str, key: AmendmentKey) -> tuple[Value, ...]:
    """A curator's amendment as the report keys it (releases, narrows, name, version,
    specifier, kind); an absent part is published as ""."""
    return (package, *(part or "" for part in key))


_TRUST = ("root_keys", "online_keys", "revoked_keys")
_ADVISORY_FIELDS = ("advisory", "package", "summary", "versions")
# The amendment's releases, what it narrows (an upper bound, an exclusion, a conflict), the
# dependency it narrows, its version and specifier, and its kind (build or runtime).
_AMENDMENT_FIELDS = (
    "package",
    "releases",
    "narrows",
    "dependency",
    "version",
    "specifier",
    "amendment_kind",
)

# The first event of every epoch: see regsite.feed.log (it is not derived from changes).
FEED_STARTED = event_kind(
    "feed.started",
    ("reason", "previous_epoch", "packages", "releases"),
    "Change feed started: {reason}",
)
event_kind(
    "package.added",
    ("package",),
    "{package} added",
    lambda s: [(n,) for n in s.changes.packages_added],
)
event_kind(
    "package.removed",
    ("package",),
    "{package} removed",
    lambda s: [(n,) for n in s.changes.packages_removed],
)
event_kind(
    "release.added",
    ("package", "version"),
    "{package} {version} released",
    lambda s: s.changes.releases_added,
)
event_kind(
    "release.removed",
    ("package", "version"),
    "{package} {version} removed",
    lambda s: s.changes.releases_removed,
)
event_kind(
    "release.yanked",
    ("package", "version"),
    "{package} {version} yanked",
    lambda s: s.changes.yanked,
)
event_kind(
    "release.unyanked",
    ("package", "version"),
    "{package} {version} no longer yanked",
    lambda s: s.changes.unyanked,
)
event_kind(
    "release.status-changed",
    ("package", "version", "from", "to"),
    "{package} {version} is now {to}",
    lambda s: s.changes.release_status,
)
event_kind(
    "package.status-changed",
    ("package", "from", "to"),
    "{package} is now {to}",
    lambda s: s.changes.status,
)
event_kind(
    "package.owners-changed",
    ("package", "from", "to"),
    "{package}: owners are now {to}",
    lambda s: s.changes.owners,
)
event_kind(
    "owner.added",
    ("owner",),
    "owner {owner} added",
    lambda s: [(k,) for _, k in _keys(s, "owners".__eq__, "added")],
)
event_kind(
    "owner.removed",
    ("owner",),
    "owner {owner} removed",
    lambda s: [(k,) for _, k in _keys(s, "owners".__eq__, "removed")],
)
event_kind(
    "owner.key-added",
    ("owner", "key"),
    "owner {owner}: key added",
    lambda s: _owner_keys(s, "key added"),
)
event_kind(
    "owner.key-removed",
    ("owner", "key"),
    "owner {owner}: key removed",
    lambda s: _owner_keys(s, "key removed"),
)
event_kind(
    "trust.key-added",
    ("role", "key"),
    "{role}: key added",
    lambda s: _keys(s, _TRUST.__contains__, "added"),
)
event_kind(
    "trust.key-removed",
    ("role", "key"),
    "{role}: key removed",
    lambda s: _keys(s, _TRUST.__contains__, "removed"),
)
event_kind(
    "trust.threshold-changed",
    ("role", "threshold"),
    "{role} is now {threshold}",
    lambda s: _keys(s, "root_threshold".__eq__, "changed"),
)
event_kind(
    "amendment.added",
    _AMENDMENT_FIELDS,
    "{package}: {amendment_kind} amendment on {dependency} added",
    lambda s: [_amendment(name, key) for name, key in s.changes.amendments_added],
)
event_kind(
    "amendment.removed",
    _AMENDMENT_FIELDS,
    "{package}: {amendment_kind} amendment on {dependency} removed",
    lambda s: [_amendment(name, key) for name, key in s.changes.amendments_removed],
)
event_kind(
    "advisory.published", _ADVISORY_FIELDS, "{advisory} affects {package}", _advisories("published")
)
event_kind(
    "advisory.modified", _ADVISORY_FIELDS, "{advisory} ({package}) updated", _advisories("modified")
)
event_kind(
    "advisory.withdrawn",
    _ADVISORY_FIELDS,
    "{advisory} ({package}) withdrawn",
    _advisories("withdrawn"),
)
event_kind(
    "advisory.removed", _ADVISORY_FIELDS, "{advisory} ({package}) removed", _advisories("removed")
)
