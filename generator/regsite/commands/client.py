"""``regsite client``: pin a registry's root, then show, lock and download its packages.

State lives in a directory (``--state``; default ``$REGSITE_CLIENT_DIR`` or
``$XDG_DATA_HOME/regsite/client``): one subdirectory per registry URL holding the trusted
metadata (rollback protection survives between runs) and the HTTP cache (ETag revalidation).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from regsite.client.download import DownloadResult, download_artifacts
from regsite.client.lockfile import Lock, lock_from_resolution, read_lock
from regsite.client.registry import RemoteRegistry
from regsite.client.resolve import parse_requirement, resolve
from regsite.client.store import TrustStore
from regsite.client.trust import Updater, trust_on_first_use
from regsite.errors import RegistryError
from regsite.fetch import UrlFetcher
from regsite.metadata.roles import Role, Root
from regsite.metadata.root import read_trusted_root
from regsite.model import Package
from regsite.sources import write_atomically

__all__ = [
    "ClientState",
    "TrustOutcome",
    "download_lock",
    "lock_requirements",
    "open_registry",
    "registry_url",
    "root_fingerprints",
    "trust_registry",
]


def registry_url(text: str) -> str:
    """An http(s) or file URL ending in '/'; a directory path becomes a file URL."""
    scheme = urlsplit(text).scheme
    if scheme in ("http", "https", "file"):
        return text if text.endswith("/") else text + "/"
    if scheme == "" or len(scheme) == 1:  # a path (a Windows drive letter looks like a scheme)
        path = Path(text)
        if not path.is_dir():
            raise RegistryError(f"{text}: not a directory or an http(s):// or file:// URL")
        return path.resolve().as_uri() + "/"
    raise RegistryError(f"{text}: expected an http(s):// or file:// URL, or a directory")


@dataclass(frozen=True, slots=True)
class ClientState:
    root: Path

    @staticmethod
    def default() -> ClientState:
        if configured := os.environ.get("REGSITE_CLIENT_DIR"):
            return ClientState(Path(configured))
        data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return ClientState(Path(data) / "regsite" / "client")

    def directory(self, url: str) -> Path:
        return self.root / hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]

    def fetcher(self, url: str) -> UrlFetcher:
        return UrlFetcher(cache_dir=self.directory(url) / "http")

    def store(self, url: str) -> TrustStore:
        return TrustStore(self.directory(url) / "metadata")

    def default_registry(self) -> str:
        try:
            return (self.root / "default-registry").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise RegistryError(
                "no registry trusted yet: run 'regsite client trust URL [--root FILE]' first"
            ) from None


@dataclass(frozen=True, slots=True)
class TrustOutcome:
    url: str
    root: Root
    first_use: bool  # no --root: the root was taken from the registry itself


def root_fingerprints(root: Root) -> list[str]:
    role = root.roles[Role.ROOT]
    return sorted(root.keys[keyid].fingerprint for keyid in role.keyids)


def trust_registry(state: ClientState, url: str, root_file: Path | None) -> TrustOutcome:
    """Pin a root (the file given, or the registry's 1.root.json on first use) and refresh."""
    fetcher = state.fetcher(url)
    if root_file is not None:
        try:
            pinned = root_file.read_bytes()
        except OSError as exc:
            raise RegistryError(f"{root_file}: cannot read: {exc.strerror}") from exc
        read_trusted_root(pinned, str(root_file))
    else:
        pinned, _ = trust_on_first_use(url, fetcher)
    directory = state.directory(url)
    pin_file = directory / "pinned-root.json"
    if pin_file.is_file() and pin_file.read_bytes() == pinned:
        # The same pin again: refresh what is trusted, keeping its rollback protection.
        updater = Updater(url, fetcher, state.store(url))
        updater.refresh()
    else:
        updater = _trust_afresh(state, url, pinned)
    (state.root / "default-registry").write_text(url + "\n", encoding="utf-8")
    return TrustOutcome(url=url, root=updater.root, first_use=root_file is None)


def _trust_afresh(state: ClientState, url: str, pinned: bytes) -> Updater:
    """A new pin: verify everything into a scratch store, and replace the old trust only if it
    all verified (a failed ``trust`` leaves the previous one in place)."""
    directory = state.directory(url)
    directory.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".trust-", dir=directory))
    try:
        Updater(url, state.fetcher(url), TrustStore(scratch), pinned_root=pinned).refresh()
        shutil.rmtree(directory / "metadata", ignore_errors=True)
        scratch.rename(directory / "metadata")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    write_atomically(directory / "pinned-root.json", pinned)
    (directory / "url").write_text(url + "\n", encoding="utf-8")
    return Updater(url, state.fetcher(url), state.store(url))  # already refreshed, in scratch


def open_registry(state: ClientState, url: str | None) -> tuple[str, RemoteRegistry]:
    """Refresh a trusted registry's metadata and return it, ready to read packages."""
    url = registry_url(url) if url is not None else state.default_registry()
    store = state.store(url)
    if store.read("root") is None:
        raise RegistryError(f"{url}: not trusted yet: run 'regsite client trust {url}' first")
    updater = Updater(url, state.fetcher(url), store)
    updater.refresh()
    return url, RemoteRegistry(updater)


def show_package(state: ClientState, url: str | None, name: str) -> Package:
    _, registry = open_registry(state, url)
    try:
        return registry.package(name)
    except KeyError:
        raise RegistryError(f"no package named {name!r} in this registry") from None


def lock_requirements(state: ClientState, url: str | None, requirements: Sequence[str]) -> Lock:
    """Resolve requirements against the verified registry into a lock, reading and matching
    versions in the registry's version scheme."""
    url, registry = open_registry(state, url)
    scheme = registry.registry().version_scheme
    parsed = [parse_requirement(text, scheme) for text in requirements]
    resolved = resolve(parsed, registry.package, scheme)
    return lock_from_resolution(url, parsed, resolved, scheme)


def download_lock(lock_file: Path, dest: Path) -> list[DownloadResult]:
    """Download every artifact a lockfile names, checking size and sha256.

    Artifacts often live on other hosts (release pages, object stores), so redirects between
    hosts are followed here; the locked hash, not the host, is what vouches for the bytes.
    """
    lock = read_lock(lock_file)
    dest.mkdir(parents=True, exist_ok=True)
    return download_artifacts(lock, dest, UrlFetcher(same_origin_redirects=False))
