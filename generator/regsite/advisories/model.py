"""Advisories as the build and the client use them: OSV documents read into frozen models.

An advisory names packages of this registry and says which of their releases it affects: by
ranges of versions in the registry's version scheme (OSV's ``introduced``, ``fixed``,
``last_affected`` and ``limit`` events) and by explicit versions.  :meth:`Affected.affects`
evaluates a version as the OSV schema's "Evaluation" section does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from regsite.memo import digest_of
from regsite.versions import Version

__all__ = [
    "ADVISORIES_DIR",
    "ADVISORY_ID",
    "Advisory",
    "Affected",
    "AffectedRange",
    "EventType",
    "RangeEvent",
    "advisories_by_package",
    "affecting",
]

ADVISORIES_DIR = "advisories"
# An id becomes a file name and a URL path segment: OSV's ids (GHSA-…, PYSEC-…, x_…) fit.
ADVISORY_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


class EventType(StrEnum):
    INTRODUCED = "introduced"
    FIXED = "fixed"
    LAST_AFFECTED = "last_affected"
    LIMIT = "limit"


@dataclass(frozen=True, slots=True)
class RangeEvent:
    type: EventType
    version: Version | None  # None: "0" (introduced: before every version) or "*" (limit)
    text: str  # as the advisory writes it


@dataclass(frozen=True, slots=True)
class AffectedRange:
    events: tuple[RangeEvent, ...]

    def affects(self, version: Version) -> bool:
        """OSV's evaluation: walk the events in version order; the last one at or below
        ``version`` decides, and every ``limit`` bounds the range from above."""
        affected = False
        for event in sorted(self.events, key=_event_order):
            if event.type is EventType.INTRODUCED:
                affected = affected or event.version is None or not version < event.version
            elif event.type is EventType.FIXED and event.version is not None:
                affected = affected and version < event.version
            elif event.type is EventType.LAST_AFFECTED and event.version is not None:
                affected = affected and not event.version < version
        return affected and all(_below_limit(version, event) for event in self.events)


def _event_order(event: RangeEvent) -> tuple[int, Version | None]:
    """ "0" sorts before every version; events at one version keep their order."""
    return (0, None) if event.version is None else (1, event.version)


def _below_limit(version: Version, event: RangeEvent) -> bool:
    if event.type is not EventType.LIMIT or event.version is None:
        return True
    return version < event.version


@dataclass(frozen=True, kw_only=True, slots=True)
class Affected:
    """One ``affected[]`` entry: a package of this registry and what of it is affected."""

    package: str
    ranges: tuple[AffectedRange, ...]
    versions: frozenset[str]  # explicit versions, in the scheme's normal form

    def affects(self, version: Version) -> bool:
        if str(version) in self.versions:
            return True
        return any(affected_range.affects(version) for affected_range in self.ranges)

    @property
    def fixed(self) -> tuple[str, ...]:
        """The versions that fix it, as the advisory writes them (for ``client audit``)."""
        found = (
            event.text
            for affected_range in self.ranges
            for event in affected_range.events
            if event.type is EventType.FIXED
        )
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, kw_only=True, slots=True)
class Advisory:
    id: str
    path: str  # advisories/<id>.json, relative to the source directory
    content: bytes  # the OSV document, byte for byte: republished as it was signed
    signature_content: bytes | None
    summary: str
    modified: datetime  # UTC
    published: datetime | None
    withdrawn: datetime | None  # a withdrawn advisory is published but affects nothing
    aliases: tuple[str, ...]
    affected: tuple[Affected, ...]

    @property
    def packages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(entry.package for entry in self.affected))

    @property
    def digest(self) -> bytes:
        """What a package's outputs read of this advisory: its exact bytes."""
        return digest_of([self.id, self.content])

    def affects(self, package: str, version: Version) -> bool:
        if self.withdrawn is not None:
            return False
        return any(e.package == package and e.affects(version) for e in self.affected)

    def fixed_in(self, package: str) -> tuple[str, ...]:
        found = (v for e in self.affected if e.package == package for v in e.fixed)
        return tuple(dict.fromkeys(found))


def advisories_by_package(advisories: Iterable[Advisory]) -> dict[str, tuple[Advisory, ...]]:
    """Each package named by an advisory, with the advisories naming it, sorted by id."""
    found: dict[str, list[Advisory]] = {}
    for advisory in sorted(advisories, key=lambda item: item.id):
        for package in advisory.packages:
            found.setdefault(package, []).append(advisory)
    return {name: tuple(found[name]) for name in sorted(found)}


def affecting(
    advisories: Mapping[str, tuple[Advisory, ...]], package: str, version: Version
) -> tuple[Advisory, ...]:
    """The advisories that affect one release (withdrawn ones never do)."""
    return tuple(a for a in advisories.get(package, ()) if a.affects(package, version))
