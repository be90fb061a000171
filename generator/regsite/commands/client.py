"""``regsite client``: pin a registry's root, then show, lock, download and audit its packages,
and follow its change feed.

State lives in a directory (``--state``; default ``$REGSITE_CLIENT_DIR`` or
``$XDG_DATA_HOME/regsite/client``): one subdirectory per registry URL holding the pinned root,
ngclient's trusted metadata (``metadata/``: rollback protection survives between runs) and the
HTTP cache (ETag revalidation).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from tuf.api.metadata import Root

from regsite.atomic_write import write_atomically
from regsite.client.audit import Finding, audit_lock
from regsite.client.changes import Changes, read_changes
from regsite.client.download import DownloadResult, download_artifacts
from regsite.client.export import LOCK_FORMATS, lock_content
from regsite.client.failures import TrustedRootName
from regsite.client.lockfile import Lock, LockfileError, lock_from_resolution, read_lock
from regsite.client.offline import acceptable_versions, check_shards, document_closure
from regsite.client.portable import PortableStore, closure_graph
from regsite.client.registry import RemoteRegistry
from regsite.client.resolve import amended_requirements, parse_requirement, resolve
from regsite.client.trust import Updater, trust_on_first_use
from regsite.client.view import RegistryView, TrustedUpstream
from regsite.effective import EffectiveRelease, release_effective
from regsite.errors import RegistryError
from regsite.fetch import FetchConfig, UrlFetcher
from regsite.metadata.envelope import MetadataError
from regsite.metadata.root import read_trusted_root, role_keys
from regsite.model import PackageAmendments, Registry, Release
from regsite.names import normalize_name

if TYPE_CHECKING:  # commands/vendor.py imports this module
    from regsite.commands.vendor import Vendored, VendoredLockOptions, VendorOptions

__all__ = [
    "ARTIFACT_FETCH",
    "REGISTRY_FETCH",
    "AuditOptions",
    "ChangesOptions",
    "ClientState",
    "ClientStateError",
    "DownloadOptions",
    "LockOptions",
    "LockWritten",
    "PackageShown",
    "RegistryTrusted",
    "ShowOptions",
    "ShownRelease",
    "TrustOptions",
    "TrustOutcome",
    "client_audit",
    "client_changes",
    "client_download",
    "client_lock",
    "client_lock_vendored",
    "client_show",
    "client_state",
    "client_trust",
    "client_vendor",
    "download_lock",
    "lock_requirements",
    "open_registry",
    "pin_root",
    "read_root_file",
    "registry_url",
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
    view = RegistryView.open(RemoteRegistry(updater), partial(pin_root, _upstreams(state, url)))
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


def lock_requirements(
    state: ClientState,
    url: str | None,
    requirements: Sequence[str],
    ignore_amendments_on: Collection[str] = (),
) -> Lock:
    """Resolve requirements against the verified registry and its upstreams into a lock,
    reading and matching versions in the registry's version scheme, with the curators' verified
    amendments in force but those on the packages in ``ignore_amendments_on``."""
    return resolve_lock(state, url, requirements, ignore_amendments_on)[0]


def resolve_lock(
    state: ClientState,
    url: str | None,
    requirements: Sequence[str],
    ignore_amendments_on: Collection[str] = (),
) -> tuple[Lock, dict[str, Release], Registry]:
    """The lock, the verified releases it holds and the verified registry.toml."""
    url, registry = open_registry(state, url)
    view = RegistryView.open(registry, partial(pin_root, _upstreams(state, url)))
    verified = registry.registry()
    scheme = verified.version_scheme
    parsed = [parse_requirement(text, scheme) for text in requirements]
    ignore = frozenset(normalize_name(name) for name in ignore_amendments_on)

    def amended(name: str, release: Release) -> EffectiveRelease | None:
        amendments = view.amendments(name)  # those of the registry the package comes from
        if amendments is None:
            return None
        return release_effective(release, amendments.amendments, ignore=ignore)

    resolved = resolve(parsed, view.package, scheme, amended, view.requires)
    sources = {
        name: (upstream, view.upstreams[upstream].upstream.url)
        for name in resolved
        if (upstream := view.registry_of(name)) is not None
    }
    # Portable packages (docs/portable.md): each of this registry's packages' closure manifest,
    # its shard checked against the owner-signed package.toml, and the versions its
    # requirements admitted. An upstream's packages are locked without them.
    own = [name for name in resolved if name not in sources]
    roots = {r.name: document_closure(registry, r.name) for r in parsed if r.name in own}
    graph = closure_graph(
        PortableStore(None, url, state.fetcher(url)),
        scheme,
        {name: sha256 for name, sha256 in roots.items() if sha256 is not None},
    )
    check_shards(graph, own, registry.package)
    lock = lock_from_resolution(
        url,
        parsed,
        resolved,
        scheme,
        sources,
        closures={name: graph.manifests[name] for name in own if name in graph.manifests},
        acceptable=acceptable_versions(parsed, resolved, view.package, scheme),
    )
    return lock, resolved, verified


def download_lock(lock_file: Path, dest: Path) -> list[DownloadResult]:
    """Download every artifact a lockfile names, checking size and sha256.

    Artifacts often live on other hosts (release pages, object stores), so redirects between
    hosts are followed here; the locked hash, not the host, is what vouches for the bytes.
    """
    lock = read_lock(lock_file)
    fetcher = UrlFetcher(config=ARTIFACT_FETCH, same_origin_redirects=False)
    return download_artifacts(lock, dest, fetcher)


# the commands: regsite client trust / show / lock / download ------------------------------------


def client_state(directory: Path | None) -> ClientState:
    """The state directory given, or the default one."""
    return ClientState(directory) if directory is not None else ClientState.default()


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustOptions:
    url: str  # the registry's site: URL or directory
    root: Path | None = None  # the root to pin (N.root.json); None trusts on first use
    state: Path | None = None  # None is $REGSITE_CLIENT_DIR or ~/.local/share/regsite/client


@dataclass(frozen=True, slots=True)
class RegistryTrusted:
    url: str
    root_version: int
    threshold: int  # root keys that must sign the next root
    fingerprints: tuple[str, ...]  # the root keys', sorted
    first_use: bool  # no --root: compare the fingerprints with ones published elsewhere
    upstreams: tuple[tuple[str, str, int], ...] = ()  # also trusted: name, URL, root version


def client_trust(options: TrustOptions) -> RegistryTrusted:
    """Pin a registry's root (or trust it on first use) and verify its metadata."""
    outcome = trust_registry(client_state(options.state), registry_url(options.url), options.root)
    return RegistryTrusted(
        url=outcome.url,
        root_version=outcome.root.version,
        threshold=outcome.root.roles["root"].threshold,
        fingerprints=tuple(root_fingerprints(outcome.root)),
        first_use=outcome.first_use,
        upstreams=tuple(
            (u.upstream.name, u.upstream.url, u.root_version) for u in outcome.upstreams
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowOptions:
    name: str
    document: bool = False  # also fetch the package's JSON document
    registry: str | None = None  # a trusted registry's URL; None is the last trusted
    state: Path | None = None


@dataclass(frozen=True, slots=True)
class ShownRelease:
    version: str
    status: str  # active, yanked, deprecated or insecure
    requires: tuple[str, ...]  # e.g. 'gadget>=2'
    amended: tuple[str, ...] = ()  # what curators' amendments make of them, when any applies


@dataclass(frozen=True, slots=True)
class PackageShown:
    """A package whose owner signatures verified, with its releases."""

    name: str
    description: str
    signers: tuple[str, ...]  # owner ids, sorted
    releases: tuple[ShownRelease, ...]
    document: dict[str, Any] | None  # api/v1/packages/NAME.json, when asked for
    amendments: PackageAmendments | None = None  # curator-signed, verified


def client_show(options: ShowOptions) -> PackageShown:
    """A package's verified releases, from the trusted registry."""
    url, registry = open_registry(client_state(options.state), options.registry)
    try:
        package = registry.package(options.name)
    except KeyError:
        raise RegistryError(f"no package named {options.name!r} in the registry at {url}") from None
    verification = package.source.verification
    amendments = registry.amendments(package.name)
    scheme = registry.registry().version_scheme
    releases = tuple(
        ShownRelease(
            str(release.version),
            release.status.value,
            tuple(d.specifier.with_name(d.name) for d in release.requires),
            tuple(map(str, amended_requirements(release, amendments, scheme)))
            if amendments is not None and release_effective(release, amendments.amendments)
            else (),
        )
        for release in package.releases
    )
    return PackageShown(
        name=package.name,
        description=package.description,
        signers=tuple(sorted(verification.signers)) if verification else (),
        releases=releases,
        document=registry.document(options.name) if options.document else None,
        amendments=amendments,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOptions:
    requirements: tuple[str, ...]  # e.g. 'http-kit>=2'
    output: Path | None = None  # None: the format's own name (LOCK_FORMATS)
    format: str = "regsite"  # regsite (for client download), requirements (pip) or pylock
    registry: str | None = None
    state: Path | None = None
    ignore_amendments_on: tuple[str, ...] = ()  # packages whose curators' amendments are ignored


@dataclass(frozen=True, slots=True)
class LockWritten:
    lock: Lock
    path: Path
    format: str


def client_lock(options: LockOptions) -> LockWritten:
    """Resolve the requirements against the verified registry; write the lock in the format
    asked for: regsite's lockfile, pip's hash-checking requirements or PEP 751's pylock.toml."""
    if options.format not in LOCK_FORMATS:
        raise RegistryError(
            f"--format {options.format!r}: expected one of {', '.join(LOCK_FORMATS)}"
        )
    lock, releases, registry = resolve_lock(
        client_state(options.state),
        options.registry,
        options.requirements,
        options.ignore_amendments_on,
    )
    content = lock_content(options.format, lock, releases, registry)
    path = options.output or Path(LOCK_FORMATS[options.format])
    try:
        write_atomically(path, content)
    except OSError as error:
        raise LockfileError(
            f"cannot write the lockfile {path}: {error.strerror or error}; choose another path"
            " with -o"
        ) from error
    return LockWritten(lock, path, options.format)


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadOptions:
    lockfile: Path = Path("regsite.lock")
    dest: Path = Path("artifacts")


def client_download(options: DownloadOptions) -> tuple[DownloadResult, ...]:
    """Download a lockfile's artifacts, each checked against its locked size and sha256."""
    return tuple(download_lock(options.lockfile, options.dest))


# regsite client changes / audit: the change feed and the advisories --------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangesOptions:
    since: int = 0  # the last sequence number already seen
    epoch: str | None = None  # the epoch it belongs to: a restarted feed is refused
    registry: str | None = None
    state: Path | None = None


def client_changes(options: ChangesOptions) -> Changes:
    """The trusted registry's events after ``since``, TUF-verified."""
    _, registry = open_registry(client_state(options.state), options.registry)
    return read_changes(registry.source, options.since, options.epoch)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditOptions:
    lockfile: Path = Path("regsite.lock")
    state: Path | None = None


def client_audit(options: AuditOptions) -> tuple[Finding, ...]:
    """The lockfile's releases that the advisories of its (trusted) registry affect."""
    lock = read_lock(options.lockfile)
    _, registry = open_registry(client_state(options.state), lock.registry)
    return audit_lock(registry, lock)


# the commands: regsite client vendor, and lock --vendor DIR [--offline] (commands/vendor.py) ---


def client_vendor(options: VendorOptions) -> Vendored:
    """Fetch a lockfile's closures (manifests and shards) and artifacts into a directory."""
    from regsite.commands.vendor import vendor_lockfile  # it builds on this module

    return vendor_lockfile(options)


def client_lock_vendored(options: VendoredLockOptions) -> LockWritten:
    """``client lock``: from a vendor directory first when given one, else from the registry."""
    from regsite.commands.vendor import lock_vendored  # it builds on this module

    return lock_vendored(options)
