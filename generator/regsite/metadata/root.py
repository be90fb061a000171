"""Root metadata: made from registry.toml's [trust], signed offline, kept in the source.

``metadata/N.root.json`` in the source is signed by the root keys; each new version is signed by
a threshold of the previous version's root keys and of its own, so clients can follow a rotation
one version at a time.  The build republishes every version byte for byte.  python-tuf's
``Root`` is the model; the checks here count distinct keys and name the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tuf.api.metadata import Metadata, Role, Root

from regsite.keys import PrivateKey, PublicKey
from regsite.metadata.envelope import (
    MetadataError,
    duplicate_keys,
    key_id,
    online_signer,
    public_key,
    read_metadata,
    sign_metadata,
    tuf_key,
    verify_role,
)
from regsite.model import Registry

__all__ = [
    "ONLINE_ROLES",
    "make_root",
    "next_root",
    "read_trusted_root",
    "role_keys",
    "root_file_name",
    "root_problems",
    "sign_root",
    "verify_root_history",
]

ONLINE_ROLES = ("targets", "snapshot", "timestamp")


def root_file_name(version: int) -> str:
    return f"{version}.root.json"


def make_root(registry: Registry, version: int, expires: datetime) -> Root:
    """The root that registry.toml's [trust] describes: root keys, and the online keys for the
    targets, snapshot and timestamp roles."""
    keys = {key_id(key): tuf_key(key) for key in (*registry.root_keys, *registry.online_keys)}
    online = sorted(key_id(key) for key in registry.online_keys)
    roles = {"root": Role(sorted(key_id(k) for k in registry.root_keys), registry.root_threshold)}
    roles.update({name: Role(list(online), 1) for name in ONLINE_ROLES})
    return Root(
        version=version,
        expires=expires,
        keys=dict(sorted(keys.items())),
        roles=roles,
        consistent_snapshot=True,
    )


def sign_root(root: Root, keys: Sequence[PrivateKey]) -> bytes:
    return sign_metadata(root, [online_signer(key) for key in keys])


def role_keys(root: Root, role: str) -> frozenset[PublicKey]:
    """The distinct public keys ``root`` names for ``role``."""
    keys = (public_key(root.keys[k]) for k in root.roles[role].keyids if k in root.keys)
    return frozenset(key for key in keys if key is not None)


def read_trusted_root(data: bytes, file: str) -> Root:
    """A root the user pins: it must at least be signed by its own root threshold."""
    metadata = _read_root(data, file)
    verify_role(metadata, metadata.signed, "root", file)
    return metadata.signed


def next_root(trusted: Root, data: bytes, file: str) -> Root:
    """Accept version N+1 only if a threshold of version N's root keys and of its own signed it."""
    metadata = _read_root(data, file)
    verify_role(metadata, trusted, "root", file, f"previous ({trusted.version}) root")
    verify_role(metadata, metadata.signed, "root", file)
    if metadata.signed.version != trusted.version + 1:
        raise MetadataError(
            f"{file}: version {metadata.signed.version}; expected {trusted.version + 1}"
            " (one at a time)"
        )
    return metadata.signed


def verify_root_history(history: Sequence[bytes], directory: str = "metadata") -> list[Root]:
    """Check 1.root.json is self-signed and every later version follows from the one before."""
    if not history:
        return []
    first = read_trusted_root(history[0], f"{directory}/{root_file_name(1)}")
    if first.version != 1:
        raise MetadataError(f"{directory}/{root_file_name(1)}: version {first.version}; expected 1")
    roots = [first]
    for index, data in enumerate(history[1:], start=2):
        roots.append(next_root(roots[-1], data, f"{directory}/{root_file_name(index)}"))
    return roots


def root_problems(root: Root, registry: Registry) -> list[tuple[str, str]]:
    """Where the newest root disagrees with registry.toml's [trust]: (key, problem) pairs."""
    problems = []
    if role_keys(root, "root") != frozenset(registry.root_keys):
        problems.append(("trust.root-keys", "differ from the root keys of the newest root"))
    if root.roles["root"].threshold != registry.root_threshold:
        problems.append(("trust.root-threshold", "differs from the newest root's threshold"))
    online = frozenset(registry.online_keys)
    for role in ONLINE_ROLES:
        if role_keys(root, role) != online or root.roles[role].threshold != 1:
            problems.append(("trust.online-keys", f"differ from the newest root's {role} keys"))
            break
    return problems


def _read_root(data: bytes, file: str) -> Metadata[Root]:
    metadata = read_metadata(data, Root, file)
    root = metadata.signed
    if not root.consistent_snapshot:
        raise MetadataError(f"{file}: consistent_snapshot must be true")
    if duplicates := duplicate_keys(root.keys):
        raise MetadataError(
            f"{file}: signed.keys.{duplicates[0]:.16}…: lists a public key that another key id"
            " lists already; a threshold could then be met by one key"
        )
    return metadata
