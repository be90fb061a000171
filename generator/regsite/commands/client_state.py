"""The client's state directory (``--state``; default ``$REGSITE_CLIENT_DIR`` or
``$XDG_DATA_HOME/regsite/client``): one subdirectory per registry URL holding the pinned root,
ngclient's trusted metadata (``metadata/``: rollback protection survives between runs) and the
HTTP cache (ETag revalidation); pinning a registry's root there, and opening a trusted registry.
Every ``regsite client`` command starts here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from tuf.api.metadata import Root

from regsite.atomic_write import write_atomically
from regsite.client.failures import TrustedRootName
from regsite.client.registry import RemoteRegistry
from regsite.client.trust import Updater, trust_on_first_use
from regsite.client.view import RegistryView, TrustedUpstream
from regsite.errors import RegistryError
from regsite.fetch import FetchConfig, UrlFetcher
from regsite.metadata.envelope import MetadataError
from regsite.metadata.root import read_trusted_root, role_keys

__all__ = [
    "ARTIFACT_FETCH",
    "REGISTRY_FETCH",
    "ClientState",
    "ClientStateError",
    "TrustOutcome",
    "client_state",
    "open_registry",
    "pin_root",
    "read_root_file",
    "registry_url",
    "registry_view",
    "root_fingerprints",
    "trust_registry",
]

REGISTRY_FETCH = FetchConfig()  # 30 s for each metadata file, package file or source
# Artifacts can be large: each may take as long as its locked size needs at 64 KiB per second.
ARTIFACT_FETCH = FetchConfig(min_speed=64 * 1024)
_SITE = "a site built by 'regsite build'"
_PINNED = "pinned-root.json"


class ClientStateError(RegistryError):
    """The client's state directory cannot be read or written."""


def registry_url(text: str) -> str:
    """An http(s) or file URL ending in '/'; a directory path becomes a file URL."""
    scheme = urlsplit(text).scheme
    if scheme in ("http", "https"):
        return text if text.endswith("/") else text + "/"
    if scheme == "file":
        directory = Path(url2pathname(urlsplit(text).path))
        if not directory.is_dir():
            raise RegistryError(f"{text}: no such directory {directory}; expected {_SITE}")
        return text if text.endswith("/") else text + "/"
    if scheme == "" or len(scheme) == 1:  # a path (a Windows drive letter looks like a scheme)
        path = Path(text)
        if not path.is_dir():
            raise RegistryError(
                f"{text}: no such directory; expected {_SITE}, or an http(s):// or file:// URL"
            )
        return path.resolve().as_uri() + "/"
    raise RegistryError(f"{text}: expected an http(s):// or file:// URL, or a directory")


def read_root_file(path: Path) -> bytes:
    """The bytes of a root file the user pins (``--root``), checked to sign itself."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RegistryError(
            f"{path}: cannot read the root file: {exc.strerror or exc}; expected a registry's"
            " metadata/N.root.json"
        ) from exc
    try:
        read_trusted_root(data, str(path))
    except MetadataError as exc:
        raise MetadataError(
            f"{exc}; --root expects a registry's root file, such as its metadata/1.root.json"
        ) from exc
    return data


@contextmanager
def _writing(state: ClientState) -> Iterator[None]:
    """Turn a failed write under the state directory into an error that says what to do."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or state.root
        raise ClientStateError(
            f"{where}: cannot write the client state ({exc.strerror or exc}); choose a writable"
            " directory with --state DIR or $REGSITE_CLIENT_DIR"
        ) from exc


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
        return UrlFetcher(config=REGISTRY_FETCH, cache_dir=self.directory(url) / "http")

    def metadata(self, url: str) -> Path:
        """ngclient's directory of trusted metadata for the registry at ``url``."""
        return self.directory(url) / "metadata"

    def pinned_root(self, url: str) -> bytes | None:
        """The root the user pinned for ``url`` with ``client trust``, if any."""
        try:
            return (self.directory(url) / _PINNED).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ClientStateError(
                f"{exc.filename}: cannot read the client state ({exc.strerror}); choose another"
                " directory with --state DIR or $REGSITE_CLIENT_DIR"
            ) from exc

    def updater(self, url: str, pinned: bytes) -> Updater:
        """The registry's verifying client over the stored trust, the pin as its bootstrap."""
        stored = TrustedRootName(str(self.metadata(url) / "root.json"), stored=True)
        return Updater(
            url, self.fetcher(url), self.metadata(url), bootstrap=pinned, root_name=stored
        )

    def default_registry(self) -> str:
        path = self.root / "default-registry"
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            raise RegistryError(
                f"no registry trusted yet in {self.root}: run 'regsite client trust URL"
                " [--root FILE]' first"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ClientStateError(
                f"{path}: cannot read the client state ({exc}); choose another directory with"
                " --state DIR or $REGSITE_CLIENT_DIR"
            ) from exc


def client_state(directory: Path | None) -> ClientState:
    """The state directory given, or the default one."""
    return ClientState(directory) if directory is not None else ClientState.default()


@dataclass(frozen=True, slots=True)
class TrustOutcome:
    url: str
    root: Root
    first_use: bool  # no --root: the root was taken from the registry itself
    upstreams: tuple[TrustedUpstream, ...] = ()  # the registry's, with the roots it pins


def root_fingerprints(root: Root) -> list[str]:
    return sorted(key.fingerprint for key in role_keys(root, "root"))


def trust_registry(state: ClientState, url: str, root_file: Path | None) -> TrustOutcome:
    """Pin a root (the file given, or the registry's 1.root.json on first use) and refresh;
    then the upstreams the registry declares, with the roots it pins for them."""
    with _writing(state):
        state.directory(url).mkdir(parents=True, exist_ok=True)  # before any fetch: fail fast
    if root_file is not None:
        pinned, pinned_name = read_root_file(root_file), str(root_file)
    else:
        pinned, _ = trust_on_first_use(url, state.fetcher(url))
        pinned_name = f"{url}metadata/1.root.json"
    updater = pin_root(state, url, pinned, pinned_name)
    view = registry_view(state, url, RemoteRegistry(updater))
    with _writing(state):
        (state.root / "default-registry").write_text(url + "\n", encoding="utf-8")
    upstreams = tuple(view.upstreams.values())
    return TrustOutcome(
        url=url, root=updater.root, first_use=root_file is None, upstreams=upstreams
    )


def pin_root(state: ClientState, url: str, pinned: bytes, pinned_name: str) -> Updater:
    """Trust ``pinned`` as the root of the registry at ``url``, refreshed; the same pin again
    keeps what is trusted (and its rollback protection)."""
    if state.pinned_root(url) == pinned:
        updater = state.updater(url, pinned)
        updater.refresh()
        return updater
    with _writing(state):
        state.directory(url).mkdir(parents=True, exist_ok=True)
    return _trust_afresh(state, url, pinned, pinned_name)


def _upstreams(state: ClientState, url: str) -> ClientState:
    """Where the upstreams of the registry at ``url`` are trusted: beside its own trust, so
    that its pins never replace ones the user made, nor another registry's."""
    return ClientState(state.directory(url) / "upstreams")


def registry_view(state: ClientState, url: str, registry: RemoteRegistry) -> RegistryView:
    """The registry at ``url`` with the upstreams it declares, each trusted with the root the
    registry pins for it."""
    return RegistryView.open(registry, partial(pin_root, _upstreams(state, url)))


def _trust_afresh(state: ClientState, url: str, pinned: bytes, pinned_name: str) -> Updater:
    """A new pin: verify everything into a scratch store, and replace the old trust only if it
    all verified (a failed ``trust`` leaves the previous one in place)."""
    directory = state.directory(url)
    with _writing(state):
        scratch = Path(tempfile.mkdtemp(prefix=".trust-", dir=directory))
    try:
        name = TrustedRootName(pinned_name, stored=False)
        Updater(url, state.fetcher(url), scratch, bootstrap=pinned, root_name=name).refresh()
        with _writing(state):
            shutil.rmtree(directory / "metadata", ignore_errors=True)
            scratch.rename(directory / "metadata")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    with _writing(state):
        write_atomically(directory / _PINNED, pinned)
        (directory / "url").write_text(url + "\n", encoding="utf-8")
    return state.updater(url, pinned)  # already refreshed, in scratch


def open_registry(state: ClientState, url: str | None) -> tuple[str, RemoteRegistry]:
    """Refresh a trusted registry's metadata and return it, ready to read packages."""
    url = registry_url(url) if url is not None else state.default_registry()
    pinned = state.pinned_root(url)
    if pinned is None:
        raise RegistryError(f"{url}: not trusted yet: run 'regsite client trust {url}' first")
    updater = state.updater(url, pinned)
    updater.refresh()
    return url, RemoteRegistry(updater)
