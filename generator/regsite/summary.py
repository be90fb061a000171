"""What the stages after the scan need of a package, in two parts (docs/decisions.md, 24).

:class:`PackageSummary` is small and kept in memory for every package: the names list,
reverse dependencies, the requirement check's inputs, the build report and search read it.
:class:`PackageDetails` is larger and stays in the memo: the requirements and the recent
releases are read back only by the stage that needs them, one package at a time, so a registry
of 200,000 packages fits in memory.

Both are stored as plain tuples (:func:`pack` and :func:`unpack`): a tuple of strings, numbers
and datetimes unpickles without a call back into Python, where a dataclass, enum or named tuple
costs one each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from regsite.memo import digest_of
from regsite.model import Package, PackageStatus, Release, ReleaseStatus
from regsite.render.markdown import readme_headings
from regsite.render.shard import shard_sha256

__all__ = [
    "RECENT_RELEASES",
    "PackageDetails",
    "PackageSummary",
    "Packed",
    "ReleaseBrief",
    "Requirement",
    "pack",
    "summarize",
    "unpack_details",
    "unpack_summary",
]

RECENT_RELEASES = 12  # the home page lists this many releases, newest first


class ReleaseBrief(NamedTuple):
    version: str
    published: datetime
    status: ReleaseStatus


class Requirement(NamedTuple):
    """One dependency of one release, checked against the other packages' versions."""

    release: str  # the requiring release's version
    name: str
    specifier: str
    upstream: str  # the [[upstream]] the dependency is taken from; "" for this registry


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageSummary:
    name: str
    description: str
    keywords: tuple[str, ...]
    status: PackageStatus
    latest: ReleaseBrief | None  # as Package.latest
    newest: datetime | None  # the latest publish time of any release
    first: datetime | None  # the earliest publish time of any release
    versions: tuple[str, ...]  # every release, newest version first
    yanked: tuple[str, ...]
    depends_on: tuple[str, ...]  # packages a release that is not yanked requires, sorted
    targets: tuple[str, ...]  # packages any release requires, sorted
    headings: tuple[str, ...]  # the README's headings, for search
    source_path: str  # packages/<name>/package.toml
    signers: tuple[str, ...]  # owners whose valid signatures package.toml carries
    key: bytes  # the scan's memo key: where this package's record is kept
    requirements_digest: bytes  # of PackageDetails.requirements
    search_digest: bytes  # of what search indexes besides the name: keywords, description, headings
    # The packages of this registry the latest release installs, each with its range as written
    # (Specifier.written): the "used by" ranges and transitive counts of package pages.
    uses: tuple[tuple[str, str], ...] = ()
    shard: str = ""  # the sha256 of the package's version-index shard (render/shard.py)

    @property
    def release_count(self) -> int:
        return len(self.versions)


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageDetails:
    requirements: tuple[Requirement, ...]
    recent: tuple[ReleaseBrief, ...]  # newest publish time first, at most RECENT_RELEASES


def _brief(release: Release, version: str) -> ReleaseBrief:
    return ReleaseBrief(version, release.published, release.status)


def summarize(package: Package, key: bytes) -> tuple[PackageSummary, PackageDetails]:
    # str(Version) is slow and each release's is needed up to four times: work it out once.
    releases = [(release, str(release.version)) for release in package.releases]
    latest = package.latest
    by_date = sorted(releases, key=lambda pair: (pair[0].published, pair[0].version), reverse=True)
    requirements = _requirements(releases)
    headings = readme_headings(package.readme.text) if package.readme else ()
    verification = package.source.verification
    summary = PackageSummary(
        name=package.name,
        description=package.description,
        keywords=package.keywords,
        status=package.status,
        latest=None if latest is None else _brief(latest, str(latest.version)),
        newest=by_date[0][0].published if by_date else None,
        first=by_date[-1][0].published if by_date else None,
        versions=tuple(version for _, version in releases),
        yanked=tuple(version for r, version in releases if r.status is ReleaseStatus.YANKED),
        depends_on=_dependents_of(
            r for r in package.releases if r.status is not ReleaseStatus.YANKED
        ),
        targets=_targets(package.releases),
        headings=headings,
        source_path=package.source.path,
        signers=tuple(sorted(verification.signers)) if verification else (),
        key=key,
        requirements_digest=digest_of(part for item in requirements for part in item),
        search_digest=digest_of([*package.keywords, "", package.description, "", *headings]),
        uses=_uses(latest),
        shard=shard_sha256(package),
    )
    details = PackageDetails(
        requirements=requirements,
        recent=tuple(_brief(release, version) for release, version in by_date[:RECENT_RELEASES]),
    )
    return summary, details


def _requirements(releases: list[tuple[Release, str]]) -> tuple[Requirement, ...]:
    """Every requirement the consistency check resolves, with the version that states it."""
    return tuple(
        Requirement(
            release=version, name=d.name, specifier=str(d.specifier), upstream=d.upstream or ""
        )
        for release, version in releases
        for d in release.requires
        if d.checked  # cargo's other registries' packages are not checked here
    )


def _uses(latest: Release | None) -> tuple[tuple[str, str], ...]:
    if latest is None:
        return ()
    ranges = {d.name: d.specifier.written for d in latest.requires if d.in_registry and d.installed}
    return tuple(sorted(ranges.items()))


def _dependents_of(releases: Iterable[Release]) -> tuple[str, ...]:
    """The packages of this registry that ``releases`` require (another registry's, an
    upstream's included, are not this registry's dependents)."""
    return tuple(sorted({d.name for r in releases for d in r.requires if d.in_registry}))


def _targets(releases: Iterable[Release]) -> tuple[str, ...]:
    """The packages whose versions the requirement checks read: this registry's and its
    upstreams' (their versions are in the checks' keys, docs/upstreams.md)."""
    return tuple(sorted({d.name for r in releases for d in r.requires if d.checked}))


# Packing ----------------------------------------------------------------------------------------

_RELEASE_STATUS = {status.value: status for status in ReleaseStatus}
_PACKAGE_STATUS = {status.value: status for status in PackageStatus}
_make = tuple.__new__  # a named tuple from a plain tuple, without a Python call per field


def _pack_brief(brief: ReleaseBrief) -> tuple[str, datetime, str]:
    return (brief.version, brief.published, brief.status.value)


def _unpack_brief(packed: tuple[str, datetime, str]) -> ReleaseBrief:
    return _make(ReleaseBrief, (packed[0], packed[1], _RELEASE_STATUS[packed[2]]))


Packed = tuple[tuple[Any, ...], tuple[Any, ...]]  # (summary, details)


def pack(summary: PackageSummary, details: PackageDetails) -> Packed:
    """Both parts as plain values, for the memo; each is unpacked on its own."""
    latest = summary.latest
    return (
        (
            summary.name,
            summary.description,
            summary.keywords,
            summary.status.value,
            None if latest is None else _pack_brief(latest),
            summary.newest,
            summary.first,
            summary.versions,
            summary.yanked,
            summary.depends_on,
            summary.targets,
            summary.headings,
            summary.source_path,
            summary.signers,
            summary.key,
            summary.requirements_digest,
            summary.search_digest,
            summary.uses,
            summary.shard,
        ),
        (
            tuple(tuple(requirement) for requirement in details.requirements),
            tuple(_pack_brief(brief) for brief in details.recent),
        ),
    )


def unpack_summary(packed: Packed) -> PackageSummary:
    (name, description, keywords, status, latest, newest, first, versions) = packed[0][:8]
    (yanked, depends_on, targets, headings, source_path, signers, key) = packed[0][8:15]
    requirements, search, uses, shard = packed[0][15:19]
    return PackageSummary(
        name=name,
        description=description,
        keywords=keywords,
        status=_PACKAGE_STATUS[status],
        latest=None if latest is None else _unpack_brief(latest),
        newest=newest,
        first=first,
        versions=versions,
        yanked=yanked,
        depends_on=depends_on,
        targets=targets,
        headings=headings,
        source_path=source_path,
        signers=signers,
        key=key,
        requirements_digest=requirements,
        search_digest=search,
        uses=uses,
        shard=shard,
    )


def unpack_details(packed: Packed) -> PackageDetails:
    requirements, recent = packed[1]
    return PackageDetails(
        requirements=tuple(_make(Requirement, item) for item in requirements),
        recent=tuple(_unpack_brief(brief) for brief in recent),
    )
