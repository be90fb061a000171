"""Root metadata: made from registry.toml's [trust], signed offline, kept in the source.

``metadata/N.root.json`` in the source is signed by the root keys; each new version is signed by
a threshold of the previous version's root keys and of its own, so clients can follow a rotation
one version at a time.  The build republishes every version byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from regsite.keys import PrivateKey, PublicKey
from regsite.metadata.envelope import SignedFile, read_signed_file, sign_metadata, verify_role
from regsite.metadata.roles import MetadataError, Role, RoleKeys, Root, key_id
from regsite.model import Registry

__all__ = [
    "ONLINE_ROLES",
    "make_root",
    "next_root",
    "read_trusted_root",
    "root_file_name",
    "root_problems",
    "sign_root",
    "verify_root_history",
]

ONLINE_ROLES = (Role.TARGETS, Role.SNAPSHOT, Role.TIMESTAMP)


def root_file_name(version: int) -> str:
    return f"{version}.root.json"


def make_root(registry: Registry, version: int, expires: datetime) -> Root:
    """The root that registry.toml's [trust] describes: root keys, and the online keys for the
    targets, snapshot and timestamp roles."""
    keys = {key_id(key): key for key in (*registry.root_keys, *registry.online_keys)}
    online = RoleKeys(tuple(key_id(key) for key in registry.online_keys), 1)
    roles = {
        Role.ROOT: RoleKeys(tuple(key_id(k) for k in registry.root_keys), registry.root_threshold)
    }
    roles.update(dict.fromkeys(ONLINE_ROLES, online))
    return Root(version=version, expires=expires, keys=dict(sorted(keys.items())), roles=roles)


def sign_root(root: Root, keys: Sequence[PrivateKey]) -> bytes:
    return sign_metadata(root, keys)


def read_trusted_root(data: bytes, file: str) -> Root:
    """A root the user pins: it must at least be signed by its own root threshold."""
    signed_file = read_signed_file(data, Role.ROOT, file)
    root = _root(signed_file)
    verify_role(signed_file, root.keys, root.roles[Role.ROOT], "root")
    return root


def next_root(trusted: Root, data: bytes, file: str) -> Root:
    """Accept version N+1 only if a threshold of version N's root keys and of its own signed it."""
    signed_file = read_signed_file(data, Role.ROOT, file)
    new = _root(signed_file)
    verify_role(
        signed_file, trusted.keys, trusted.roles[Role.ROOT], f"previous ({trusted.version}) root"
    )
    verify_role(signed_file, new.keys, new.roles[Role.ROOT], "root")
    if new.version != trusted.version + 1:
        raise MetadataError(
            f"{file}: version {new.version}; expected {trusted.version + 1} (one at a time)"
        )
    return new


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
    wanted = make_root(registry, root.version, root.expires)
    problems = []
    if _keys_of(root, Role.ROOT) != _keys_of(wanted, Role.ROOT):
        problems.append(("trust.root-keys", "differ from the root keys of the newest root"))
    if root.roles[Role.ROOT].threshold != registry.root_threshold:
        problems.append(("trust.root-threshold", "differs from the newest root's threshold"))
    for role in ONLINE_ROLES:
        if _keys_of(root, role) != _keys_of(wanted, role) or root.roles[role].threshold != 1:
            problems.append(("trust.online-keys", f"differ from the newest root's {role} keys"))
            break
    return problems


def _keys_of(root: Root, role: Role) -> frozenset[PublicKey]:
    return frozenset(root.keys[keyid] for keyid in root.roles[role].keyids if keyid in root.keys)


def _root(signed_file: SignedFile) -> Root:
    root = signed_file.signed
    assert isinstance(root, Root)  # read_signed_file checked the role
    if not root.consistent_snapshot:
        raise MetadataError(f"{signed_file.file}: consistent_snapshot must be true")
    return root
