"""Key lifecycle: root metadata versions, root and online key rotation, owner key revocation.

Every change to registry.toml's [trust] is followed by a new ``metadata/N.root.json`` that a
threshold of the old root keys and of the new ones sign; ``regsite build`` refuses a source whose
newest root does not match [trust] (docs/security.md, "Key lifecycle").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomlkit
from tomlkit.items import Array
from tuf.api.metadata import Metadata, Root

from regsite.advisories.model import ADVISORIES_DIR
from regsite.atomic_write import write_atomically
from regsite.build import source_date_epoch
from regsite.commands.sign import EditOptions, SourceEdit, signed_edit, signing_keys
from regsite.errors import ErrorReport, SourceEditError
from regsite.keys import PrivateKey, PublicKey, parse_public_key
from regsite.load import PACKAGE_FILE, PACKAGES_DIR, ROOT_METADATA_DIR, load_root_history
from regsite.metadata.envelope import (
    COMPACT,
    MetadataError,
    online_signer,
    read_metadata,
    verify_role,
)
from regsite.metadata.root import (
    make_root,
    role_keys,
    root_file_name,
    sign_root,
    verify_root_history,
)
from regsite.signatures import dump_signature_file, parse_signature_file
from regsite.sources import SourceTree

__all__ = [
    "OnlineKeyOptions",
    "RootKeysOptions",
    "RootStatus",
    "TrustChanged",
    "add_owner_key",
    "change_root_keys",
    "drop_signatures_by",
    "revoke_owner_key",
    "root_signed_advisories",
    "root_signing_refusal",
    "root_status",
    "set_online_keys",
    "sign_root_file",
    "signing_time",
    "trust_online_key",
    "trust_root_keys",
    "write_next_root",
]


@dataclass(frozen=True, slots=True)
class RootStatus:
    """Whether a root file has the signatures a client needs to accept it."""

    path: Path
    version: int
    missing: tuple[str, ...]  # e.g. "1 more of the previous root keys (2 required)"

    @property
    def complete(self) -> bool:
        return not self.missing


def _history(tree: SourceTree) -> tuple[bytes, ...]:
    report = ErrorReport()
    history = load_root_history(tree.root, report, tree.limits)
    for problem in report:
        raise SourceEditError(str(problem))
    return history


def write_next_root(tree: SourceTree, keys: Sequence[PrivateKey], now: datetime) -> RootStatus:
    """Write ``metadata/N+1.root.json`` from registry.toml's [trust], signed by the given keys
    that are root keys of the previous version or of the new one."""
    registry = tree.registry()
    if not registry.online_keys:
        raise SourceEditError(
            f"{tree.registry_path}: [trust] online-keys is empty; add the key that signs the"
            " published metadata first: regsite trust online-key PUBLIC_KEY"
        )
    history = _history(tree)
    try:
        roots = verify_root_history(history)
    except MetadataError as exc:
        raise SourceEditError(f"the existing root history does not verify: {exc}") from exc
    root = make_root(registry, len(history) + 1, now + registry.policy.root_expires)
    allowed = set(registry.root_keys)
    if roots:
        allowed |= role_keys(roots[-1], "root")
    signers = [key for key in keys if key.public in allowed]
    directory = tree.root / ROOT_METADATA_DIR
    directory.mkdir(exist_ok=True)
    path = directory / root_file_name(root.version)
    write_atomically(path, sign_root(root, signers))
    return root_status(tree, path)


def sign_root_file(tree: SourceTree, path: Path, key: PrivateKey) -> RootStatus:
    """Add ``key``'s signature to a root file, for keys held by different people."""
    if (refusal := root_signing_refusal(tree, path, key.public)) is not None:
        raise SourceEditError(refusal)
    metadata = _read_root(path)
    metadata.sign(online_signer(key), append=True)  # replaces this key's old signature
    metadata.signatures = dict(sorted(metadata.signatures.items()))
    write_atomically(path, metadata.to_bytes(COMPACT))
    return root_status(tree, path)


def root_signing_refusal(tree: SourceTree, path: Path, key: PublicKey) -> str | None:
    """Why ``key`` may not sign the root file at ``path``; None when it is a root key of this
    version or the last."""
    root = _read_root(path).signed
    previous = _previous_root(tree, root.version)
    allowed = role_keys(root, "root")
    if previous is not None:
        allowed |= role_keys(previous, "root")
    if key not in allowed:
        return f"{path}: {key} is not a root key of this or the last version"
    return None


def root_status(tree: SourceTree, path: Path) -> RootStatus:
    """Which thresholds a root file meets: its own root keys', and the previous version's."""
    metadata = _read_root(path)
    root = metadata.signed
    checks = [(root, "new")]
    if (previous := _previous_root(tree, root.version)) is not None:
        checks.append((previous, "previous"))
    missing = []
    for trusted, which in checks:
        try:
            verify_role(metadata, trusted, "root", str(path), f"{which} root")
        except MetadataError:
            missing.append(
                f"a threshold of the {which} root keys ({trusted.roles['root'].threshold})"
            )
    return RootStatus(path=path, version=root.version, missing=tuple(missing))


def _previous_root(tree: SourceTree, version: int) -> Root | None:
    if version == 1:
        return None
    history = _history(tree)[: version - 1]
    try:
        roots = verify_root_history(history)
    except MetadataError as exc:
        raise SourceEditError(f"the existing root history does not verify: {exc}") from exc
    return roots[-1] if len(roots) == version - 1 else None


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SourceEditError(f"{path}: cannot read: {exc.strerror}") from exc


def _read_root(path: Path) -> Metadata[Root]:
    try:
        return read_metadata(_read(path), Root, str(path))
    except MetadataError as exc:
        raise SourceEditError(str(exc)) from exc


# registry.toml [trust] edits ------------------------------------------------------------------


def _public(text: str, option: str) -> PublicKey:
    try:
        return parse_public_key(text)
    except ValueError as exc:
        raise SourceEditError(f"{option} {text!r}: {exc}") from exc


def _save(tree: SourceTree, document: tomlkit.TOMLDocument) -> list[Path]:
    content = tomlkit.dumps(document).encode("utf-8")
    tree.check_registry(content)
    write_atomically(tree.registry_path, content)
    return [tree.registry_path]


def _trust(document: tomlkit.TOMLDocument) -> tomlkit.items.Table:
    trust = document.get("trust")
    if not isinstance(trust, tomlkit.items.Table):
        raise SourceEditError("registry.toml has no [trust] table")
    return trust


def _array(values: Sequence[str]) -> Array:
    array = tomlkit.array()
    array.extend(values)
    return array


def set_online_keys(tree: SourceTree, keys: Sequence[str]) -> list[Path]:
    """Replace [trust] online-keys (online key rotation)."""
    parsed = [str(_public(text, "online key")) for text in keys]
    document = tree.read(tree.registry_path)
    _trust(document)["online-keys"] = _array(parsed)
    return _save(tree, document)


def change_root_keys(
    tree: SourceTree, add: Sequence[str], remove: Sequence[str], threshold: int | None
) -> list[Path]:
    """Add and remove [trust] root-keys and set root-threshold (root key rotation).

    The advisories the root keys signed are changed too: a removed key's signatures are dropped
    from them, and they are returned with registry.toml for the new root keys to sign."""
    document = tree.read(tree.registry_path)
    trust = _trust(document)
    before = [str(parse_public_key(str(text))) for text in trust.get("root-keys", [])]
    current = list(before)
    for text in remove:
        key = str(_public(text, "--remove"))
        if key not in current:
            raise SourceEditError(f"--remove {text}: not one of the root keys")
        current.remove(key)
    current += [k for k in (str(_public(t, "--add")) for t in add) if k not in current]
    trust["root-keys"] = _array(current)
    if threshold is not None:
        trust["root-threshold"] = threshold
    elif trust.get("root-threshold", 1) > len(current):
        trust["root-threshold"] = len(current)
    removed = frozenset(parse_public_key(key) for key in before if key not in current)
    roots = {parse_public_key(key) for key in before}
    return [*_save(tree, document), *root_signed_advisories(tree, roots, removed)]


def root_signed_advisories(
    tree: SourceTree, roots: set[PublicKey], removed: frozenset[PublicKey] = frozenset()
) -> list[Path]:
    """The advisories signed by one of ``roots``, with the ``removed`` keys' signatures dropped:
    what the root keys sign besides registry.toml."""
    found = []
    for signature_path in sorted(tree.root.glob(f"{ADVISORIES_DIR}/*.json.sig")):
        signatures, problems = parse_signature_file(signature_path.read_bytes())
        if problems or not any(entry.key in roots for entry in signatures):
            continue
        kept = tuple(entry for entry in signatures if entry.key not in removed)
        if len(kept) < len(signatures):
            write_atomically(signature_path, dump_signature_file(kept))
        found.append(signature_path.with_suffix(""))
    return found


def add_owner_key(tree: SourceTree, owner: str, key: str) -> list[Path]:
    """Give an owner a new key (the first half of an owner key rotation)."""
    document = tree.read(tree.registry_path)
    table = _owner(document, owner)
    text = str(_public(key, "key"))
    if text in [str(item) for item in table["keys"]]:
        raise SourceEditError(f"owner {owner!r} already has key {text}")
    table["keys"].append(text)
    return _save(tree, document)


def revoke_owner_key(tree: SourceTree, owner: str, key: str) -> list[Path]:
    """Remove an owner's key and list it in [trust] revoked-keys, so it never signs again."""
    document = tree.read(tree.registry_path)
    revoke_holder_key(document, "owner", owner, _owner(document, owner), str(_public(key, "key")))
    return _save(tree, document)


def revoke_holder_key(
    document: tomlkit.TOMLDocument,
    kind: str,
    holder: str,
    table: tomlkit.items.Table | tomlkit.items.InlineTable,
    key: str,
) -> None:
    """Remove ``key`` from a key holder's table (an ``owner`` or a ``curator``) and list it in
    [trust] revoked-keys; a holder keeps at least one key."""
    keys = [str(item) for item in table["keys"]]
    if key not in keys:
        raise SourceEditError(f"{kind} {holder!r} has no key {key}")
    if len(keys) == 1:
        raise SourceEditError(
            f"{key} is {kind} {holder!r}'s only key; add the new key first"
            f" (regsite {kind} add-key {holder} NEW_KEY)"
        )
    table["keys"] = _array([item for item in keys if item != key])
    trust = _trust(document)
    revoked = [str(item) for item in trust.get("revoked-keys", [])]
    trust["revoked-keys"] = _array([*revoked, key])


def drop_signatures_by(
    tree: SourceTree, key: str, pattern: str = f"{PACKAGES_DIR}/*/{PACKAGE_FILE}.sig"
) -> list[Path]:
    """Remove a revoked key's entries from every signature file ``pattern`` matches (each
    package.toml.sig unless told otherwise); the other signers' signatures stay valid, since a
    signature covers only the signed file's bytes."""
    revoked = _public(key, "key")
    changed = []
    for signature_path in sorted(tree.root.glob(pattern)):
        signatures, problems = parse_signature_file(signature_path.read_bytes())
        kept = tuple(entry for entry in signatures if entry.key != revoked)
        if not problems and len(kept) < len(signatures):
            write_atomically(signature_path, dump_signature_file(kept))
            changed.append(signature_path)
    return changed


def _owner(
    document: tomlkit.TOMLDocument, owner: str
) -> tomlkit.items.Table | tomlkit.items.InlineTable:
    owners = document.get("owners")
    table = owners.get(owner) if isinstance(owners, tomlkit.items.Table) else None
    if not isinstance(table, tomlkit.items.Table | tomlkit.items.InlineTable):
        raise SourceEditError(f"registry.toml has no owner {owner!r}")
    return table


# regsite trust online-key / root-keys -----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineKeyOptions:
    edit: EditOptions  # its keys are root keys: they sign registry.toml and the new root
    keys: tuple[str, ...]  # the new online keys, ed25519:...


@dataclass(frozen=True, slots=True, kw_only=True)
class RootKeysOptions:
    edit: EditOptions  # old and new root keys: a threshold of each must sign the new root
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    threshold: int | None = None  # root keys that must sign from now on; None keeps it


@dataclass(frozen=True, slots=True)
class TrustChanged:
    """registry.toml's [trust] changed and signed, and the new root that follows it."""

    edit: SourceEdit
    root: RootStatus


def signing_time() -> datetime:
    """What a new root's expiry counts from: ``$SOURCE_DATE_EPOCH`` when set, else now."""
    epoch = source_date_epoch()
    return datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)


def trust_online_key(options: OnlineKeyOptions) -> TrustChanged:
    """Set the keys that sign the published metadata; write the next root."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    edit = signed_edit(tree, keys, set_online_keys(tree, options.keys))
    return TrustChanged(edit=edit, root=write_next_root(tree, keys, signing_time()))


def trust_root_keys(options: RootKeysOptions) -> TrustChanged:
    """Add or remove root keys, or change their threshold; write the next root."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    changed = change_root_keys(tree, options.add, options.remove, options.threshold)
    edit = signed_edit(tree, keys, changed)
    return TrustChanged(edit=edit, root=write_next_root(tree, keys, signing_time()))
