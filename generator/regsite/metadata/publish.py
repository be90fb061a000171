"""Sign stage: TUF metadata over every output file, with consistent snapshots.

Every output file becomes a target, and is also written as ``<dir>/<sha256>.<name>`` (by
the write stage) so that nothing but ``metadata/timestamp.json`` ever changes in place.
Metadata whose content did not change keeps its version and bytes.  The newest
``keep_versions`` snapshots of the previous site stay fetchable, with every file they
reference, so a client that straddles a deploy succeeds.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from regsite.errors import ErrorReport
from regsite.keys import PrivateKey
from regsite.metadata.envelope import sign_metadata
from regsite.metadata.layout import METADATA_DIR, TIMESTAMP_FILE, content_addressed_path
from regsite.metadata.previous import (
    Old,
    Previous,
    PreviousSite,
    RoleBrief,
    RoleMemo,
    keep_old_versions,
    read_previous,
    seen_versions,
    targets_content,
)
from regsite.metadata.roles import (
    DelegatedRole,
    Delegations,
    FileInfo,
    MetadataError,
    MetaInfo,
    Signed,
    Snapshot,
    Targets,
    Timestamp,
    key_id,
)
from regsite.metadata.root import root_file_name, root_problems, verify_root_history
from regsite.model import MetadataPolicy, Registry
from regsite.render import Output

__all__ = ["BIN_THRESHOLD", "bin_prefix_length", "check_trust", "publish_metadata"]

log = logging.getLogger(__name__)

BIN_THRESHOLD = 1024  # targets; above this, targets are split into hashed bins
TARGETS_PER_BIN = 256  # on average, at most


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


def publish_metadata(
    targets: Mapping[str, FileInfo],
    registry: Registry,
    online_key: PrivateKey,
    now: datetime,
    previous: PreviousSite | None = None,
    memo: RoleMemo | None = None,
) -> Output:
    """The metadata files over ``targets`` (path -> length and hash), and the files of the old
    versions kept online; the targets' content-addressed copies are the write stage's.

    ``memo`` holds what the last build recorded of the targets roles it published; it fills
    ``memo.current`` with this build's, for the next.
    """
    if not registry.root_history:
        raise MetadataError(
            "metadata/: no N.root.json in the source; run 'regsite root update --sign ROOT_KEY'"
            " (first 'regsite trust online-key PUBKEY' if [trust] online-keys is empty)"
        )
    if online_key.public not in registry.online_keys:
        raise MetadataError(
            f"the online key {online_key.public} is not in registry.toml [trust] online-keys"
        )
    targets = dict(sorted(targets.items()))
    memo = memo or RoleMemo()
    last = read_previous(previous, memo) if previous is not None else Previous()
    seen = seen_versions(previous) if previous is not None else {}
    signer = _Signer(online_key, now, registry.policy, last, seen, memo)
    files: Output = {}
    for version, content in enumerate(registry.root_history, start=1):
        files[f"{METADATA_DIR}/{root_file_name(version)}"] = content
    meta = _sign_targets(signer, targets, files)
    snapshot_info = signer.sign_snapshot(meta, files)
    files[TIMESTAMP_FILE] = signer.sign_timestamp(snapshot_info)
    if previous is not None:
        current = {content_addressed_path(path, info.sha256) for path, info in targets.items()}
        current.update(files)
        files.update(keep_old_versions(previous, registry.policy.keep_versions, current))
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
    previous: Previous
    seen: Mapping[str, int]  # role -> highest version in any kept snapshot
    memo: RoleMemo

    def sign_role(
        self,
        name: str,
        targets: Mapping[str, FileInfo],
        delegations: Delegations | None,
        files: Output,
    ) -> MetaInfo:
        period = self.policy.targets_expires
        content = targets_content(targets, delegations)
        old = self.previous.roles.get(name)
        brief = None if old is None else old.brief
        if old and brief and brief.content == content and self._keeps(brief, period):
            files[f"{METADATA_DIR}/{brief.version}.{name}.json"] = old.data
            self.memo.record(old.data, brief)
            return _info(brief.version, old.data)
        version = self._next_version(name, None if old is None else old.brief.version)
        expires = self.now + period
        signed = Targets(version=version, expires=expires, targets=targets, delegations=delegations)
        data = sign_metadata(signed, [self.key])
        self.memo.record(data, RoleBrief(version, expires, self._keyids, content))
        files[f"{METADATA_DIR}/{version}.{name}.json"] = data
        return _info(version, data)

    def sign_snapshot(self, meta: Mapping[str, MetaInfo], files: Output) -> MetaInfo:
        period = self.policy.snapshot_expires
        old = self.previous.snapshot
        content = self._reuse(old, Snapshot(version=1, expires=self.now, meta=meta), period)
        if content is None or old is None:
            version = self._next_version("snapshot", None if old is None else old[0].signed.version)
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

    def _reuse(self, old: Old | None, draft: Signed, period: timedelta) -> bytes | None:
        """The previous bytes if the content is the same and :meth:`_keeps` allows it."""
        if old is None:
            return None
        keyids = frozenset(keyid for keyid, _ in old[0].signatures)
        signed = old[0].signed
        if not self._keeps(RoleBrief(signed.version, signed.expires, keyids, ""), period):
            return None
        return old[1] if _content(old[0].signed) == _content(draft) else None

    def _keeps(self, old: RoleBrief, period: timedelta) -> bool:
        """Whether a previous file may be kept: this key signed it and it is not yet past half
        its validity."""
        return key_id(self.key.public) in old.keyids and old.expires - self.now >= period / 2

    @property
    def _keyids(self) -> frozenset[str]:
        return frozenset({key_id(self.key.public)})

    def _next_version(self, name: str, old: int | None) -> int:
        return max(self.seen.get(name, 0), old or 0) + 1


def _info(version: int, content: bytes) -> MetaInfo:
    return MetaInfo(version, len(content), hashlib.sha256(content).hexdigest())


def _content(signed: Signed) -> object:
    if isinstance(signed, Snapshot):
        return dict(signed.meta)
    if isinstance(signed, Timestamp):
        return signed.snapshot
    return signed
