"""What the site-wide outputs need of a package, small enough to keep for every package.

The build keeps a :class:`PackageSummary` per package in memory (and in the cache) instead of the
full :class:`~regsite.model.Package`: the names list, the home page, search, reverse dependencies,
validation across packages and the build report read only these fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from regsite.model import Package, PackageStatus, Release, ReleaseStatus
from regsite.render.markdown import readme_headings

__all__ = ["RECENT_RELEASES", "PackageSummary", "ReleaseBrief", "Requirement", "summarize"]

RECENT_RELEASES = 12  # the home page lists this many releases, newest first


# The two records below are named tuples, not dataclasses: a build keeps and caches hundreds of
# thousands of them, and a tuple of strings unpickles several times faster.


class ReleaseBrief(NamedTuple):
    version: str
    published: datetime
    status: ReleaseStatus


class Requirement(NamedTuple):
    """One dependency of one release, checked against the other packages' versions."""

    release: str  # the requiring release's version
    name: str
    specifier: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageSummary:
    name: str
    description: str
    keywords: tuple[str, ...]
    status: PackageStatus
    latest: ReleaseBrief | None  # as Package.latest
    recent: tuple[ReleaseBrief, ...]  # newest publish time first, at most RECENT_RELEASES
    versions: tuple[str, ...]  # every release, newest version first
    yanked: tuple[str, ...]
    requirements: tuple[Requirement, ...]
    depends_on: tuple[str, ...]  # packages a release that is not yanked requires, sorted
    headings: tuple[str, ...]  # the README's headings, for search
    source_path: str  # packages/<name>/package.toml
    digest: str  # of every input the package's own outputs are rendered from
    signers: tuple[str, ...]  # owners whose valid signatures package.toml carries

    @property
    def release_count(self) -> int:
        return len(self.versions)


def _brief(release: Release, version: str) -> ReleaseBrief:
    return ReleaseBrief(version, release.published, release.status)


def summarize(package: Package, digest: str) -> PackageSummary:
    # str(Version) is slow and each release's is needed up to four times: work it out once.
    releases = [(release, str(release.version)) for release in package.releases]
    latest = package.latest
    by_date = sorted(releases, key=lambda pair: (pair[0].published, pair[0].version), reverse=True)
    verification = package.source.verification
    return PackageSummary(
        name=package.name,
        description=package.description,
        keywords=package.keywords,
        status=package.status,
        latest=None if latest is None else _brief(latest, str(latest.version)),
        recent=tuple(_brief(release, version) for release, version in by_date[:RECENT_RELEASES]),
        versions=tuple(version for _, version in releases),
        yanked=tuple(version for r, version in releases if r.status is ReleaseStatus.YANKED),
        requirements=tuple(
            Requirement(release=version, name=d.name, specifier=str(d.specifier))
            for r, version in releases
            for d in r.requires
            if d.in_registry  # another registry's packages are not checked here
        ),
        depends_on=tuple(
            sorted(
                {
                    dependency.name
                    for release in package.releases
                    if release.status is not ReleaseStatus.YANKED
                    for dependency in release.requires
                    if dependency.in_registry
                }
            )
        ),
        headings=readme_headings(package.readme.text) if package.readme else (),
        source_path=package.source.path,
        digest=digest,
        signers=tuple(sorted(verification.signers)) if verification else (),
    )
