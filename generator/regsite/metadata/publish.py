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

from securesystemslib.signer import Signer
from tuf.api.metadata import (
    Delegations,
    MetaFile,
    Snapshot,
    SuccinctRoles,
    TargetFile,
    Targets,
    Timestamp,
)

from regsite.errors import ErrorReport
from regsite.keys import PrivateKey
from regsite.metadata.envelope import MetadataError, online_signer, sign_metadata
from regsite.metadata.layout import METADATA_DIR, TIMESTAMP_FILE, FileInfo, content_addressed_path
from regsite.metadata.previous import (
    Old,
    OldTimestamp,
    Previous,
    PreviousSite,
    RoleBrief,
    RoleMemo,
    delegation_text,
    keep_old_versions,
    read_previous,
    seen_versions,
    targets_content,
)
from regsite.metadata.root import root_file_name, root_problems, verify_root_history
from regsite.model import MetadataPolicy, Registry
from regsite.render import Output

__all__ = [
    "BIN_PREFIX",
    "BIN_THRESHOLD",
    "FileInfo",
    "bin_number",
    "bin_prefix_length",
    "check_trust",
    "publish_metadata",
]

log = logging.getLogger(__name__)

BIN_THRESHOLD = 1024  # targets; above this, targets are split into hashed bins
TARGETS_PER_BIN = 256  # on average, at most
BIN_PREFIX = "bin"  # succinct hashed bins are named bin-0 … bin-f, bin-00 … bin-ff, …


def bin_prefix_length(targets: int) -> int:
    """0 (no delegation) for small sites; else hex digits per bin name, 16**n bins."""
    if targets <= BIN_THRESHOLD:
        return 0
    length = 1
    while targets > TARGETS_PER_BIN * 16**length and length < 4:
        length += 1
    return length


def bin_number(path: str, bit_length: int) -> int:
    """The succinct hashed bin of ``path`` (TAP 15): the first ``bit_length`` bits of its
    SHA-256.  ``SuccinctRoles.get_role_for_target`` computes the same, one name at a time."""
    digest = hashlib.sha256(path.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") >> (32 - bit_length)


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
    _check_signable(registry, online_key)
    targets = dict(sorted(targets.items()))
    memo = memo or RoleMemo()
    last = read_previous(previous, memo) if previous is not None else Previous()
    seen = seen_versions(previous) if previous is not None else {}
    signer = _Signer(online_signer(online_key), now, registry.policy, last, seen, memo)
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


def _check_signable(registry: Registry, online_key: PrivateKey) -> None:
    if not registry.root_history:
        raise MetadataError(
            "metadata/: no N.root.json in the source; run 'regsite root update --sign ROOT_KEY'"
            " (first 'regsite trust online-key PUBKEY' if [trust] online-keys is empty)"
        )
    if online_key.public not in registry.online_keys:
        raise MetadataError(
            f"the online key {online_key.public} is not in registry.toml [trust] online-keys"
        )


def _sign_targets(
    signer: _Signer, targets: Mapping[str, FileInfo], files: Output
) -> dict[str, MetaFile]:
    """Top-level targets, delegating to 16**n succinct hashed bins (TAP 15) once the site is
    large: the bins are named in one line of targets.json instead of one entry each."""
    length = bin_prefix_length(len(targets))
    if length == 0:
        meta = {"targets.json": signer.sign_role("targets", targets, None, files)}
        _retire_old_bins(signer, meta, files)
        return dict(sorted(meta.items()))
    keyid = signer.key.public_key.keyid
    succinct = SuccinctRoles([keyid], 1, 4 * length, BIN_PREFIX)
    bins: dict[str, dict[str, FileInfo]] = {name: {} for name in succinct.get_roles()}
    listed = list(bins.values())
    for path, info in targets.items():
        listed[bin_number(path, succinct.bit_length)][path] = info
    meta = {
        f"{name}.json": signer.sign_role(name, listed, None, files) for name, listed in bins.items()
    }
    delegations = Delegations({keyid: signer.key.public_key}, succinct_roles=succinct)
    meta["targets.json"] = signer.sign_role("targets", {}, delegations, files)
    _retire_old_bins(signer, meta, files)
    return dict(sorted(meta.items()))


def _retire_old_bins(signer: _Signer, meta: dict[str, MetaFile], files: Output) -> None:
    """A role a snapshot listed stays listed (clients treat a missing one as a rollback), so bins
    left over when the bin count changes are published empty and no longer delegated to."""
    for name in signer.previous.roles:
        if f"{name}.json" not in meta:
            meta[f"{name}.json"] = signer.sign_role(name, {}, None, files)


@dataclass(frozen=True, slots=True)
class _Signer:
    """Signs each role, or keeps the previous file when nothing in it changed."""

    key: Signer
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
    ) -> MetaFile:
        period = self.policy.targets_expires
        content = targets_content(targets, delegation_text(delegations))
        old = self.previous.roles.get(name)
        if old is not None and old.brief.content == content and self._keeps(old.brief, period):
            files[f"{METADATA_DIR}/{old.brief.version}.{name}.json"] = old.data
            self.memo.record(old.data, old.brief)
            return _info(old.brief.version, old.data)
        version = self._next_version(name, None if old is None else old.brief.version)
        expires = self.now + period
        listed = {
            path: TargetFile(info.length, {"sha256": info.sha256}, path)
            for path, info in targets.items()
        }
        signed = Targets(version, None, expires, listed, delegations)
        data = sign_metadata(signed, [self.key])
        self.memo.record(data, RoleBrief(version, expires, self._keyids, content))
        files[f"{METADATA_DIR}/{version}.{name}.json"] = data
        return _info(version, data)

    def sign_snapshot(self, meta: Mapping[str, MetaFile], files: Output) -> MetaFile:
        old = self.previous.snapshot
        content = self._reuse(old, self.policy.snapshot_expires)
        if content is not None and old is not None and _same(old, meta):
            version = old.metadata.signed.version
        else:
            old_version = None if old is None else old.metadata.signed.version
            version = self._next_version("snapshot", old_version)
            expires = self.now + self.policy.snapshot_expires
            content = sign_metadata(Snapshot(version, None, expires, dict(meta)), [self.key])
        files[f"{METADATA_DIR}/{version}.snapshot.json"] = content
        return _info(version, content)

    def sign_timestamp(self, snapshot: MetaFile) -> bytes:
        old = self.previous.timestamp
        content = self._reuse(old, self.policy.timestamp_expires)
        if content is not None and old is not None and _same(old, snapshot):
            return content
        version = (old.metadata.signed.version if old else 0) + 1
        expires = self.now + self.policy.timestamp_expires
        return sign_metadata(Timestamp(version, None, expires, snapshot), [self.key])

    def _reuse(self, old: Old | OldTimestamp | None, period: timedelta) -> bytes | None:
        """The previous bytes if :meth:`_keeps` allows keeping them (content aside)."""
        if old is None:
            return None
        signed = old.metadata.signed
        brief = RoleBrief(signed.version, signed.expires, frozenset(old.metadata.signatures), "")
        return old.data if self._keeps(brief, period) else None

    def _keeps(self, old: RoleBrief, period: timedelta) -> bool:
        """Whether a previous file may be kept: this key signed it and it is not yet past half
        its validity."""
        return self.key.public_key.keyid in old.keyids and old.expires - self.now >= period / 2

    @property
    def _keyids(self) -> frozenset[str]:
        return frozenset({self.key.public_key.keyid})

    def _next_version(self, name: str, old: int | None) -> int:
        return max(self.seen.get(name, 0), old or 0) + 1


def _info(version: int, content: bytes) -> MetaFile:
    return MetaFile(version, len(content), {"sha256": hashlib.sha256(content).hexdigest()})


def _same(old: Old | OldTimestamp, content: Mapping[str, MetaFile] | MetaFile) -> bool:
    """Whether a previous snapshot lists the same files, or a timestamp the same snapshot."""
    signed = old.metadata.signed
    if isinstance(signed, Snapshot):
        return signed.meta == content
    return signed.snapshot_meta == content
