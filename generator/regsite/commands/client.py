"""``regsite client``: pin a registry's root, then show, lock, download and audit its packages,
and follow its change feed.

Each command's options and result are here, over the client library (regsite.client). The
state directory and the trust pinned in it are in commands/client_state.py; resolving and
writing a lock in commands/client_lock.py, and from vendored shards in commands/vendor.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regsite.client.audit import Finding, audit_lock
from regsite.client.changes import Changes, read_changes
from regsite.client.download import DownloadResult, download_artifacts
from regsite.client.lockfile import read_lock
from regsite.client.resolve import amended_requirements
from regsite.commands.client_lock import LockWritten
from regsite.commands.client_state import (
    ARTIFACT_FETCH,
    client_state,
    open_registry,
    registry_url,
    root_fingerprints,
    trust_registry,
)
from regsite.commands.vendor import (
    Vendored,
    VendoredLockOptions,
    VendorOptions,
    lock_vendored,
    vendor_lockfile,
)
from regsite.effective import release_effective
from regsite.errors import RegistryError
from regsite.fetch import UrlFetcher
from regsite.model import PackageAmendments

__all__ = [
    "AuditOptions",
    "ChangesOptions",
    "DownloadOptions",
    "PackageShown",
    "RegistryTrusted",
    "ShowOptions",
    "ShownRelease",
    "TrustOptions",
    "client_audit",
    "client_changes",
    "client_download",
    "client_lock_vendored",
    "client_show",
    "client_trust",
    "client_vendor",
    "download_lock",
]


# the commands: regsite client trust / show / download -------------------------------------------


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


def download_lock(lock_file: Path, dest: Path) -> list[DownloadResult]:
    """Download every artifact a lockfile names, checking size and sha256.

    Artifacts often live on other hosts (release pages, object stores), so redirects between
    hosts are followed here; the locked hash, not the host, is what vouches for the bytes.
    """
    lock = read_lock(lock_file)
    fetcher = UrlFetcher(config=ARTIFACT_FETCH, same_origin_redirects=False)
    return download_artifacts(lock, dest, fetcher)


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
    return vendor_lockfile(options)


def client_lock_vendored(options: VendoredLockOptions) -> LockWritten:
    """``client lock``: from a vendor directory first when given one, else from the registry."""
    return lock_vendored(options)
