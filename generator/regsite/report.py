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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regsite.model import Site
from regsite.render.api import API_ROOT, API_VERSION, registry_document

__all__ = [
    "REPORT_PATH",
    "BuildChanges",
    "PreviousOutput",
    "compare_builds",
    "report_document",
    "report_markdown",
]

REPORT_PATH = f"{API_ROOT}/build-report.json"
_MARKDOWN_ROWS = 50  # per list; the JSON report always lists everything

Release = tuple[str, str]  # (package, version)


@dataclass(frozen=True, slots=True)
class PreviousOutput:
    directory: Path
    changed: Collection[str]  # output paths whose bytes this build changed

    def read_bytes(self, path: str) -> bytes | None:
        try:
            return (self.directory / path).read_bytes()
        except OSError:
            return None

    def read_json(self, path: str) -> Any:
        content = self.read_bytes(path)
        try:
            return None if content is None else json.loads(content)
        except ValueError:
            return None


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
    keys: tuple[tuple[str, str, str], ...] = field(default=())  # (where, change, what)

    @property
    def empty(self) -> bool:
        lists = (self.packages_added, self.packages_removed, self.packages_changed, self.keys)
        return not self.first_build and not any(lists)


def compare_builds(site: Site, previous: PreviousOutput | None) -> BuildChanges:
    packages, releases = len(site.packages), site.release_count
    old_names = previous.read_json(f"{API_ROOT}/names.json") if previous else None
    old_registry = previous.read_json(f"{API_ROOT}/registry.json") if previous else None
    if previous is None or not isinstance(old_names, dict) or not isinstance(old_registry, dict):
        return BuildChanges(first_build=True, packages=packages, releases=releases)
    before = {
        entry["name"]: entry
        for entry in old_names.get("packages", [])
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    }
    added = tuple(name for name in site.packages if name not in before)
    removed = tuple(sorted(name for name in before if name not in site.packages))
    changed = tuple(
        name
        for name in site.packages
        if name in before and f"{API_ROOT}/packages/{name}.json" in previous.changed
    )
    releases_added: list[Release] = [
        (name, version) for name in added for version in reversed(site.packages[name].versions)
    ]
    releases_removed: list[Release] = []
    yanked: list[Release] = []
    unyanked: list[Release] = []
    status: list[tuple[str, str, str]] = []
    for name in changed:
        summary = site.packages[name]
        old = previous.read_json(f"{API_ROOT}/packages/{name}.json")
        old_releases = _releases(old)
        new_yanked = set(summary.yanked)
        releases_added += [(name, v) for v in reversed(summary.versions) if v not in old_releases]
        releases_removed += [(name, v) for v in old_releases if v not in summary.versions]
        for version, old_status in old_releases.items():
            if version in summary.versions:
                if version in new_yanked and old_status != "yanked":
                    yanked.append((name, version))
                elif version not in new_yanked and old_status == "yanked":
                    unyanked.append((name, version))
        was = old.get("status") if isinstance(old, dict) else None
        if isinstance(was, str) and was != summary.status.value:
            status.append((name, was, summary.status.value))
    counts = old_registry.get("counts", {})
    return BuildChanges(
        first_build=False,
        packages=packages,
        releases=releases,
        previous_packages=_count(counts, "packages"),
        previous_releases=_count(counts, "releases"),
        packages_added=added,
        packages_removed=removed,
        packages_changed=changed,
        releases_added=tuple(releases_added),
        releases_removed=tuple(releases_removed),
        yanked=tuple(yanked),
        unyanked=tuple(unyanked),
        status=tuple(status),
        keys=tuple(_key_changes(old_registry, registry_document(site))),
    )


def _count(counts: object, name: str) -> int:
    value = counts.get(name) if isinstance(counts, dict) else None
    return value if isinstance(value, int) else 0


def _releases(document: object) -> dict[str, str]:
    """version -> status, from an old package JSON document."""
    if not isinstance(document, dict) or not isinstance(document.get("releases"), list):
        return {}
    return {
        entry["version"]: str(entry.get("status"))
        for entry in document["releases"]
        if isinstance(entry, dict) and isinstance(entry.get("version"), str)
    }


def _key_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    changes: list[tuple[str, str, str]] = []
    old_trust, new_trust = old.get("trust") or {}, new["trust"]
    for field_name in ("root_keys", "online_keys", "revoked_keys"):
        before = set(old_trust.get(field_name) or ())
        after = set(new_trust.get(field_name) or ())
        changes += [(field_name, "added", key) for key in sorted(after - before)]
        changes += [(field_name, "removed", key) for key in sorted(before - after)]
    if old_trust.get("root_threshold") != new_trust["root_threshold"]:
        changes.append(("root_threshold", "changed", str(new_trust["root_threshold"])))
    old_owners, new_owners = _owner_keys(old), _owner_keys(new)
    changes += [("owners", "added", owner) for owner in sorted(set(new_owners) - set(old_owners))]
    changes += [("owners", "removed", owner) for owner in sorted(set(old_owners) - set(new_owners))]
    for owner in sorted(set(old_owners) & set(new_owners)):
        before, after = old_owners[owner], new_owners[owner]
        changes += [(f"owner {owner}", "key added", key) for key in sorted(after - before)]
        changes += [(f"owner {owner}", "key removed", key) for key in sorted(before - after)]
    return changes


def _owner_keys(document: Mapping[str, Any]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for owner in document.get("owners") or ():
        if isinstance(owner, dict) and isinstance(owner.get("id"), str):
            keys = owner.get("keys") or ()
            found[owner["id"]] = {
                key["key"] for key in keys if isinstance(key, dict) and "key" in key
            }
    return found


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
    }


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
