"""The site the last build published: read for version numbers, for the old versions a new
build keeps online, and for re-signing its timestamp without a rebuild."""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import NamedTuple, Protocol

from regsite.keys import PrivateKey
from regsite.metadata.envelope import SignedFile, read_signed_file, sign_metadata
from regsite.metadata.layout import (
    METADATA_DIR,
    SNAPSHOT_FILE,
    TIMESTAMP_FILE,
    content_addressed_path,
)
from regsite.metadata.roles import (
    Delegations,
    FileInfo,
    MetadataError,
    Role,
    Root,
    Snapshot,
    Targets,
    Timestamp,
)
from regsite.metadata.root import root_file_name, verify_root_history
from regsite.render import Output
from regsite.render.api import API_ROOT

__all__ = [
    "DirectoryPrevious",
    "Old",
    "OldRole",
    "Previous",
    "PreviousSite",
    "RoleBrief",
    "RoleMemo",
    "keep_old_versions",
    "read_previous",
    "refresh_timestamp",
    "seen_versions",
    "targets_content",
    "timestamp_period",
]

log = logging.getLogger(__name__)


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


Old = tuple[SignedFile, bytes]  # a previous metadata file: parsed, and its exact bytes


class RoleBrief(NamedTuple):
    """What a new build needs of a previous targets role (top-level or bin) to keep its bytes."""

    version: int
    expires: datetime
    keyids: frozenset[str]  # of its signatures
    content: str  # targets_content() of its targets and delegations


class OldRole(NamedTuple):
    brief: RoleBrief
    data: bytes  # the file's exact bytes


def targets_content(targets: Mapping[str, FileInfo], delegations: Delegations | None) -> str:
    """A digest of what a targets role says, besides its version and expiry."""
    fields = [repr(delegations)]
    for path, info in sorted(targets.items()):
        fields += (path, str(info.length), info.sha256)
    return hashlib.sha256("\0".join(fields).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class RoleMemo:
    """Briefs of targets roles by the SHA-256 of their file, kept in the build cache so that a
    rebuild reads the previous bins' bytes without parsing them: ``known`` from the last build,
    ``current`` filled with the files this build publishes."""

    known: Mapping[str, RoleBrief] = field(default_factory=dict)
    current: dict[str, RoleBrief] = field(default_factory=dict)

    def brief(self, data: bytes, parse: Callable[[], SignedFile]) -> RoleBrief:
        digest = hashlib.sha256(data).hexdigest()
        found = self.known.get(digest)
        if found is None:
            signed_file = parse()
            signed = signed_file.signed
            assert isinstance(signed, Targets)
            keyids = frozenset(keyid for keyid, _ in signed_file.signatures)
            content = targets_content(signed.targets, signed.delegations)
            found = RoleBrief(signed.version, signed.expires, keyids, content)
        return found

    def record(self, data: bytes, brief: RoleBrief) -> None:
        self.current[hashlib.sha256(data).hexdigest()] = brief


@dataclass(frozen=True, slots=True)
class Previous:
    """The previous site's newest metadata; absent roles are simply missing."""

    timestamp: Old | None = None
    snapshot: Old | None = None
    roles: Mapping[str, OldRole] = field(default_factory=dict)  # "targets", "bin-0a"


def _read_old(previous: PreviousSite, path: str, role: Role) -> Old | None:
    content = previous.read(path)
    if content is None:
        return None
    return _parse_old(content, path, role), content


def _parse_old(content: bytes, path: str, role: Role) -> SignedFile:
    try:
        return read_signed_file(content, role, f"previous site: {path}")
    except MetadataError as exc:
        raise MetadataError(
            f"{exc}; the previous output's metadata is damaged: restore it, or remove the output"
            " directory to start again at version 1 (clients that trusted it will then refuse)"
        ) from None


def read_previous(previous: PreviousSite, memo: RoleMemo | None = None) -> Previous:
    timestamp = _read_old(previous, TIMESTAMP_FILE, Role.TIMESTAMP)
    if timestamp is None:
        return Previous()
    assert isinstance(timestamp[0].signed, Timestamp)
    version = timestamp[0].signed.snapshot.version
    snapshot = _read_old(previous, f"{METADATA_DIR}/{version}.snapshot.json", Role.SNAPSHOT)
    if snapshot is None:
        return Previous(timestamp=timestamp)
    assert isinstance(snapshot[0].signed, Snapshot)
    memo = memo or RoleMemo()
    roles = {}
    for name, info in snapshot[0].signed.meta.items():
        role = name.removesuffix(".json")
        path = f"{METADATA_DIR}/{info.version}.{name}"
        data = previous.read(path)
        if data is not None:
            brief = memo.brief(data, partial(_parse_old, data, path, Role.TARGETS))
            roles[role] = OldRole(brief, data)
    return Previous(timestamp=timestamp, snapshot=snapshot, roles=roles)


def seen_versions(previous: PreviousSite) -> dict[str, int]:
    """The highest version of each role named by any snapshot still on the previous site."""
    seen: dict[str, int] = {}
    for version in previous.snapshot_versions():
        seen["snapshot"] = max(seen.get("snapshot", 0), version)
        old = _read_old(previous, f"{METADATA_DIR}/{version}.snapshot.json", Role.SNAPSHOT)
        if old is None or not isinstance(old[0].signed, Snapshot):
            continue
        for name, info in old[0].signed.meta.items():
            role = name.removesuffix(".json")
            seen[role] = max(seen.get(role, 0), info.version)
    return seen


def keep_old_versions(previous: PreviousSite, keep: int, current: Collection[str]) -> Output:
    """The newest old snapshots, with every metadata file and target they name, that are not
    among the ``current`` paths already: what a client that straddles a deploy still needs."""
    versions = {
        int(m[1]) for path in current if (m := SNAPSHOT_FILE.fullmatch(posixpath.basename(path)))
    }
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
    old = _read_old(previous, path, Role.SNAPSHOT)
    if old is None or not isinstance(old[0].signed, Snapshot):
        return None
    kept: Output = {path: old[1]}
    for name, info in old[0].signed.meta.items():
        role_path = f"{METADATA_DIR}/{info.version}.{name}"
        if role_path in current or role_path in carried:
            continue
        role = _read_old(previous, role_path, Role.TARGETS)
        if role is None or not isinstance(role[0].signed, Targets):
            return None
        kept[role_path] = role[1]
        for target, file_info in role[0].signed.targets.items():
            copy = content_addressed_path(target, file_info.sha256)
            if copy in current or copy in kept or copy in carried:
                continue
            content = previous.read(copy)
            if content is None:
                return None
            kept[copy] = content
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


# Timestamp refresh -----------------------------------------------------------------------------


def refresh_timestamp(
    previous: PreviousSite, online_key: PrivateKey, now: datetime, period: timedelta
) -> bytes:
    """A new timestamp for the same snapshot: version + 1, valid for ``period`` from ``now``."""
    old = _read_old(previous, TIMESTAMP_FILE, Role.TIMESTAMP)
    if old is None:
        raise MetadataError(f"{TIMESTAMP_FILE}: not found; is this a signed regsite site?")
    root = _newest_root(previous)
    allowed = {root.keys[keyid] for keyid in root.roles[Role.TIMESTAMP].keyids}
    if online_key.public not in allowed:
        raise MetadataError(
            f"{online_key.public} is not a timestamp key of the site's newest root"
            f" (metadata/{root_file_name(root.version)}); use the registry's online key"
        )
    timestamp = old[0].signed
    assert isinstance(timestamp, Timestamp)
    version = timestamp.snapshot.version
    snapshot = _read_old(previous, f"{METADATA_DIR}/{version}.snapshot.json", Role.SNAPSHOT)
    if snapshot is None:
        raise MetadataError(f"{METADATA_DIR}/{version}.snapshot.json: not found")
    expires = now + period
    if snapshot[0].signed.expires < expires:
        raise MetadataError(
            f"{METADATA_DIR}/{version}.snapshot.json expires at"
            f" {snapshot[0].signed.expires:%Y-%m-%dT%H:%M:%SZ}, before the new timestamp would;"
            " rebuild the site instead"
        )
    signed = Timestamp(version=timestamp.version + 1, expires=expires, snapshot=timestamp.snapshot)
    return sign_metadata(signed, [online_key])


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
