"""``regsite release add NAME --from-wheel FILE… [--from-sdist FILE]``: a release made from its
distributions' own metadata.

Name, version, Requires-Dist (markers and extras kept), Requires-Python and Provides-Extra come
from the files (:mod:`regsite.distributions`); sha256 and size from their bytes.  The files are
hosted by the site (copied into ``packages/<name>/files/``, or left for ``regsite build --files
DIR``), or recorded at an external URL (``--url-prefix``).  A hosted wheel's METADATA is kept in
the source beside it (``<wheel>.metadata``), its sha256 recorded in package.toml, for PEP 658.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import InvalidVersion, Version

from regsite.atomic_write import write_atomically
from regsite.distributions import Distribution, read_distribution
from regsite.errors import SourceEditError
from regsite.fields import url_problem
from regsite.hosted import CORE_METADATA_SUFFIX, HOSTED_SOURCE_DIR
from regsite.names import normalize_name
from regsite.sources import SourceTree

__all__ = ["DependencySpec", "FileArtifact", "ReleaseFiles", "copy_hosted", "release_from_files"]


@dataclass(frozen=True, slots=True)
class DependencySpec:
    """One dependency as package.toml writes it."""

    name: str  # normalised
    specifier: str  # normal form; "*" for any version
    marker: str | None = None
    extras: tuple[str, ...] = ()
    upstream: str | None = None  # the [[upstream]] it is taken from (docs/upstreams.md)

    @property
    def is_plain(self) -> bool:
        """Written ``name = "spec"``: nothing but a specifier to say."""
        return self.marker is None and not self.extras and self.upstream is None


@dataclass(frozen=True, slots=True)
class FileArtifact:
    distribution: Distribution
    url: str | None  # external; None when hosted


@dataclass(frozen=True, slots=True)
class ReleaseFiles:
    """What the distributions say about their release."""

    version: str
    artifacts: tuple[FileArtifact, ...]
    dependencies: tuple[DependencySpec, ...]
    requires_python: str | None
    provides_extras: tuple[str, ...]


def release_from_files(
    name: str,
    wheels: Sequence[Path],
    sdist: Path | None,
    version: str | None,
    url_prefix: str | None,
) -> ReleaseFiles:
    """Read every distribution and check that they describe one release of ``name``."""
    if url_prefix is not None and (problem := url_problem(url_prefix)) is not None:
        raise SourceEditError(f"--url-prefix: {problem}")
    found = [read_distribution(path, "wheel") for path in wheels]
    found += [read_distribution(sdist, "sdist")] if sdist is not None else []
    _check_one_release(normalize_name(name), found, version)
    # Wheels say what installs; an sdist's metadata may leave fields to its build (Dynamic).
    source = found[0]
    for other in found[1 : len(wheels)]:
        _check_same_metadata(source, other)
    metadata = source.metadata
    prefix = None if url_prefix is None else url_prefix.rstrip("/") + "/"
    return ReleaseFiles(
        version=str(source.version),
        artifacts=tuple(FileArtifact(d, prefix and prefix + d.filename) for d in found),
        dependencies=tuple(_dependency(source, r) for r in metadata.requires_dist or ()),
        requires_python=None if metadata.requires_python is None else str(metadata.requires_python),
        provides_extras=tuple(sorted(str(extra) for extra in metadata.provides_extra or ())),
    )


def _check_one_release(name: str, found: list[Distribution], version: str | None) -> None:
    for distribution in found:
        if distribution.name != name:
            raise SourceEditError(
                f"{distribution.path}: is a distribution of {distribution.name!r}, not {name!r}"
            )
        if distribution.version != found[0].version:
            raise SourceEditError(
                f"{distribution.path}: is version {distribution.version}, but"
                f" {found[0].path.name} is {found[0].version}; give the files of one release"
            )
    if version is not None and found and str(found[0].version) != _normal(version):
        raise SourceEditError(
            f"version {version} was given, but the files are version {found[0].version}"
        )
    names = [distribution.filename for distribution in found]
    if len(set(names)) != len(names):
        raise SourceEditError("the same file is given twice")


def _normal(version: str) -> str:
    try:
        return str(Version(version))
    except InvalidVersion:
        return version


def _check_same_metadata(first: Distribution, other: Distribution) -> None:
    """Wheels of one release must agree on what they need, or a lock could not say it once."""
    mine, theirs = _declared(first), _declared(other)
    for what in mine:
        if mine[what] != theirs[what]:
            raise SourceEditError(
                f"{other.filename} and {first.filename} declare different {what}; regsite"
                " records one per release"
            )


def _declared(distribution: Distribution) -> dict[str, list[str]]:
    metadata = distribution.metadata
    return {
        "Requires-Dist": sorted(map(str, metadata.requires_dist or ())),
        "Requires-Python": [str(metadata.requires_python)],
        "Provides-Extra": sorted(map(str, metadata.provides_extra or ())),
    }


def _dependency(source: Distribution, requirement: Requirement) -> DependencySpec:
    if requirement.url is not None:
        raise SourceEditError(
            f"{source.path}: Requires-Dist {requirement} names a URL; a registry's dependencies"
            " are packages of the registry"
        )
    return DependencySpec(
        name=normalize_name(requirement.name),
        specifier=str(requirement.specifier) or "*",
        marker=None if requirement.marker is None else str(requirement.marker),
        extras=tuple(sorted(normalize_name(extra) for extra in requirement.extras)),
    )


def copy_hosted(tree: SourceTree, name: str, files: ReleaseFiles, copy: bool) -> list[Path]:
    """Put the hosted files in ``packages/<name>/files/`` (with ``copy``) and each hosted
    wheel's METADATA beside it (always); return the paths written."""
    directory = tree.package_dir(name) / HOSTED_SOURCE_DIR
    written = []
    for artifact in files.artifacts:
        distribution = artifact.distribution
        if artifact.url is not None:
            continue
        target = directory / distribution.filename
        try:
            directory.mkdir(parents=True, exist_ok=True)
            if copy and not (target.exists() and target.samefile(distribution.path)):
                shutil.copyfile(distribution.path, target)
                written.append(target)
            if distribution.kind == "wheel":
                metadata = target.with_name(target.name + CORE_METADATA_SUFFIX)
                write_atomically(metadata, distribution.core_metadata)
                written.append(metadata)
        except OSError as error:
            raise SourceEditError(f"cannot write {target}: {error.strerror or error}") from error
    return written
