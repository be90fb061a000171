"""TUF's detailed client workflow (spec sections 5.2 to 5.6) over a regsite site's metadata.

Root versions are followed one at a time; then timestamp -> snapshot -> targets -> hashed bin,
each file pinned by the version, length and hash that the one before lists, signed by the keys
that the root (for bins, the top-level targets) names, not older than what was trusted before,
and not expired.  Every failed check raises :class:`MetadataError` naming the URL and what was
expected and found.  Accepted files go to a :class:`TrustStore`, against which the next run
checks for rollback.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from urllib.parse import quote

from regsite.client.failures import (
    TrustedRootName,
    fetch_metadata,
    foreign_root_error,
    not_a_site,
)
from regsite.client.store import TrustStore
from regsite.client.tuf_checks import check_pinned, check_snapshot_rollback, online_keys_rotated
from regsite.fetch import Fetcher, NotFoundError
from regsite.keys import PublicKey
from regsite.metadata.envelope import read_signed_file, verify_role
from regsite.metadata.layout import METADATA_DIR, content_addressed_path
from regsite.metadata.roles import (
    DelegatedRole,
    Delegations,
    FileInfo,
    MetadataError,
    MetaInfo,
    Role,
    RoleKeys,
    Root,
    Snapshot,
    Targets,
    Timestamp,
    format_expires,
    target_path_problem,
)
from regsite.metadata.root import next_root, read_trusted_root, root_file_name

__all__ = ["TrustLimits", "Updater", "trust_on_first_use"]

log = logging.getLogger(__name__)

_Role = TypeVar("_Role", Timestamp, Snapshot, Targets)
_ROLE_OF: Mapping[type, Role] = {
    Timestamp: Role.TIMESTAMP,
    Snapshot: Role.SNAPSHOT,
    Targets: Role.TARGETS,  # hashed bins are targets files too
}
_TIMESTAMP_FILE = "timestamp.json"


@dataclass(frozen=True, kw_only=True, slots=True)
class TrustLimits:
    """How far the client follows the registry before refusing (endless data, endless rotation)."""

    max_root_rotations: int = 32  # root versions accepted in one refresh
    root_bytes: int = 512_000  # bytes, per root version
    timestamp_bytes: int = 16_384  # bytes
    snapshot_bytes: int = 4_000_000  # bytes; used only when the timestamp lists no length
    targets_bytes: int = 8_000_000  # bytes per targets or bin file; only when snapshot has none


@dataclass(frozen=True, slots=True)
class _Signers:
    """The keys that must sign a role's files, and how many of them."""

    name: str  # the role: "timestamp", "targets", "bin-0a"
    keys: Mapping[str, PublicKey]
    role_keys: RoleKeys

    @classmethod
    def of_root(cls, root: Root, role: Role) -> _Signers:
        return cls(role.value, root.keys, root.roles[role])

    @classmethod
    def of_bin(cls, role: DelegatedRole, delegations: Delegations) -> _Signers:
        return cls(role.name, delegations.keys, RoleKeys(role.keyids, role.threshold))

    def verified(self, kind: type[_Role], data: bytes, url: str) -> _Role:
        """Parse ``data`` as a ``kind`` file and check this role's threshold signed it."""
        signed_file = read_signed_file(data, _ROLE_OF[kind], url)
        verify_role(signed_file, self.keys, self.role_keys, self.name)
        signed = signed_file.signed
        assert isinstance(signed, kind)  # read_signed_file parsed it as this role
        return signed


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _metadata_url(base_url: str) -> str:
    return (base_url if base_url.endswith("/") else base_url + "/") + METADATA_DIR + "/"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def trust_on_first_use(
    base_url: str, fetcher: Fetcher, *, limits: TrustLimits = TrustLimits()
) -> tuple[bytes, Root]:
    """Fetch the registry's ``metadata/1.root.json``; check only that it signs itself.

    Trusting it is the user's decision: show them its root keys' fingerprints first.
    """
    url = _metadata_url(base_url) + root_file_name(1)
    try:
        data = fetch_metadata(fetcher, base_url, url, limits.root_bytes, "TrustLimits.root_bytes")
    except NotFoundError as exc:
        raise not_a_site(base_url, url, exc) from exc
    root = read_trusted_root(data, url)
    if root.version != 1:
        raise MetadataError(f"{url}: version {root.version}; expected 1")
    return data, root


class Updater:
    """One registry seen through its signed metadata: refresh, then look up and fetch targets.

    ``base_url`` is the site's root; the metadata lives under ``base_url + "metadata/"``.  The
    store's root is trusted when it has one, else ``pinned_root`` (which is then stored;
    ``pinned_root_name`` names it in messages).  The stored timestamp and snapshot are
    re-verified here and discarded if they no longer verify; stored targets and bins are reused
    only when their sha256 is the one the snapshot lists.
    """

    def __init__(
        self,
        base_url: str,
        fetcher: Fetcher,
        store: TrustStore,
        *,
        pinned_root: bytes | None = None,
        pinned_root_name: str = "the pinned root",
        limits: TrustLimits = TrustLimits(),
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._metadata_url = _metadata_url(self._base_url)
        self._fetcher = fetcher
        self._store = store
        self._limits = limits
        self._now = now
        stored = store.read(Role.ROOT.value) is not None
        # Who to blame when the root is not the registry's: the user's pin, or this store.
        self._root_name = TrustedRootName(
            str(store.path(Role.ROOT.value)) if stored else pinned_root_name, stored=stored
        )
        self._root = store.trusted_root(pinned_root)
        self._timestamp = self._stored(Timestamp)
        self._snapshot = self._stored(Snapshot)
        self._targets: Targets | None = None  # set by refresh()
        self._bins: dict[DelegatedRole, Targets] = {}  # loaded since the last refresh()

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def root(self) -> Root:
        return self._root

    @property
    def timestamp_version(self) -> int | None:
        """The trusted timestamp's version; before refresh(), the stored one's (or None)."""
        return None if self._timestamp is None else self._timestamp.version

    @property
    def snapshot_version(self) -> int | None:
        """The trusted snapshot's version; before refresh(), the stored one's (or None)."""
        return None if self._snapshot is None else self._snapshot.version

    def _stored(self, kind: type[_Role]) -> _Role | None:
        """The stored file of a role the root signs for, if it still verifies; else discarded."""
        role = _ROLE_OF[kind]
        data = self._store.read(role.value)
        if data is None:
            return None
        try:
            return _Signers.of_root(self._root, role).verified(
                kind, data, str(self._store.path(role.value))
            )
        except MetadataError as exc:
            log.warning("discarding the stored %s metadata: %s", role.value, exc)
            self._store.discard(role.value)
            return None

    def _check_expiry(self, expires: datetime, url: str) -> None:
        if self._now() >= expires:
            raise MetadataError(
                f"{url}: expired at {format_expires(expires)} (freeze attack, or the registry"
                " stopped refreshing it)"
            )

    def _role_url(self, name: str, version: int) -> str:
        return f"{self._metadata_url}{version}.{name}.json"

    def _fetch(self, url: str, max_bytes: int, limit: str) -> bytes:
        return fetch_metadata(self._fetcher, self._base_url, url, max_bytes, limit)

    # The workflow ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Update the root, timestamp, snapshot and top-level targets, and store each one."""
        self._targets = None
        self._bins = {}
        try:
            self._update_root()
            self._update_timestamp()
            self._update_snapshot()
            self._targets = self._load_targets(_Signers.of_root(self._root, Role.TARGETS))
        except MetadataError as exc:
            # "signed by 0 of the timestamp role's keys" is how another registry's root shows.
            foreign = foreign_root_error(
                self._fetcher, self._base_url, self._root, self._root_name, self._limits.root_bytes
            )
            if foreign is None:
                raise
            raise foreign from exc

    def _update_root(self) -> None:
        """Spec 5.3: follow N+1.root.json, each signed by the old and new root thresholds."""
        rotated = False
        for _ in range(self._limits.max_root_rotations):
            url = self._metadata_url + root_file_name(self._root.version + 1)
            try:
                data = self._fetch(url, self._limits.root_bytes, "TrustLimits.root_bytes")
            except NotFoundError:
                break  # normal: no newer root
            new = next_root(self._root, data, url)
            rotated = rotated or online_keys_rotated(self._root, new)
            self._root = new
            self._store.write(Role.ROOT.value, data)
            log.info("now trusting root version %d from %s", new.version, url)
        if rotated:
            # Lets clients recover from a fast-forward attack made with a compromised key.
            self._store.discard(Role.TIMESTAMP.value)
            self._store.discard(Role.SNAPSHOT.value)
            self._timestamp = self._snapshot = None
        self._check_expiry(self._root.expires, self._role_url("root", self._root.version))

    def _update_timestamp(self) -> None:
        """Spec 5.4: a signed timestamp no older than the trusted one."""
        url = self._metadata_url + _TIMESTAMP_FILE
        try:
            data = self._fetch(url, self._limits.timestamp_bytes, "TrustLimits.timestamp_bytes")
        except NotFoundError as exc:
            raise not_a_site(self._base_url, url, exc) from exc
        new = _Signers.of_root(self._root, Role.TIMESTAMP).verified(Timestamp, data, url)
        trusted = self._timestamp
        if trusted is not None:
            if new.version < trusted.version:
                raise MetadataError(
                    f"{url}: version {new.version} is older than the trusted version"
                    f" {trusted.version} (rollback)"
                )
            if new.version == trusted.version:
                new = trusted  # as python-tuf: the same version changes nothing
            elif new.snapshot.version < trusted.snapshot.version:
                raise MetadataError(
                    f"{url}: lists snapshot version {new.snapshot.version}, older than the"
                    f" trusted snapshot version {trusted.snapshot.version} (rollback)"
                )
        self._check_expiry(new.expires, url)
        if new is not trusted:
            self._store.write(Role.TIMESTAMP.value, data)
        self._timestamp = new

    def _update_snapshot(self) -> None:
        """Spec 5.5: the snapshot the timestamp pins, with no role's version going down."""
        assert self._timestamp is not None  # _update_timestamp set it
        signers = _Signers.of_root(self._root, Role.SNAPSHOT)
        lister = self._metadata_url + _TIMESTAMP_FILE
        new, fetched = self._load_listed(
            Snapshot, signers, self._timestamp.snapshot, lister, self._limits.snapshot_bytes
        )
        if self._snapshot is not None:
            check_snapshot_rollback(self._snapshot, new, self._role_url("snapshot", new.version))
        if fetched is not None:
            self._store.write(Role.SNAPSHOT.value, fetched)
        self._snapshot = new

    def _load_targets(self, signers: _Signers) -> Targets:
        """Spec 5.6: the top-level targets or a bin, as the trusted snapshot pins it."""
        assert self._snapshot is not None  # _update_snapshot set it
        lister = self._role_url("snapshot", self._snapshot.version)
        meta = self._snapshot.meta.get(f"{signers.name}.json")
        if meta is None:
            raise MetadataError(
                f"{lister}: meta: expected an entry for {signers.name}.json, found none"
            )
        targets, fetched = self._load_listed(
            Targets, signers, meta, lister, self._limits.targets_bytes
        )
        if fetched is not None:
            self._store.write(signers.name, fetched)
        return targets

    def _load_listed(
        self, kind: type[_Role], signers: _Signers, meta: MetaInfo, lister: str, limit: int
    ) -> tuple[_Role, bytes | None]:
        """A role's file as ``lister`` pins it, and its bytes if they were fetched (not stored).

        The stored copy is used instead of fetching when its sha256 is the one listed.
        """
        url = self._role_url(signers.name, meta.version)
        data = self._store.read(signers.name) if meta.sha256 is not None else None
        fetched = None
        if data is None or _sha256(data) != meta.sha256:
            where = (
                f"as {lister} lists" if meta.length is not None else "the TrustLimits size limit"
            )
            data = fetched = self._fetch(url, meta.length or limit, where)
        check_pinned(data, meta, url, lister)
        signed = signers.verified(kind, data, url)
        if signed.version != meta.version:
            raise MetadataError(
                f"{url}: version {signed.version}; {lister} lists version {meta.version}"
            )
        self._check_expiry(signed.expires, url)
        return signed, fetched

    # Targets -----------------------------------------------------------------------------------

    def _top_targets(self) -> Targets:
        if self._targets is None:
            self.refresh()
        assert self._targets is not None  # refresh() set it or raised
        return self._targets

    def _bin(self, role: DelegatedRole, delegations: Delegations) -> Targets:
        loaded = self._bins.get(role)
        if loaded is None:
            loaded = self._bins[role] = self._load_targets(_Signers.of_bin(role, delegations))
        return loaded

    def _find(self, path: str) -> FileInfo | None:
        """TUF's delegation walk, for hashed bins: the first bin covering ``path`` decides."""
        targets = self._top_targets()
        info = targets.targets.get(path)
        if info is not None or targets.delegations is None:
            return info
        digest = _sha256(path.encode("utf-8"))  # once, rather than per DelegatedRole.covers
        for role in targets.delegations.roles:
            if any(digest.startswith(prefix) for prefix in role.prefixes):
                info = self._bin(role, targets.delegations).targets.get(path)
                if info is not None or role.terminating:
                    return info
        return None

    def target_info(self, path: str) -> FileInfo:
        """The signed length and sha256 of target ``path``; refreshes first if not yet done."""
        if (problem := target_path_problem(path)) is not None:
            raise MetadataError(f"target path {path!r:.100}: {problem}")
        info = self._find(path)
        if info is None:
            raise MetadataError(
                f"{self._base_url}{path}: not listed in the registry's signed metadata"
                f" (snapshot version {self.snapshot_version})"
            )
        return info

    def fetch_target(self, path: str) -> bytes:
        """Fetch target ``path`` from its content-addressed URL; check its length and sha256."""
        info = self.target_info(path)
        url = self._base_url + quote(content_addressed_path(path, info.sha256))
        data = self._fetch(url, info.length, "the length the signed metadata lists")
        found = _sha256(data)
        if len(data) != info.length or found != info.sha256:
            raise MetadataError(
                f"{url}: {len(data)} bytes with sha256 {found}; the signed metadata lists"
                f" {info.length} bytes with sha256 {info.sha256} for {path}"
            )
        return data

    def all_targets(self) -> dict[str, FileInfo]:
        """Every target, as target_info() would answer for it; loads every bin (for verify-site)."""
        targets = self._top_targets()
        paths = set(targets.targets)
        if targets.delegations is not None:
            for role in targets.delegations.roles:
                paths.update(self._bin(role, targets.delegations).targets)
        found = {path: self._find(path) for path in sorted(paths)}
        return {path: info for path, info in found.items() if info is not None}
