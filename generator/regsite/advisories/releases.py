"""Advisories meet a package: which of its releases each affects, and the checks that need the
package's releases (run in the package's scan, whose key declares the advisories naming it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from regsite.advisories.model import Advisory
from regsite.errors import SourceProblem
from regsite.model import Package, Release

__all__ = ["advisory_marks", "advisory_problems", "mark_document", "scan_inputs"]


def scan_inputs(advisories: Sequence[Advisory]) -> list[bytes | str]:
    """What a package's scan key declares of the advisories naming it."""
    return ["advisories", *(advisory.digest for advisory in advisories)]


def advisory_marks(
    release: Release, name: str, advisories: Sequence[Advisory]
) -> tuple[Advisory, ...]:
    """The advisories (naming package ``name``) that affect ``release``."""
    return tuple(a for a in advisories if a.affects(name, release.version))


def mark_document(advisory: Advisory, name: str, url_prefix: str) -> dict[str, Any]:
    """How the package JSON and pages describe one advisory of a release (additive to API v1):
    ``url_prefix`` leads from the document to ``api/v1/``."""
    return {
        "id": advisory.id,
        "summary": advisory.summary,
        "aliases": list(advisory.aliases),
        "fixed": list(advisory.fixed_in(name)),
        "url": f"{url_prefix}advisories/{advisory.id}.json",
    }


def advisory_problems(package: Package, advisories: Sequence[Advisory]) -> list[SourceProblem]:
    """A release's ``advisories`` must each affect it; an advisory's explicit versions must be
    releases of the package."""
    problems = []
    naming = {advisory.id: advisory for advisory in advisories}
    for release in package.releases:
        for index, advisory_id in enumerate(release.advisories):
            advisory = naming.get(advisory_id)
            if advisory is None or not advisory.affects(package.name, release.version):
                where = f"release[version={release.version}].advisories[{index}]"
                what = "names this package" if advisory is None else "affects this release"
                message = (
                    f"no advisory {advisory_id!r} in advisories/ {what}: add or fix it there,"
                    " or remove the id"
                )
                problems.append(SourceProblem(package.source.path, where, message))
    versions = {str(release.version) for release in package.releases}
    for advisory in advisories:
        problems += _unknown_versions(advisory, package.name, versions)
    return problems


def _unknown_versions(advisory: Advisory, name: str, versions: set[str]) -> list[SourceProblem]:
    problems = []
    for index, entry in enumerate(advisory.affected):
        if entry.package != name:
            continue
        for version in sorted(entry.versions - versions):
            known = ", ".join(sorted(versions)[:10]) or "none"
            message = f"{version} is not a release of {name!r} (releases: {known})"
            problems.append(SourceProblem(advisory.path, f"affected[{index}].versions", message))
    return problems
