"""Sign stage: TUF metadata over every output file, with consistent snapshots.

Every output file becomes a target, and is also written as ``<dir>/<sha256>.<name>`` so that
nothing but ``metadata/timestamp.json`` ever changes in place.  Metadata whose content did not
change keeps its version and bytes.  The newest ``keep_versions`` snapshots of the previous site
stay fetchable, with every file they reference, so a client that straddles a deploy succeeds.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from regsite.errors import ErrorReport
from regsite.keys import PrivateKey
from regsite.metadata.envelope import SignedFile, read_signed_file, sign_metadata
from regsite.metadata.roles import (
    DelegatedRole,
    Delegations,
    FileInfo,
    MetadataError,
    MetaInfo,
    Role,
    Root,
    Signed,
    Snapshot,
    Targets,
    Timestamp,
    key_id,
)
from regsite.metadata.root import root_file_name, root_problems, verify_root_history
from regsite.model import MetadataPolicy, Registry
from regsite.render import Output

__all__ = [
    "METADATA_DIR",
    "DirectoryPrevious",
    "PreviousSite",
    "bin_prefix_length",
    "check_trust",
    "content_addressed_path",
    "publish_metadata",
    "refresh_timestamp",
]

log = logging.getLogger(__name__)

METADATA_DIR = "metadata"
TIMESTAMP_FILE = f"{METADATA_DIR}/timestamp.json"
BIN_THRESHOLD = 1024  # targets; above this, targets are split into hashed bins
TARGETS_PER_BIN = 256  # on average, at most
_SNAPSHOT_FILE = re.compile(r"([1-9][0-9]*)\.snapshot\.json")


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

    def snapshot_versions(self) -> list[int]:
        directory = self.root / METADATA_DIR
        if not directory.is_dir():
            return []
        found = (_SNAPSHOT_FILE.fullmatch(entry.name) for entry in directory.iterdir())
        return sorted(int(match[1]) for match in found if match is not None)


def content_addressed_path(path: str, sha256: str) -> str:
    """Where TUF clients fetch a target under consistent snapshots: ``dir/<sha256>.<name>``."""
    directory, name = posixpath.split(path)
    return posixpath.join(directory, f"{sha256}.{name}")


def bin_prefix_length(targets: int) -> int:
    """0 (no delegation) for small sites; else hex digits per bin name, 16**n bins."""
    if targets <= BIN_THRESHOLD:
        return 0
    length = 1
    while targets > TARGETS_PER_BIN * 16**length and length < 4:
        length += 1
    return length


def check_trust(registry: Registry, report: ErrorReport) -> None:
    """The source's root history verifies and its newest version matches [trust]."""
    file = "metadata/"
    try:
        roots = verify_root_history(registry.root_history)
    except MetadataError as exc:
        report.add(file, "", str(exc))
        return
    if not roots:
        return
    newest = roots[-1]
    for key, problem in root_problems(newest, registry):
        report.add(
            "registry.toml",
            key,
            f"{problem} (metadata/{root_file_name(newest.version)}); sign a new root with"
            " 'regsite root update'",
        )


_Old = tuple[SignedFile, bytes]  # a previous metadata file: parsed, and its exact bytes


@dataclass(frozen=True, slots=True)
class _Previous:
    """The previous site's newest metadata; absent roles are simply missing."""

    timestamp: _Old | None = None
    snapshot: _Old | None = None
    roles: Mapping[str, _Old] = field(default_factory=dict)  # "targets", "bin-0a"


def publish_metadata(
    output: Output,
    registry: Registry,
    online_key: PrivateKey,
    now: datetime,
    previous: PreviousSite | None = None,
) -> Output:
    """The metadata files, the content-addressed copies and the kept old versions to add."""
    if not registry.root_history:
        raise MetadataError(
            "metadata/: no N.root.json in the source; run 'regsite root update --sign ROOT_KEY'"
            " (first 'regsite trust online-key PUBKEY' if [trust] online-keys is empty)"
        )
    if online_key.public not in registry.online_keys:
        raise MetadataError(
            f"the online key {online_key.public} is not in registry.toml [trust] online-keys"
        )
    targets = {
        path: FileInfo(len(content), hashlib.sha256(content).hexdigest())
        for path, content in sorted(output.items())
    }
    last = _read_previous(previous) if previous is not None else _Previous()
    seen = _seen_versions(previous) if previous is not None else {}
    signer = _Signer(online_key, now, registry.policy, last, seen)
    files: Output = {}
    for version, content in enumerate(registry.root_history, start=1):
        files[f"{METADATA_DIR}/{root_file_name(version)}"] = content
    meta = _sign_targets(signer, targets, files)
    snapshot_info = signer.sign_snapshot(meta, files)
    files[TIMESTAMP_FILE] = signer.sign_timestamp(snapshot_info)
    for path, info in targets.items():
        files[content_addressed_path(path, info.sha256)] = output[path]
    if previous is not None:
        _keep_old_versions(previous, registry.policy.keep_versions, files)
    return files


def _sign_targets(
    signer: _Signer, targets: Mapping[str, FileInfo], files: Output
) -> dict[str, MetaInfo]:
    """Top-level targets, delegating to 16**n hashed bins once the site is large."""
    length = bin_prefix_length(len(targets))
    if length == 0:
        meta = {"targets.json": signer.sign_role("targets", targets, None, files)}
        _retire_old_bins(signer, meta, files)
        return dict(sorted(meta.items()))
    keyid = key_id(signer.key.public)
    bins: dict[str, dict[str, FileInfo]] = {f"{i:0{length}x}": {} for i in range(16**length)}
    for path, info in targets.items():
        bins[hashlib.sha256(path.encode("utf-8")).hexdigest()[:length]][path] = info
    meta = {
        f"bin-{prefix}.json": signer.sign_role(f"bin-{prefix}", listed, None, files)
        for prefix, listed in bins.items()
    }
    roles = tuple(
        DelegatedRole(name=f"bin-{prefix}", keyids=(keyid,), threshold=1, prefixes=(prefix,))
        for prefix in bins
    )
    delegations = Delegations(keys={keyid: signer.key.public}, roles=roles)
    meta["targets.json"] = signer.sign_role("targets", {}, delegations, files)
    _retire_old_bins(signer, meta, files)
    return dict(sorted(meta.items()))


def _retire_old_bins(signer: _Signer, meta: dict[str, MetaInfo], files: Output) -> None:
    """A role a snapshot listed stays listed (clients treat a missing one as a rollback), so bins
    left over when the bin count changes are published empty and no longer delegated to."""
    for name in signer.previous.roles:
        if f"{name}.json" not in meta:
            meta[f"{name}.json"] = signer.sign_role(name, {}, None, files)


@dataclass(frozen=True, slots=True)
class _Signer:
    """Signs each role, or keeps the previous file when nothing in it changed."""

    key: PrivateKey
    now: datetime
    policy: MetadataPolicy
    previous: _Previous
    seen: Mapping[str, int]  # role -> highest version in any kept snapshot

    def sign_role(
        self,
        name: str,
        targets: Mapping[str, FileInfo],
        delegations: Delegations | None,
        files: Output,
    ) -> MetaInfo:
        period = self.policy.targets_expires
        draft = Targets(version=1, expires=self.now, targets=targets, delegations=delegations)
        content = self._reuse(self.previous.roles.get(name), draft, period)
        if content is None:
            version = self._next_version(name, self.previous.roles.get(name))
            signed = Targets(
                version=version,
                expires=self.now + period,
                targets=targets,
                delegations=delegations,
            )
            content = sign_metadata(signed, [self.key])
        else:
            version = self.previous.roles[name][0].signed.version
        files[f"{METADATA_DIR}/{version}.{name}.json"] = content
        return _info(version, content)

    def sign_snapshot(self, meta: Mapping[str, MetaInfo], files: Output) -> MetaInfo:
        period = self.policy.snapshot_expires
        old = self.previous.snapshot
        content = self._reuse(old, Snapshot(version=1, expires=self.now, meta=meta), period)
        if content is None or old is None:
            version = self._next_version("snapshot", old)
            signed = Snapshot(version=version, expires=self.now + period, meta=meta)
            content = sign_metadata(signed, [self.key])
        else:
            version = old[0].signed.version
        files[f"{METADATA_DIR}/{version}.snapshot.json"] = content
        return _info(version, content)

    def sign_timestamp(self, snapshot: MetaInfo) -> bytes:
        period = self.policy.timestamp_expires
        old = self.previous.timestamp
        draft = Timestamp(version=1, expires=self.now, snapshot=snapshot)
        content = self._reuse(old, draft, period)
        if content is None:
            version = (old[0].signed.version if old else 0) + 1
            signed = Timestamp(version=version, expires=self.now + period, snapshot=snapshot)
            content = sign_metadata(signed, [self.key])
        return content

    def _reuse(self, old: _Old | None, draft: Signed, period: timedelta) -> bytes | None:
        """The previous bytes if the content is the same, this key signed them, and they are
        not yet past half their validity."""
        if old is None or key_id(self.key.public) not in {k for k, _ in old[0].signatures}:
            return None
        if old[0].signed.expires - self.now < period / 2:
            return None
        return old[1] if _content(old[0].signed) == _content(draft) else None

    def _next_version(self, name: str, old: _Old | None) -> int:
        return max(self.seen.get(name, 0), old[0].signed.version if old else 0) + 1


def _info(version: int, content: bytes) -> MetaInfo:
    return MetaInfo(version, len(content), hashlib.sha256(content).hexdigest())


def _content(signed: Signed) -> object:
    if isinstance(signed, Targets):
        return (dict(signed.targets), signed.delegations)
    if isinstance(signed, Snapshot):
        return dict(signed.meta)
    if isinstance(signed, Timestamp):
        return signed.snapshot
    return signed


# The previous site -----------------------------------------------------------------------------


def _read_old(previous: PreviousSite, path: str, role: Role) -> _Old | None:
    content = previous.read(path)
    if content is None:
        return None
    try:
        return read_signed_file(content, role, f"previous site: {path}"), content
    except MetadataError as exc:
        raise MetadataError(
            f"{exc}; the previous output's metadata is damaged: restore it, or remove the output"
            " directory to start again at version 1 (clients that trusted it will then refuse)"
        ) from None


def _read_previous(previous: PreviousSite) -> _Previous:
    timestamp = _read_old(previous, TIMESTAMP_FILE, Role.TIMESTAMP)
    if timestamp is None:
        return _Previous()
    assert isinstance(timestamp[0].signed, Timestamp)
    version = timestamp[0].signed.snapshot.version
    snapshot = _read_old(previous, f"{METADATA_DIR}/{version}.snapshot.json", Role.SNAPSHOT)
    if snapshot is None:
        return _Previous(timestamp=timestamp)
    assert isinstance(snapshot[0].signed, Snapshot)
    roles = {}
    for name, info in snapshot[0].signed.meta.items():
        role = name.removesuffix(".json")
        old = _read_old(previous, f"{METADATA_DIR}/{info.version}.{name}", Role.TARGETS)
        if old is not None:
            roles[role] = old
    return _Previous(timestamp=timestamp, snapshot=snapshot, roles=roles)


def _seen_versions(previous: PreviousSite) -> dict[str, int]:
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


def _keep_old_versions(previous: PreviousSite, keep: int, files: Output) -> None:
    """Carry over the newest old snapshots, with every metadata file and target they name."""
    current = {
        int(m[1]) for path in files if (m := _SNAPSHOT_FILE.fullmatch(posixpath.basename(path)))
    }
    older = [version for version in previous.snapshot_versions() if version not in current]
    for version in sorted(older, reverse=True)[: max(keep - len(current), 0)]:
        kept = _old_snapshot_files(previous, version, files)
        if kept is None:
            log.debug("previous snapshot %d is incomplete; not kept", version)
            continue
        files.update(kept)


def _old_snapshot_files(previous: PreviousSite, version: int, files: Output) -> Output | None:
    path = f"{METADATA_DIR}/{version}.snapshot.json"
    old = _read_old(previous, path, Role.SNAPSHOT)
    if old is None or not isinstance(old[0].signed, Snapshot):
        return None
    kept: Output = {path: old[1]}
    for name, info in old[0].signed.meta.items():
        role_path = f"{METADATA_DIR}/{info.version}.{name}"
        if role_path in files:
            continue
        role = _read_old(previous, role_path, Role.TARGETS)
        if role is None or not isinstance(role[0].signed, Targets):
            return None
        kept[role_path] = role[1]
        for target, file_info in role[0].signed.targets.items():
            copy = content_addressed_path(target, file_info.sha256)
            if copy in files or copy in kept:
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
