"""A lock in the formats Python's installers read: pip's hash-checking requirements file and
PEP 751's ``pylock.toml``.

Both name exactly the releases and files that ``regsite client`` verified, with their sha256, so
``pip install --require-hashes -r requirements.txt`` and ``uv pip install -r pylock.toml``
install those bytes or nothing.  Like the lock they come from, they are made for the Python
that ran ``regsite client lock``: markers and ``requires-python`` were evaluated there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import tomlkit
from packaging.pylock import (
    Package as PylockPackage,
)
from packaging.pylock import (
    PackageSdist,
    PackageWheel,
    Pylock,
    PylockValidationError,
)
from packaging.utils import canonicalize_name
from packaging.version import Version

from regsite.client.download import artifact_filename
from regsite.client.lockfile import Lock, LockedArtifact, LockedPackage, LockfileError, dump_lock
from regsite.model import Registry, Release

__all__ = ["LOCK_FORMATS", "SDIST_SUFFIXES", "lock_content", "pylock_file", "requirements_file"]

SDIST_SUFFIXES = (".tar.gz", ".zip")  # PEP 625's, and the older .zip
_CREATED_BY = "regsite"
# What --format writes, and the file it writes by default.
LOCK_FORMATS = {
    "regsite": "regsite.lock",
    "requirements": "requirements.txt",
    "pylock": "pylock.toml",
}


def lock_content(
    format: str, lock: Lock, releases: dict[str, Release], registry: Registry
) -> bytes:
    """The lock in ``format`` (:data:`LOCK_FORMATS`), for the releases it holds."""
    python = "python" in registry.flavours
    index = f"{lock.registry}simple/" if python else None
    if format == "pylock":
        return pylock_file(lock, releases, index)
    if format == "requirements":
        if index is None:
            raise LockfileError(
                f"{lock.registry}: this registry does not publish the Python flavour"
                " ([flavours] python = true in its registry.toml), so pip has no index to find"
                " its files in; write --format pylock (files by URL) or the regsite lockfile"
            )
        return requirements_file(lock, index)
    return dump_lock(lock)


def requirements_file(lock: Lock, index_url: str) -> bytes:
    """pip's requirements format in hash-checking mode: one ``name==version`` per package with
    a ``--hash`` for each of its files, found through the registry's simple index."""
    lines = [
        f"# Locked by regsite from {lock.registry} for: {' '.join(lock.requirements)}",
        "# Install exactly these files: pip install --require-hashes -r FILE",
        f"--index-url {index_url}",
    ]
    # Packages taken from an upstream are in its own index (docs/upstreams.md).
    lines += [f"--extra-index-url {url}simple/" for url in sorted(set(lock.upstreams.values()))]
    for package in lock.packages:
        hashes = sorted({artifact.sha256 for artifact in package.artifacts})
        pins = [f"{package.name}=={package.version}", *(f"--hash=sha256:{h}" for h in hashes)]
        lines.append(" \\\n    ".join(pins))
    return ("\n".join(lines) + "\n").encode("utf-8")


def pylock_file(lock: Lock, releases: Mapping[str, Release], index_url: str | None) -> bytes:
    """PEP 751's ``pylock.toml``: every package with its wheels and sdist by URL, size, upload
    time and sha256; written with packaging's model and checked by its reader."""
    pylock = Pylock(
        lock_version=Version("1.0"),
        created_by=_CREATED_BY,
        packages=[
            _package(package, releases[package.name], _index(lock, package, index_url))
            for package in lock.packages
        ],
    )
    try:
        pylock.validate()
    except PylockValidationError as error:
        raise LockfileError(f"cannot write pylock.toml: {error}") from error
    document = tomlkit.document()
    document.add(tomlkit.comment(f"Locked by regsite from {lock.registry}"))
    document.add(tomlkit.comment("Install exactly these files: uv pip install -r pylock.toml"))
    document.update(pylock.to_dict())
    return tomlkit.dumps(document).encode("utf-8")


def _index(lock: Lock, package: LockedPackage, index_url: str | None) -> str | None:
    """The simple index the package is from: the registry's, or its upstream's."""
    if index_url is None or package.upstream is None:
        return index_url
    return f"{lock.upstreams[package.upstream]}simple/"


def _package(package: LockedPackage, release: Release, index_url: str | None) -> PylockPackage:
    wheels, sdists = [], []
    for artifact in package.artifacts:
        name = artifact_filename(artifact.url)
        if name.endswith(".whl"):
            wheels.append(_wheel(name, artifact, release.published))
        elif name.endswith(SDIST_SUFFIXES):
            sdists.append(_sdist(name, artifact, release.published))
        else:
            raise LockfileError(
                f"{package.name} {package.version}: {name} is neither a wheel nor an sdist"
                " (.tar.gz, .zip), so pylock.toml cannot name it; use the regsite lockfile"
            )
    if len(sdists) > 1:
        raise LockfileError(
            f"{package.name} {package.version}: pylock.toml holds one sdist per package;"
            f" this release has {len(sdists)}"
        )
    return PylockPackage(
        name=canonicalize_name(package.name),
        version=Version(str(package.version)),
        requires_python=release.requires_python,
        index=index_url,
        wheels=wheels or None,
        sdist=sdists[0] if sdists else None,
    )


def _wheel(name: str, artifact: LockedArtifact, published: datetime) -> PackageWheel:
    return PackageWheel(
        name=name,
        url=artifact.url,
        size=artifact.size,
        upload_time=published,
        hashes={"sha256": artifact.sha256},
    )


def _sdist(name: str, artifact: LockedArtifact, published: datetime) -> PackageSdist:
    return PackageSdist(
        name=name,
        url=artifact.url,
        size=artifact.size,
        upload_time=published,
        hashes={"sha256": artifact.sha256},
    )
