"""The build report: what changed since the previous build, for people and for machines.

Written to ``api/v1/build-report.json`` and, with ``--report-md FILE``, as Markdown ready to
paste into a pull request.  It compares the new site with the previous output (the output
directory, or ``--previous``): its ``names.json`` and ``registry.json``, and the old JSON of
each package whose JSON changed.  Nothing in it depends on the clock or on the cache, so a
build with a warm cache writes the same report as one without.  A build that changes no
package, release or key keeps the previous ``build-report.json``: the JSON describes the last
build that changed something, and an unchanged rebuild re-signs nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from regsite.assemble import Site
from regsite.errors import printable
from regsite.model import PackageAmendments
from regsite.render.api import API_ROOT, API_VERSION, amendment_entry, registry_document
from regsite.summary import PackageSummary

__all__ = [
    "REPORT_PATH",
    "BuildChanges",
    "PreviousOutput",
    "compare_builds",
    "report_document",
    "report_markdown",
]

log = logging.getLogger(__name__)

REPORT_PATH = f"{API_ROOT}/build-report.json"
_MARKDOWN_ROWS = 50  # per list; the JSON report always lists everything
_TRUST_KEYS = ("root_keys", "online_keys", "revoked_keys")

Release = tuple[str, str]  # (package, version)
# An amendment as the report tells it apart: releases, narrows, name, version, specifier, kind.
AmendmentKey = tuple[str | None, ...]
_AMENDMENT_FIELDS = ("releases", "narrows", "name", "version", "specifier", "kind")
_T = TypeVar("_T")


class _Unusable(ValueError):
    """A previous output file that cannot be read as what this build wrote there."""


@dataclass(frozen=True, slots=True)
class PreviousOutput:
    """The previous site, read only for the report: a file that is missing, is not JSON or is
    not shaped as a build writes it counts as absent, with a warning naming it."""

    directory: Path
    changed: Collection[str]  # output paths whose bytes this build changed
    current: Callable[[str], bytes | None] | None = None  # this build's bytes of a changed file

    def read_bytes(self, path: str) -> bytes | None:
        try:
            return (self.directory / path).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.ignore(path, f"cannot be read ({exc.strerror or exc})")
            return None

    def read(self, path: str, shape: str, reader: Callable[[object], _T]) -> _T | None:
        """``reader`` applied to the file's JSON; ``None`` if the file is absent or unusable."""
        content = self.read_bytes(path)
        if content is None:
            return None
        try:
            return reader(json.loads(content))
        except _Unusable as exc:
            self.ignore(path, f"is not shaped as a build writes it: {exc}; expected {shape}")
        except (ValueError, RecursionError) as exc:  # also UnicodeDecodeError, huge integers
            self.ignore(path, f"is not valid JSON ({exc or 'nested too deeply'})")
        return None

    def report_bytes(self) -> bytes | None:
        """The previous build report, kept by a build that changes nothing, if it is one."""
        if self.read(REPORT_PATH, "a build report", _build_report):
            return self.read_bytes(REPORT_PATH)
        return None

    def ignore(self, path: str, problem: str) -> None:
        log.warning(
            "%s",
            printable(
                f"previous output {self.directory / path} {problem}; the build report treats it"
                " as absent"
            ),
        )


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildChanges:
    first_build: bool
    packages: int
    releases: int
    previous_packages: int = 0
    previous_releases: int = 0
    packages_added: tuple[str, ...] = ()
    packages_removed: tuple[str, ...] = ()
    packages_changed: tuple[str, ...] = ()
    releases_added: tuple[Release, ...] = ()
    releases_removed: tuple[Release, ...] = ()
    yanked: tuple[Release, ...] = ()
    unyanked: tuple[Release, ...] = ()
    status: tuple[tuple[str, str, str], ...] = ()  # (package, old, new)
    release_status: tuple[tuple[str, str, str, str], ...] = ()  # (package, version, old, new)
    keys: tuple[tuple[str, str, str], ...] = field(default=())  # (where, change, what)
    owners: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()  # (package, old, new)
    # The curators' amendments (docs/curation.md); the feed's amendment.* events read them.
    amendments_added: tuple[tuple[str, AmendmentKey], ...] = ()  # (package, amendment)
    amendments_removed: tuple[tuple[str, AmendmentKey], ...] = ()

    @property
    def empty(self) -> bool:
        lists = (self.packages_added, self.packages_removed, self.packages_changed, self.keys)
        return not self.first_build and not any(lists)


# Reading the previous output: each reader takes the parsed JSON and returns only what the
# report compares, or raises _Unusable; nothing here recurses into a value or hashes one that
# was not checked to be a string.


@dataclass(frozen=True, slots=True)
class _OldRegistry:
    counts: tuple[int, int]  # packages, releases
    trust: Mapping[str, frozenset[str]]  # root_keys, online_keys, revoked_keys
    root_threshold: int | None
    owners: Mapping[str, frozenset[str]]  # owner id -> keys


@dataclass(frozen=True, slots=True)
class _OldPackage:
    releases: Mapping[str, str]  # version -> status
    status: str | None
    owners: tuple[str, ...] = ()  # the ids of the owners who may sign it
    amendments: tuple[AmendmentKey, ...] = ()


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Unusable(f"{where} is not an object")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Unusable(f"{where} is not an array")
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _Unusable(f"{where} is not a string")
    try:
        value.encode("utf-8")  # the report is written as UTF-8: no lone surrogates
    except UnicodeEncodeError:
        raise _Unusable(f"{where} is not valid Unicode") from None
    return value


def _strings(value: object, where: str) -> frozenset[str]:
    return frozenset(_string(item, f"{where}[]") for item in _list(value, where))


def _count(counts: Mapping[str, Any], name: str) -> int:
    value = counts.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Unusable(f"counts.{name} is not a whole number")
    return value


def _build_report(document: object) -> bool:
    if _object(document, "the document").get("api_version") != API_VERSION:
        raise _Unusable(f"api_version is not {API_VERSION}")
    return True


def _names(document: object) -> frozenset[str]:
    packages = _list(_object(document, "the document").get("packages"), "packages")
    return frozenset(
        _string(_object(entry, "packages[]").get("name"), "packages[].name") for entry in packages
    )


def _registry(document: object) -> _OldRegistry:
    top = _object(document, "the document")
    counts = _object(top.get("counts"), "counts")
    trust = _object(top.get("trust"), "trust")
    threshold = trust.get("root_threshold")
    owners = {}
    for owner in _list(top.get("owners"), "owners"):
        entry = _object(owner, "owners[]")
        keys = _list(entry.get("keys"), "owners[].keys")
        owners[_string(entry.get("id"), "owners[].id")] = frozenset(
            _string(_object(key, "owners[].keys[]").get("key"), "owners[].keys[].key")
            for key in keys
        )
    return _OldRegistry(
        counts=(_count(counts, "packages"), _count(counts, "releases")),
        trust={name: _strings(trust.get(name) or [], f"trust.{name}") for name in _TRUST_KEYS},
        root_threshold=threshold if type(threshold) is int else None,
        owners=owners,
    )


def _package(document: object) -> _OldPackage:
    top = _object(document, "the document")
    releases = {}
    for release in _list(top.get("releases"), "releases"):
        entry = _object(release, "releases[]")
        status = entry.get("status")
        releases[_string(entry.get("version"), "releases[].version")] = (
            status if isinstance(status, str) else "none"
        )
    status = top.get("status")  # written into the report: a string it can hold, if any
    owners = tuple(
        _string(_object(owner, "owners[]").get("id"), "owners[].id")
        for owner in _list(top.get("owners", []), "owners")
    )
    amendments = top.get("amendments")  # absent before curation and without amendments
    entries = [] if amendments is None else _object(amendments, "amendments").get("entries")
    return _OldPackage(
        releases,
        None if status is None else _string(status, "status"),
        owners,
        tuple(_amendment(entry) for entry in _list(entries, "amendments.entries")),
    )


def _amendment(entry: object) -> AmendmentKey:
    fields = _object(entry, "amendments.entries[]")
    return tuple(
        None if fields.get(name) is None else _string(fields.get(name), f"entries[].{name}")
        for name in _AMENDMENT_FIELDS
    )


def _amendment_keys(amendments: PackageAmendments | None) -> tuple[AmendmentKey, ...]:
    if amendments is None:
        return ()
    entries = (amendment_entry(amendment) for amendment in amendments.amendments)
    return tuple(tuple(entry[name] for name in _AMENDMENT_FIELDS) for entry in entries)


_SOURCES = f"{API_ROOT}/sources/"  # api/v1/sources/<name>/...
_NAMES_SHAPE = '{"packages": [{"name": "..."}, ...]}'
_REGISTRY_SHAPE = "counts, trust and owners as api/v1/registry.json has them"
_PACKAGE_SHAPE = '{"releases": [{"version": "...", "status": "..."}, ...]}'


def compare_builds(site: Site, previous: PreviousOutput | None) -> BuildChanges:
    """What changed since the previous output; a first build when there is none to read."""
    packages, releases = len(site.packages), site.release_count
    before: frozenset[str] | None = None
    old_registry: _OldRegistry | None = None
    if previous is not None:
        before = previous.read(f"{API_ROOT}/names.json", _NAMES_SHAPE, _names)
        old_registry = previous.read(f"{API_ROOT}/registry.json", _REGISTRY_SHAPE, _registry)
    if previous is None or before is None or old_registry is None:
        return BuildChanges(first_build=True, packages=packages, releases=releases)
    added = tuple(name for name in site.packages if name not in before)
    changed, olds = _changed_packages(site, previous, before)
    found = _release_changes(site, previous, before, added, changed, olds)
    return BuildChanges(
        first_build=False,
        packages=packages,
        releases=releases,
        previous_packages=old_registry.counts[0],
        previous_releases=old_registry.counts[1],
        packages_added=added,
        packages_removed=tuple(sorted(name for name in before if name not in site.packages)),
        packages_changed=changed,
        releases_added=tuple(found.added),
        releases_removed=tuple(found.removed),
        yanked=tuple(found.yanked),
        unyanked=tuple(found.unyanked),
        status=tuple(found.status),
        release_status=tuple(found.release_status),
        owners=tuple(found.owners),
        keys=tuple(_key_changes(old_registry, _registry(registry_document(site)))),
        amendments_added=tuple(found.amendments_added),
        amendments_removed=tuple(found.amendments_removed),
    )


def _changed_packages(
    site: Site, previous: PreviousOutput, before: frozenset[str]
) -> tuple[tuple[str, ...], dict[str, _OldPackage | None]]:
    """The packages of both builds that changed, and the previous documents read to tell."""
    # A package changed when its signed sources did, or its releases or status as its document
    # says; its document also changes with what other packages say of it (its dependents, its
    # closure manifest), which is not its change.
    sources = {path.split("/")[3] for path in previous.changed if path.startswith(_SOURCES)}
    olds = {
        name: previous.read(f"{API_ROOT}/packages/{name}.json", _PACKAGE_SHAPE, _package)
        for name in site.packages
        if name in before and f"{API_ROOT}/packages/{name}.json" in previous.changed
    }
    changed = tuple(
        name
        for name in site.packages
        if name in before
        and (name in sources or (name in olds and _differs(olds[name], site, name)))
    )
    return changed, olds


def _release_changes(
    site: Site,
    previous: PreviousOutput,
    before: frozenset[str],
    added: tuple[str, ...],
    changed: tuple[str, ...],
    olds: dict[str, _OldPackage | None],
) -> _ReleaseChanges:
    """The releases, statuses and amendments of the packages added and changed."""
    found = _ReleaseChanges()
    found.added += [(name, v) for name in added for v in reversed(site.packages[name].versions)]
    for name in added:
        found.amendments(name, (), _amendment_keys(site.amendments.get(name)))
    for name in changed:
        path = f"{API_ROOT}/packages/{name}.json"
        old = olds.get(name) or _OldPackage({}, None)
        if name not in olds and name in before:
            old = previous.read(path, _PACKAGE_SHAPE, _package) or old
        found.compare(name, old, site.packages[name])
        found.amendments(name, old.amendments, _amendment_keys(site.amendments.get(name)))
        if previous.current is not None and (new := previous.current(path)) is not None:
            found.statuses(name, old, _package(json.loads(new)))
    return found


def _differs(old: _OldPackage | None, site: Site, name: str) -> bool:
    """Whether the previous document's releases, status or curators' amendments differ from
    the package's now (an amendments file removed leaves no changed source behind)."""
    if old is None:
        return True
    summary = site.packages[name]
    yanked = {version for version, status in old.releases.items() if status == "yanked"}
    return (
        set(old.releases) != set(summary.versions)
        or yanked != set(summary.yanked)
        or old.status != summary.status.value
        or old.amendments != _amendment_keys(site.amendments.get(name))
    )


@dataclass(slots=True)
class _ReleaseChanges:
    added: list[Release] = field(default_factory=list)
    removed: list[Release] = field(default_factory=list)
    yanked: list[Release] = field(default_factory=list)
    unyanked: list[Release] = field(default_factory=list)
    status: list[tuple[str, str, str]] = field(default_factory=list)
    release_status: list[tuple[str, str, str, str]] = field(default_factory=list)
    owners: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = field(default_factory=list)
    amendments_added: list[tuple[str, AmendmentKey]] = field(default_factory=list)
    amendments_removed: list[tuple[str, AmendmentKey]] = field(default_factory=list)

    def amendments(
        self, name: str, old: Sequence[AmendmentKey], new: Sequence[AmendmentKey]
    ) -> None:
        """Record the amendments of package ``name`` that were added or removed."""
        self.amendments_added += [(name, key) for key in new if key not in old]
        self.amendments_removed += [(name, key) for key in old if key not in new]

    def compare(self, name: str, old: _OldPackage, summary: PackageSummary) -> None:
        """Record how package ``name``'s releases and status changed since ``old``."""
        new_yanked = set(summary.yanked)
        self.added += [(name, v) for v in reversed(summary.versions) if v not in old.releases]
        self.removed += [(name, v) for v in old.releases if v not in summary.versions]
        for version, old_status in old.releases.items():
            if version in summary.versions:
                if version in new_yanked and old_status != "yanked":
                    self.yanked.append((name, version))
                elif version not in new_yanked and old_status == "yanked":
                    self.unyanked.append((name, version))
        if old.status is not None and old.status != summary.status.value:
            self.status.append((name, old.status, summary.status.value))

    def statuses(self, name: str, old: _OldPackage, new: _OldPackage) -> None:
        """Release status changes other than yanks (active, deprecated, insecure), and a change
        of the owners who may sign the package."""
        for version, old_status in old.releases.items():
            new_status = new.releases.get(version, old_status)
            if old_status != new_status and "yanked" not in (old_status, new_status):
                self.release_status.append((name, version, old_status, new_status))
        if old.owners != new.owners:
            self.owners.append((name, old.owners, new.owners))


def _key_changes(old: _OldRegistry, new: _OldRegistry) -> list[tuple[str, str, str]]:
    changes: list[tuple[str, str, str]] = []
    for name in _TRUST_KEYS:
        before, after = old.trust[name], new.trust[name]
        changes += [(name, "added", key) for key in sorted(after - before)]
        changes += [(name, "removed", key) for key in sorted(before - after)]
    if old.root_threshold != new.root_threshold:
        changes.append(("root_threshold", "changed", str(new.root_threshold)))
    old_owners, new_owners = old.owners, new.owners
    changes += [("owners", "added", owner) for owner in sorted(set(new_owners) - set(old_owners))]
    changes += [("owners", "removed", owner) for owner in sorted(set(old_owners) - set(new_owners))]
    for owner in sorted(set(old_owners) & set(new_owners)):
        before, after = old_owners[owner], new_owners[owner]
        changes += [(f"owner {owner}", "key added", key) for key in sorted(after - before)]
        changes += [(f"owner {owner}", "key removed", key) for key in sorted(before - after)]
    return changes


def report_document(changes: BuildChanges) -> dict[str, Any]:
    def releases(items: Sequence[Release]) -> list[dict[str, str]]:
        return [{"name": name, "version": version} for name, version in items]

    return {
        "api_version": API_VERSION,
        "first_build": changes.first_build,
        "counts": {"packages": changes.packages, "releases": changes.releases},
        "previous_counts": None
        if changes.first_build
        else {"packages": changes.previous_packages, "releases": changes.previous_releases},
        "packages": {
            "added": list(changes.packages_added),
            "removed": list(changes.packages_removed),
            "changed": list(changes.packages_changed),
        },
        "releases": {
            "added": releases(changes.releases_added),
            "removed": releases(changes.releases_removed),
            "yanked": releases(changes.yanked),
            "unyanked": releases(changes.unyanked),
        },
        "status": [{"name": n, "from": old, "to": new} for n, old, new in changes.status],
        "keys": [{"where": w, "change": c, "key": k} for w, c, k in changes.keys],
        "amendments": {
            "added": [_amendment_document(n, key) for n, key in changes.amendments_added],
            "removed": [_amendment_document(n, key) for n, key in changes.amendments_removed],
        },
    }


def _amendment_document(package: str, key: AmendmentKey) -> dict[str, str | None]:
    return {"package": package, **dict(zip(_AMENDMENT_FIELDS, key, strict=True))}


def _amendment_line(package: str, key: AmendmentKey) -> str:
    """``beta`` (releases <=0.9.0): alpha upper-bound 2.0 [build]"""
    releases, narrows, name, version, specifier, kind = key
    what = " ".join(part for part in (name, narrows, version or specifier) if part)
    return f"`{package}` (releases {releases or '*'}): {what} [{kind}]"


def report_markdown(changes: BuildChanges, title: str) -> str:
    """The changes as Markdown for a pull request; long lists are cut at 50 rows."""
    lines = [f"### {title}: build report", ""]
    if changes.first_build:
        lines.append(
            f"First build: {changes.packages:,} packages, {changes.releases:,} releases"
            " (no previous output to compare with)."
        )
        return "\n".join(lines) + "\n"
    lines.append(
        f"{changes.packages:,} packages ({changes.packages - changes.previous_packages:+,}),"
        f" {changes.releases:,} releases ({changes.releases - changes.previous_releases:+,})."
    )
    if changes.empty:
        lines += ["", "No changes to packages, releases or keys."]
    sections: list[tuple[str, list[str]]] = [
        ("Packages added", [f"`{name}`" for name in changes.packages_added]),
        ("Packages removed", [f"`{name}`" for name in changes.packages_removed]),
        ("Releases added", [f"`{n}` {v}" for n, v in changes.releases_added]),
        ("Releases removed", [f"`{n}` {v}" for n, v in changes.releases_removed]),
        ("Yanked", [f"`{n}` {v}" for n, v in changes.yanked]),
        ("Un-yanked", [f"`{n}` {v}" for n, v in changes.unyanked]),
        ("Status", [f"`{n}`: {old} → {new}" for n, old, new in changes.status]),
        ("Keys", [f"{where}: {change} `{key}`" for where, change, key in changes.keys]),
        ("Amendments added", [_amendment_line(n, key) for n, key in changes.amendments_added]),
        ("Amendments removed", [_amendment_line(n, key) for n, key in changes.amendments_removed]),
    ]
    for heading, rows in sections:
        if rows:
            lines += ["", f"**{heading}** ({len(rows)})", ""]
            lines += [f"- {row}" for row in rows[:_MARKDOWN_ROWS]]
            if len(rows) > _MARKDOWN_ROWS:
                lines.append(
                    f"- … and {len(rows) - _MARKDOWN_ROWS} more (api/v1/build-report.json)"
                )
    return "\n".join(lines) + "\n"
