"""The TUF client workflow's checks that compare one file with another (spec 5.3 to 5.6):
pinned length and hash, snapshot rollback, and a rotation of the online keys."""

from __future__ import annotations

import hashlib

from regsite.keys import PublicKey
from regsite.metadata.roles import MetadataError, MetaInfo, Role, Root, Snapshot

__all__ = ["check_pinned", "check_snapshot_rollback", "online_keys_rotated"]


def check_pinned(data: bytes, meta: MetaInfo, url: str, lister: str) -> None:
    """The file's bytes are the ones ``lister`` (the timestamp or snapshot URL) pins."""
    if meta.length is not None and len(data) != meta.length:
        raise MetadataError(f"{url}: {len(data)} bytes; {lister} lists {meta.length}")
    if meta.sha256 is not None and (found := hashlib.sha256(data).hexdigest()) != meta.sha256:
        raise MetadataError(f"{url}: sha256 {found}; {lister} lists {meta.sha256}")


def check_snapshot_rollback(trusted: Snapshot, new: Snapshot, url: str) -> None:
    """Spec 5.5.5: no version goes down, and no role the trusted snapshot lists disappears."""
    if new.version < trusted.version:
        raise MetadataError(
            f"{url}: version {new.version} is older than the trusted version {trusted.version}"
            " (rollback)"
        )
    for name, info in trusted.meta.items():
        listed = new.meta.get(name)
        if listed is None:
            raise MetadataError(
                f"{url}: no longer lists {name}, which the trusted snapshot version"
                f" {trusted.version} lists (rollback)"
            )
        if listed.version < info.version:
            raise MetadataError(
                f"{url}: lists {name} version {listed.version}, older than the trusted version"
                f" {info.version} (rollback)"
            )


def online_keys_rotated(old: Root, new: Root) -> bool:
    """Whether the timestamp or snapshot role's keys or threshold changed (spec 5.3.11)."""

    def signers(root: Root, role: Role) -> tuple[frozenset[PublicKey], int]:
        keys = root.roles[role]
        return frozenset(root.keys[k] for k in keys.keyids if k in root.keys), keys.threshold

    roles = (Role.TIMESTAMP, Role.SNAPSHOT)
    return any(signers(old, role) != signers(new, role) for role in roles)
