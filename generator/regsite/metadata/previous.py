"""The site the last build published: read for version numbers, for the old versions a new
build keeps online, and for re-signing its timestamp without a rebuild."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import NamedTuple, Protocol, TypeVar

from tuf.api.metadata import Delegations, Metadata, Root, Snapshot, Targets, Timestamp

from regsite.keys import PrivateKey
from regsite.metadata.envelope import (
    MetadataError,
    online_signer,
    read_metadata,
    sign_metadata,
    verify_role,
)
from regsite.metadata.layout import (
    METADATA_DIR,
    SNAPSHOT_FILE,
    TIMESTAMP_FILE,
    FileInfo,
    content_addressed_path,
    has_copy,
)
from regsite.metadata.root import role_keys, root_file_name, verify_root_history
from regsite.render import Output
from regsite.render.api import API_ROOT

__all__ = [
    "DirectoryPrevious",
    "Old",
    "OldRole",
    "OldTimestamp",
    "Previous",
    "PreviousSite",
    "RoleBrief",
    "RoleMemo",
    "delegation_text",
    "keep_old_versions",
    "read_previous",
    "refresh_timestamp",
    "seen_versions",
    "signed_sha256",
    "targets_content",
    "timestamp_period",
]

log = logging.getLogger(__name__)

_Role = TypeVar("_Role", Targets, Snapshot, Timestamp)


class PreviousSite(Protocol):
    """The site the last build published, read for version numbers and old versions to keep."""

    def read(self, path: str) -> bytes | None: ...

    def snapshot_versions(self) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class DirectoryPrevious:
    root: Path

    def read(self, path: str) -> bytes | None:
        try:
            return (self.root / path).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:  # fail closed: versions must not restart because of a permission
            raise MetadataError(
                f"previous site: {self.root / path}: cannot be read ({exc.strerror or exc})"
            ) from None

    def snapshot_versions(self) -> list[int]:
        directory = self.root / METADATA_DIR
        try:
            names = [entry.name for entry in directory.iterdir()] if directory.is_dir() else []
        except OSError as exc:
            raise MetadataError(
                f"previous site: {directory}: cannot be listed ({exc.strerror or exc})"
            ) from None
        found = (SNAPSHOT_FILE.fullmatch(name) for name in names)
        return sorted(int(match[1]) for match in found if match is not None)


class Old(NamedTuple):
    """A previous snapshot or timestamp file: parsed, and its exact bytes."""

    metadata: Metadata[Snapshot] | Metadata[Timestamp]
    data: bytes


class OldTimestamp(NamedTuple):
    metadata: Metadata[Timestamp]
    data: bytes


class RoleBrief(NamedTuple):
    """What a new build needs of a previous targets role (top-level or bin) to keep its bytes."""

    version: int
    expires: datetime
    keyids: frozenset[str]  # of its signatures
    content: str  # targets_content() of its targets and delegations


class OldRole(NamedTuple):
    brief: RoleBrief
    data: bytes  # the file's exact bytes


def delegation_text(delegations: Delegations | None) -> str:
    """What a targets role delegates, as text that two equal delegations share."""
    return "" if delegations is None else json.dumps(delegations.to_dict(), sort_keys=True)


def targets_content(targets: Mapping[str, FileInfo], delegations: str) -> str:
    """A digest of what a targets role says, besides its version and expiry."""
    fields = [delegations]
    for path, info in sorted(targets.items()):
        fields += (path, str(info.length), info.sha256)
    return hashlib.sha256("\0".join(fields).encode("utf-8")).hexdigest()


def _brief_of(metadata: Metadata[Targets]) -> RoleBrief:
    signed = metadata.signed
    targets = {
        path: FileInfo(info.length, info.hashes.get("sha256", ""))
        for path, info in signed.targets.items()
    }
    content = targets_content(targets, delegation_text(signed.delegations))
    return RoleBrief(signed.version, signed.expires, frozenset(metadata.signatures), content)


@dataclass(frozen=True, slots=True)
class RoleMemo:
    """Briefs of targets roles by the SHA-256 of their file, kept in the build cache so that a
    rebuild reads the previous bins' bytes without parsing them: ``known`` from the last build,
    ``current`` filled with the files this build publishes."""

    known: Mapping[str, RoleBrief] = field(default_factory=dict)
    current: dict[str, RoleBrief] = field(default_factory=dict)

    def brief(self, data: bytes, parse: Callable[[], Metadata[Targets]]) -> RoleBrief:
        found = self.known.get(hashlib.sha256(data).hexdigest())
        return found if found is not None else _brief_of(parse())

    def record(self, data: bytes, brief: RoleBrief) -> None:
        self.current[hashlib.sha256(data).hexdigest()] = brief


@dataclass(frozen=True, slots=True)
class Previous:
    """The previous site's newest metadata; absent roles are simply missing."""

    timestamp: OldTimestamp | None = None
    snapshot: Old | None = None
    roles: Mapping[str, OldRole] = field(default_factory=dict)  # "targets", "bin-0a"


def _parse_old(content: bytes, path: str, kind: type[_Role]) -> Metadata[_Role]:
    try:
        return read_metadata(content, kind, f"previous site: {path}")
    except MetadataError as exc:
        raise MetadataError(
            f"{exc}; the previous output's metadata is damaged: restore it, or remove the output"
            " directory to start again at version 1 (clients that trusted it will then refuse)"
        ) from None


def _read_snapshot(previous: PreviousSite, version: int) -> Metadata[Snapshot] | None:
    path = f"{METADATA_DIR}/{version}.snapshot.json"
    content = previous.read(path)
    return None if content is None else _parse_old(content, path, Snapshot)


def read_previous(previous: PreviousSite, memo: RoleMemo | None = None) -> Previous:
    data = previous.read(TIMESTAMP_FILE)
    if data is None:
        return Previous()
    timestamp = OldTimestamp(_parse_old(data, TIMESTAMP_FILE, Timestamp), data)
    version = timestamp.metadata.signed.snapshot_meta.version
    path = f"{METADATA_DIR}/{version}.snapshot.json"
    if (content := previous.read(path)) is None:
        return Previous(timestamp=timestamp)
    snapshot = _parse_old(content, path, Snapshot)
    memo = memo or RoleMemo()
    roles = {}
    for name, info in snapshot.signed.meta.items():
        role_path = f"{METADATA_DIR}/{info.version}.{name}"
        role = previous.read(role_path)
        if role is not None:
            brief = memo.brief(role, partial(_parse_old, role, role_path, Targets))
            roles[name.removesuffix(".json")] = OldRole(brief, role)
    return Previous(timestamp=timestamp, snapshot=Old(snapshot, content), roles=roles)


def seen_versions(previous: PreviousSite) -> dict[str, int]:
    """The highest version of each role named by any snapshot still on the previous site."""
    seen: dict[str, int] = {}
    for version in previous.snapshot_versions():
        seen["snapshot"] = max(seen.get("snapshot", 0), version)
        snapshot = _read_snapshot(previous, version)
        for name, info in {} if snapshot is None else snapshot.signed.meta.items():
            role = name.removesuffix(".json")
            seen[role] = max(seen.get(role, 0), info.version)
    return seen


def keep_old_versions(previous: PreviousSite, keep: int, current: Collection[str]) -> Output:
    """The newest old snapshots, with every metadata file and target they name, that are not
    among the ``current`` paths already: what a client that straddles a deploy still needs."""
    prefix = f"{METADATA_DIR}/"
    names = (path.removeprefix(prefix) for path in current if path.startswith(prefix))
    versions = {int(m[1]) for name in names if (m := SNAPSHOT_FILE.fullmatch(name))}
    older = [version for version in previous.snapshot_versions() if version not in versions]
    carried: Output = {}
    for version in sorted(older, reverse=True)[: max(keep - len(versions), 0)]:
        kept = _old_snapshot_files(previous, version, current, carried)
        if kept is None:
            log.debug("previous snapshot %d is incomplete; not kept", version)
            continue
        carried.update(kept)
    return carried


def _old_snapshot_files(
    previous: PreviousSite, version: int, current: Collection[str], carried: Output
) -> Output | None:
    path = f"{METADATA_DIR}/{version}.snapshot.json"
    content = previous.read(path)
    if content is None:
        return None
    kept: Output = {path: content}
    for name, info in _parse_old(content, path, Snapshot).signed.meta.items():
        role_path = f"{METADATA_DIR}/{info.version}.{name}"
        if role_path in current or role_path in carried:
            continue
        role = previous.read(role_path)
        if role is None:
            return None
        kept[role_path] = role
        for target, file_info in _parse_old(role, role_path, Targets).signed.targets.items():
            if not has_copy(target):  # a page or an asset: no client fetches an old one
                continue
            copy = content_addressed_path(target, file_info.hashes.get("sha256", ""))
            if copy in current or copy in kept or copy in carried:
                continue
            if (target_content := previous.read(copy)) is None:
                return None
            kept[copy] = target_content
    return kept


def _newest_root(previous: PreviousSite) -> Root:
    history: list[bytes] = []
    while (
        content := previous.read(f"{METADATA_DIR}/{root_file_name(len(history) + 1)}")
    ) is not None:
        history.append(content)
    roots = verify_root_history(history)
    if not roots:
        raise MetadataError(f"{METADATA_DIR}/1.root.json: not found; is this a signed site?")
    return roots[-1]


def signed_sha256(previous: PreviousSite, path: str, first_root: bytes | None) -> str | None:
    """The SHA-256 the previous site's signed metadata lists for target ``path``, every role
    on the way verified from its newest root, itself verified from ``first_root`` (the
    source's ``metadata/1.root.json``, when it has one); None when the site is unsigned.
    Raises :class:`MetadataError` when a role does not verify or does not list ``path``."""
    data = previous.read(TIMESTAMP_FILE)
    if data is None:
        return None
    first = f"{METADATA_DIR}/{root_file_name(1)}"
    if first_root is not None and previous.read(first) != first_root:
        raise MetadataError(f"previous site: {first} is not the source's: another registry's site")
    root = _newest_root(previous)
    timestamp = _verified(previous, TIMESTAMP_FILE, Timestamp, root, "timestamp", data)
    version = timestamp.signed.snapshot_meta.version
    snapshot = _verified(previous, f"{METADATA_DIR}/{version}.snapshot.json", Snapshot, root)
    targets = _role(previous, snapshot.signed, "targets", root)
    delegations = targets.signed.delegations
    if path not in targets.signed.targets and delegations and delegations.succinct_roles:
        name = delegations.succinct_roles.get_role_for_target(path)
        targets = _role(previous, snapshot.signed, name, targets.signed)
    info = targets.signed.targets.get(path)
    if info is None or "sha256" not in info.hashes:
        raise MetadataError(f"previous site: {path}: not listed in its signed targets")
    return info.hashes["sha256"]


def _role(
    previous: PreviousSite, snapshot: Snapshot, name: str, delegator: Root | Targets
) -> Metadata[Targets]:
    meta = snapshot.meta.get(f"{name}.json")
    if meta is None:
        raise MetadataError(f"previous site: its snapshot does not list {name}.json")
    path = f"{METADATA_DIR}/{meta.version}.{name}.json"
    return _verified(previous, path, Targets, delegator, name)


def _verified(
    previous: PreviousSite,
    path: str,
    kind: type[_Role],
    delegator: Root | Targets,
    role: str | None = None,
    data: bytes | None = None,
) -> Metadata[_Role]:
    data = previous.read(path) if data is None else data
    if data is None:
        raise MetadataError(f"previous site: {path}: not found")
    metadata = _parse_old(data, path, kind)
    verify_role(metadata, delegator, role or kind.type, f"previous site: {path}")
    return metadata


# Timestamp refresh -----------------------------------------------------------------------------


def refresh_timestamp(
    previous: PreviousSite, online_key: PrivateKey, now: datetime, period: timedelta
) -> bytes:
    """A new timestamp for the same snapshot: version + 1, valid for ``period`` from ``now``."""
    data = previous.read(TIMESTAMP_FILE)
    if data is None:
        raise MetadataError(f"{TIMESTAMP_FILE}: not found; is this a signed regsite site?")
    root = _newest_root(previous)
    if online_key.public not in role_keys(root, "timestamp"):
        raise MetadataError(
            f"{online_key.public} is not a timestamp key of the site's newest root"
            f" (metadata/{root_file_name(root.version)}); use the registry's online key"
        )
    timestamp = _parse_old(data, TIMESTAMP_FILE, Timestamp).signed
    version = timestamp.snapshot_meta.version
    snapshot = _read_snapshot(previous, version)
    if snapshot is None:
        raise MetadataError(f"{METADATA_DIR}/{version}.snapshot.json: not found")
    expires = now + period
    if snapshot.signed.expires < expires:
        raise MetadataError(
            f"{METADATA_DIR}/{version}.snapshot.json expires at"
            f" {snapshot.signed.expires:%Y-%m-%dT%H:%M:%SZ}, before the new timestamp would;"
            " rebuild the site instead"
        )
    renewed = Timestamp(
        version=timestamp.version + 1, expires=expires, snapshot_meta=timestamp.snapshot_meta
    )
    return sign_metadata(renewed, [online_signer(online_key)])


def timestamp_period(previous: PreviousSite) -> timedelta:
    """How long the site's timestamps last: ``trust.timestamp_expires`` in its registry.json."""
    path = f"{API_ROOT}/registry.json"
    content = previous.read(path)
    try:
        document = None if content is None else json.loads(content)
    except (ValueError, RecursionError):
        document = None
    trust = document.get("trust") if isinstance(document, dict) else None
    seconds = trust.get("timestamp_expires") if isinstance(trust, dict) else None
    if type(seconds) is not int or not 0 < seconds <= _MAX_PERIOD:
        raise MetadataError(
            f"{path}: expected trust.timestamp_expires, a number of seconds up to {_MAX_PERIOD};"
            " is this a site built by regsite? Give the validity with --expires"
        )
    return timedelta(seconds=seconds)


_MAX_PERIOD = 10 * 366 * 24 * 3600  # seconds: the longest validity a timestamp may be given
