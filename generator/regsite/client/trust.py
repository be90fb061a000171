"""A registry's signed metadata through python-tuf's ``ngclient.Updater``.

ngclient runs TUF's client workflow (root rotation, timestamp, snapshot, targets, hashed bins)
and keeps the trusted metadata in the client's state directory, against which the next run
checks for rollback.  This wrapper fetches through :class:`RegistryFetcher` (deadlines, byte
limits, same-origin redirects), turns ngclient's exceptions into :class:`MetadataError` messages
that name the file and the attack, recognises another registry's root, and fetches targets into
memory from their content-addressed URLs.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from tuf.api import exceptions as tuf_errors
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization import DeserializationError, SerializationError
from tuf.ngclient import Updater as TufUpdater
from tuf.ngclient import UpdaterConfig

from regsite.client.failures import (
    TrustedRootName,
    fetch_metadata,
    foreign_root_error,
    not_a_site,
)
from regsite.client.tuf_fetcher import RegistryFetcher
from regsite.errors import RegistryError
from regsite.fetch import Fetcher, NotFoundError
from regsite.metadata.envelope import (
    MetadataError,
    deserialization_problem,
    read_metadata,
    verify_role,
)
from regsite.metadata.layout import (
    METADATA_DIR,
    content_addressed_path,
    has_copy,
    target_path_problem,
)
from regsite.metadata.root import read_trusted_root, root_file_name

__all__ = ["CLIENT_CONFIG", "Updater", "target_info_problem", "trust_on_first_use"]

log = logging.getLogger(__name__)

# How far the client follows the registry before refusing (endless data, endless rotation).
CLIENT_CONFIG = UpdaterConfig(
    max_root_rotations=32,  # root versions accepted in one refresh
    root_max_length=512_000,  # bytes, per root version
    timestamp_max_length=16_384,  # bytes
    snapshot_max_length=4_000_000,  # bytes; used only when the timestamp lists no length
    targets_max_length=8_000_000,  # bytes per targets or bin file; only when snapshot has none
)
_Signed = TypeVar("_Signed", Root, Timestamp, Snapshot, Targets)
# ngclient's messages, said in regsite's words where they can be recognised.
_EXPIRED = re.compile(r"(?:Final |New )?(.+?)(?:\.json)? is expired")
_UNSIGNED = re.compile(r"(.+) was signed by (\d+)/(\d+) keys")
_ROLLED_BACK = re.compile(r"Expected (.+) version (\d+), got (\d+)\.")
_OLDER = re.compile(r"New (\w+) version (\d+) must be >= (\d+)")
_OLDER_SNAPSHOT = re.compile(r"New snapshot version must be >= (\d+), got version (\d+)")


def _metadata_url(base_url: str) -> str:
    return (base_url if base_url.endswith("/") else base_url + "/") + METADATA_DIR + "/"


def trust_on_first_use(base_url: str, fetcher: Fetcher) -> tuple[bytes, Root]:
    """Fetch the registry's ``metadata/1.root.json``; check only that it signs itself.

    Trusting it is the user's decision: show them its root keys' fingerprints first.
    """
    url = _metadata_url(base_url) + root_file_name(1)
    limit = "UpdaterConfig.root_max_length"
    try:
        data = fetch_metadata(fetcher, base_url, url, CLIENT_CONFIG.root_max_length, limit)
    except NotFoundError as exc:
        raise not_a_site(base_url, url, exc) from exc
    root = read_trusted_root(data, url)
    if root.version != 1:
        raise MetadataError(f"{url}: version {root.version}; expected 1")
    return data, root


class Updater:
    """One registry seen through its signed metadata: refresh, then look up and fetch targets.

    ``base_url`` is the site's root; the metadata lives under ``base_url + "metadata/"``.
    ``metadata_dir`` is ngclient's cache of trusted metadata.  ``bootstrap`` is the root the
    user pinned (``None``: the cache's root.json); ``root_name`` names it in messages.  ``now``
    is the clock expiry is checked against (tests and ``verify-site`` set it).
    """

    def __init__(
        self,
        base_url: str,
        fetcher: Fetcher,
        metadata_dir: Path,
        *,
        bootstrap: bytes | None,
        root_name: TrustedRootName | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._base_url = base_url if base_url.endswith("/") else base_url + "/"
        self._fetcher = RegistryFetcher(fetcher, self._base_url, metadata_dir)
        self._dir = metadata_dir
        self._root_name = root_name or TrustedRootName("the pinned root", stored=False)
        if bootstrap is None and not (metadata_dir / "root.json").is_file():
            raise MetadataError(
                f"{metadata_dir / 'root.json'}: no trusted root stored and no pinned root given;"
                " expected the registry's metadata/1.root.json, obtained out of band"
            )
        if bootstrap is not None:
            read_trusted_root(bootstrap, self._root_name.text)  # our checks and messages first
        metadata_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._bootstrap = bootstrap
        self._now = now
        self._tuf = self._start()

    def _start(self) -> TufUpdater:
        """A new ngclient Updater: each serves one refresh, as ngclient requires."""
        try:
            updater = TufUpdater(
                str(self._dir),
                self._fetcher.metadata_url,
                fetcher=self._fetcher,
                config=CLIENT_CONFIG,
                bootstrap=self._bootstrap,
            )
        except tuf_errors.RepositoryError as exc:
            raise self._explain(exc, str(self._dir / "root.json")) from exc
        self._clock = datetime.now(UTC) if self._now is None else self._now()
        if self._now is not None:
            # ngclient reads the clock once, when it is made; a fixed clock replaces that time.
            updater._trusted_set.reference_time = self._clock
        return updater

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def root(self) -> Root:
        """The newest trusted root (ngclient keeps it as root.json)."""
        return self._trusted(Root, "root.json")

    @property
    def timestamp_version(self) -> int | None:
        """The trusted timestamp's version; before refresh(), the stored one's (or None)."""
        try:
            return self._trusted(Timestamp, "timestamp.json").version
        except (OSError, MetadataError):
            return None

    @property
    def snapshot_version(self) -> int | None:
        """The trusted snapshot's version; before refresh(), the stored one's (or None)."""
        try:
            return self._trusted(Snapshot, "snapshot.json").version
        except (OSError, MetadataError):
            return None

    def refresh(self) -> None:
        """Update the root, timestamp, snapshot and top-level targets (TUF's workflow)."""
        self._tuf = self._start()
        try:
            self._tuf.refresh()
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError, MetadataError) as exc:
            raise self._refused(exc) from exc

    def target_info(self, path: str) -> TargetFile:
        """The signed length and hashes of target ``path``; refreshes first if not yet done."""
        info = self._lookup(path)
        if info is None:
            raise MetadataError(
                f"{self._base_url}{path}: not listed in the registry's signed metadata"
                f" (snapshot version {self.snapshot_version})"
            )
        return info

    def listed(self, path: str) -> bool:
        """Whether the signed metadata lists target ``path`` (a file that may be absent, such as
        a package's amendments: its absence is as signed as its presence)."""
        return self._lookup(path) is not None

    def _lookup(self, path: str) -> TargetFile | None:
        if (problem := target_path_problem(path)) is not None:
            raise MetadataError(f"target path {path!r:.100}: {problem}")
        try:
            info = self._tuf.get_targetinfo(path)
        except (tuf_errors.RepositoryError, tuf_errors.DownloadError, MetadataError) as exc:
            raise self._refused(exc) from exc
        if info is not None and (problem := target_info_problem(info)) is not None:
            raise MetadataError(f"{self._base_url}{path}: {problem}")
        return info

    def fetch_target(self, path: str) -> bytes:
        """Fetch target ``path``, from its content-addressed URL when the site has one (the
        signed sources) and else from its own; check its length and sha256."""
        return self.fetch_listed(path, self.target_info(path))

    def fetch_listed(self, path: str, info: TargetFile) -> bytes:
        """:meth:`fetch_target` for a target whose signed ``info`` is known already; safe to
        call from several threads at once (it reads no trusted metadata)."""
        sha256 = info.hashes["sha256"]
        name = content_addressed_path(path, sha256) if has_copy(path) else path
        url = self._base_url + quote(name)
        limit = "the length the signed metadata lists"
        data = fetch_metadata(self._fetcher.fetcher, self._base_url, url, info.length, limit)
        try:
            info.verify_length_and_hashes(data)
        except tuf_errors.LengthOrHashMismatchError:
            found = TargetFile.from_data(path, data, ["sha256"])
            changed = "" if has_copy(path) else " (if the site is being deployed, try again)"
            raise MetadataError(
                f"{url}: {found.length} bytes with sha256 {found.hashes['sha256']}; the signed"
                f" metadata lists {info.length} bytes with sha256 {sha256} for {path}{changed}"
            ) from None
        return data

    def all_targets(
        self, problems: list[str] | None = None, held: dict[str, bytes] | None = None
    ) -> dict[str, TargetFile]:
        """Every target of the top-level targets and of every bin it delegates to (for
        ``verify-site`` and ``mirror``), each bin checked as ngclient checks the ones it loads.

        With ``problems``, a bin that fails its checks is said there and its targets left out;
        without, it raises.  With ``held`` (file name ``V.NAME.json`` -> bytes), a bin held
        with the sha256 the snapshot lists is not fetched, and each bin read is recorded there.
        """
        self.refresh()
        top = self._trusted(Targets, "targets.json")
        found = dict(top.targets)
        for name in _delegated_roles(top):
            try:
                listed = self._bin(top, name, held).targets
            except RegistryError as exc:
                if problems is None:
                    raise
                problems.append(str(exc))
                continue
            for path, info in listed.items():
                if path not in found and _first_role(top, path) == name:
                    found[path] = info
        return found

    # Internals ----------------------------------------------------------------------------------

    def _trusted(self, kind: type[_Signed], name: str) -> _Signed:
        path = self._dir / name
        return read_metadata(path.read_bytes(), kind, str(path)).signed

    def _bin(self, top: Targets, name: str, held: dict[str, bytes] | None = None) -> Targets:
        """A delegated role, pinned by the trusted snapshot and signed by the keys ``top``
        names: ngclient's checks for a role it loads, for every role at once."""
        meta = self._trusted(Snapshot, "snapshot.json").meta.get(f"{name}.json")
        snapshot_url = f"{self._fetcher.metadata_url}{self.snapshot_version}.snapshot.json"
        if meta is None:
            raise MetadataError(f"{snapshot_url}: meta: expected an entry for {name}.json")
        file = f"{meta.version}.{name}.json"
        url = f"{self._fetcher.metadata_url}{meta.version}.{quote(name, safe='')}.json"
        data = None if held is None else held.get(file)
        if data is None or not _pinned_by(meta, data):
            data = self._fetcher.download_bytes(
                url, meta.length or CLIENT_CONFIG.targets_max_length
            )
        if held is not None:
            held[file] = data
        try:
            meta.verify_length_and_hashes(data)
        except tuf_errors.LengthOrHashMismatchError as exc:
            raise MetadataError(f"{url}: {exc}; {snapshot_url} lists other bytes") from None
        metadata = read_metadata(data, Targets, url)
        verify_role(metadata, top, name, url)
        if metadata.signed.version != meta.version:
            raise MetadataError(
                f"{url}: version {metadata.signed.version}; expected {meta.version}"
            )
        if metadata.signed.is_expired(self._clock):
            expires = f"{metadata.signed.expires:%Y-%m-%dT%H:%M:%SZ}"
            raise MetadataError(f"{url}: expired at {expires} {_FREEZE}")
        return metadata.signed

    def _refused(self, error: Exception) -> RegistryError:
        """The error to raise for a failed update: another registry's root, or what failed."""
        if isinstance(error, tuf_errors.DownloadHTTPError) and error.status_code == 404:
            cause = error.__cause__
            if isinstance(cause, NotFoundError):
                return not_a_site(self._base_url, cause.url, cause)
        if isinstance(error, RegistryError) and not isinstance(error, MetadataError):
            return error  # unreachable, redirected: the fetch layer said it
        foreign = foreign_root_error(
            self._fetcher.fetcher,
            self._base_url,
            self.root,
            self._root_name,
            CLIENT_CONFIG.root_max_length,
        )
        if foreign is not None:
            return foreign
        return error if isinstance(error, MetadataError) else self._explain(error)

    def _expired(self, role: str) -> MetadataError:
        """An expired role, named by its file, with its expiry when the client read it."""
        expires: datetime | None = None
        if role == "root":
            name, expires = f"{self.root.version}.root.json", self.root.expires
        else:
            name = "timestamp.json" if role == "timestamp" else f"{role}.json"
            with contextlib.suppress(DeserializationError):
                signed = Metadata.from_bytes(self._fetcher.bodies.get(role, b"")).signed
                expires = signed.expires
                if role != "timestamp":
                    name = f"{signed.version}.{role}.json"
        when = "" if expires is None else f" at {expires:%Y-%m-%dT%H:%M:%SZ}"
        return MetadataError(f"{self._fetcher.metadata_url}{name}: expired{when} {_FREEZE}")

    def _explain(self, error: Exception, file: str | None = None) -> MetadataError:
        """ngclient's reason, with the file it was about and what the failure means."""
        url = file or (self._fetcher.urls[-1] if self._fetcher.urls else self._base_url)
        if isinstance(error, tuf_errors.ExpiredMetadataError):
            match = _EXPIRED.fullmatch(str(error))
            return self._expired(match[1] if match is not None else "metadata")
        if isinstance(error, tuf_errors.BadVersionNumberError):
            # ngclient names the versions the other way round in this one message.
            return MetadataError(f"{url}: {_rollback(str(error))} (rollback)")
        if isinstance(error, tuf_errors.UnsignedMetadataError):
            if (match := _UNSIGNED.fullmatch(str(error))) is not None:
                role, signed, threshold = match.groups()
                return MetadataError(
                    f"{url}: signed by {signed} of the {role} role's keys, {threshold} required"
                )
            return MetadataError(f"{url}: {error}")
        if isinstance(error, tuf_errors.LengthOrHashMismatchError):
            return MetadataError(
                f"{url}: {error}; not the file the signed metadata pins (tampered with, or a mix"
                " of two builds)"
            )
        if isinstance(error, DeserializationError):
            return MetadataError(f"{url}: {deserialization_problem(error)}")
        if isinstance(error, SerializationError):  # a float in it; lone surrogates are refused
            return MetadataError(
                f"{url}: signed: cannot be written as the canonical JSON its signatures cover"
                " (numbers must be integers)"
            )
        return MetadataError(f"{url}: {str(error) or type(error).__name__}")


_FREEZE = "(freeze attack, or the registry stopped refreshing it)"


def _pinned_by(meta: MetaFile, data: bytes) -> bool:
    """Whether ``data`` has the sha256 the snapshot lists (a copy held need not be fetched)."""
    try:
        meta.verify_length_and_hashes(data)
    except tuf_errors.LengthOrHashMismatchError:
        return False
    return bool(meta.hashes)


def target_info_problem(info: TargetFile) -> str | None:
    """Why a listed target cannot be fetched by its content address (None when it can)."""
    sha256 = info.hashes.get("sha256")
    if not isinstance(sha256, str) or len(sha256) != 64 or sha256.strip("0123456789abcdef"):
        return "the signed metadata lists no sha256 for it (expected 64 lowercase hex digits)"
    return None


def _rollback(message: str) -> str:
    """ngclient's rollback message, said as regsite says it (it names one of them backwards)."""
    if (match := _OLDER.fullmatch(message)) is not None:
        return f"version {match[2]} is older than the trusted version {match[3]}"
    if (match := _OLDER_SNAPSHOT.fullmatch(message)) is not None:
        return (
            f"lists snapshot version {match[2]}, older than the trusted snapshot version {match[1]}"
        )
    if (match := _ROLLED_BACK.fullmatch(message)) is not None:
        return f"lists {match[1]} version {match[2]}, older than the trusted version {match[3]}"
    return message


def _first_role(targets: Targets, path: str) -> str | None:
    """The delegated role TUF's walk asks first for ``path`` (hashed bins: the only one)."""
    assert targets.delegations is not None  # the caller checked
    return next((name for name, _ in targets.delegations.get_roles_for_target(path)), None)


def _delegated_roles(targets: Targets) -> list[str]:
    delegations = targets.delegations
    if delegations is None:
        return []
    if delegations.succinct_roles is not None:
        return list(delegations.succinct_roles.get_roles())
    return list(delegations.roles or {})
