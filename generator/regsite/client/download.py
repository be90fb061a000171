"""Download a lock's artifacts into a directory, checking each one's size and sha256."""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from regsite.atomic_write import write_atomically
from regsite.client.lockfile import Lock, LockedArtifact
from regsite.errors import RegistryError
from regsite.fetch import Fetcher, FetchError, TooLargeError
from regsite.versions import Version

__all__ = ["ArtifactError", "DownloadResult", "artifact_filename", "download_artifacts"]

_HASH_CHUNK = 1024 * 1024  # bytes read at a time when checking a file already present


class ArtifactError(RegistryError):
    """An artifact's name, size or sha256 is not what the lockfile says."""


@dataclass(frozen=True, kw_only=True, slots=True)
class DownloadResult:
    package: str
    version: Version
    artifact: LockedArtifact
    path: Path
    already_present: bool  # the file was there with the right size and sha256; not fetched

    @property
    def status(self) -> str:
        return "already present" if self.already_present else "downloaded"


def download_artifacts(lock: Lock, dest: Path, fetcher: Fetcher) -> list[DownloadResult]:
    """Fetch every artifact of ``lock`` into ``dest``, skipping files already there and intact.

    Artifacts usually live on another host than the registry, so callers should pass a
    ``UrlFetcher(same_origin_redirects=False)``: the locked size and sha256 protect the bytes,
    not the host they come from. A file is moved into place only once both match, so a failed
    download leaves nothing behind.
    """
    planned = _plan(lock, dest)
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ArtifactError(
            f"cannot create the download directory {dest}: {error.strerror or error}; choose"
            " another with -d DIR"
        ) from error
    return [
        DownloadResult(
            package=name,
            version=version,
            artifact=artifact,
            path=path,
            already_present=_download(artifact, path, fetcher, f"{name} {version}"),
        )
        for name, version, artifact, path in planned
    ]


def artifact_filename(url: str) -> str:
    """The last segment of the URL's path, percent-decoded; refused if it could escape ``dest``."""
    name = unquote(posixpath.basename(urlsplit(url).path))
    if name in ("", ".", "..") or any(char in name for char in "/\\\0"):
        raise ArtifactError(
            f"artifact {url}: cannot save it under the name {name!r}; expected a file name"
            " without '/', '\\' or NUL at the end of the URL's path"
        )
    return name


def _plan(lock: Lock, dest: Path) -> list[tuple[str, Version, LockedArtifact, Path]]:
    """Check every file name before fetching anything; two artifacts may not share one."""
    planned: list[tuple[str, Version, LockedArtifact, Path]] = []
    claimed: dict[str, LockedArtifact] = {}
    for package in lock.packages:
        for artifact in package.artifacts:
            name = artifact_filename(artifact.url)
            other = claimed.setdefault(name, artifact)
            if other.sha256 != artifact.sha256 or other.size != artifact.size:
                raise ArtifactError(
                    f"artifacts {other.url} and {artifact.url} would both be saved as {name!r}"
                )
            planned.append((package.name, package.version, artifact, dest / name))
    return planned


def _download(artifact: LockedArtifact, path: Path, fetcher: Fetcher, release: str) -> bool:
    """Make ``path`` hold the artifact of ``release`` ("name version"); True if it already did."""
    if _is_intact(path, artifact):
        return True
    try:
        content = fetcher.fetch(artifact.url, max_bytes=artifact.size)
    except TooLargeError as error:
        raise ArtifactError(
            f"artifact {artifact.url}: expected {artifact.size} bytes, found more ({error})"
        ) from error
    except FetchError as error:
        raise ArtifactError(f"cannot download {release}: {error}") from error
    if len(content) != artifact.size:
        raise ArtifactError(
            f"artifact {artifact.url}: expected {artifact.size} bytes, found {len(content)}"
        )
    digest = hashlib.sha256(content).hexdigest()
    if digest != artifact.sha256:
        raise ArtifactError(
            f"artifact {artifact.url}: expected sha256 {artifact.sha256}, found {digest}"
        )
    try:
        write_atomically(path, content)
    except OSError as error:
        raise ArtifactError(f"cannot save {artifact.url} as {path}: {error}") from error
    return False


def _is_intact(path: Path, artifact: LockedArtifact) -> bool:
    try:
        if not path.is_file() or path.stat().st_size != artifact.size:
            return False
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == artifact.sha256
