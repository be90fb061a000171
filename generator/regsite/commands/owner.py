"""``regsite owner add``, ``add-key`` and ``revoke-key``: an owner and their keys in
registry.toml (the key edits themselves are in :mod:`regsite.commands.trust`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit

from regsite.atomic_write import write_atomically
from regsite.commands.sign import EditOptions, SourceEdit, signed_edit, signing_keys
from regsite.commands.trust import add_owner_key, drop_signatures_by, revoke_owner_key
from regsite.errors import SourceEditError
from regsite.keys import parse_public_key
from regsite.sources import SourceTree

__all__ = [
    "KeyRevoked",
    "OwnerAddOptions",
    "OwnerKeyOptions",
    "add_owner",
    "owner_add",
    "owner_add_key",
    "owner_revoke_key",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnerAddOptions:
    edit: EditOptions
    owner_id: str  # e.g. ada
    name: str  # shown on the site
    keys: tuple[str, ...]  # ed25519:... public keys
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OwnerKeyOptions:
    edit: EditOptions
    owner: str
    key: str  # ed25519:... public key


@dataclass(frozen=True, slots=True)
class KeyRevoked:
    edit: SourceEdit
    unsigned: tuple[Path, ...]  # .sig files the revoked key's signatures were removed from


def owner_add(options: OwnerAddOptions) -> SourceEdit:
    """Declare an owner in registry.toml and sign it with the ``--sign`` keys that may."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    changed = add_owner(
        tree, options.owner_id, name=options.name, keys=list(options.keys), url=options.url
    )
    return signed_edit(tree, keys, changed)


def owner_add_key(options: OwnerKeyOptions) -> SourceEdit:
    """Give an owner a new key, the first half of a rotation."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    return signed_edit(tree, keys, add_owner_key(tree, options.owner, options.key))


def owner_revoke_key(options: OwnerKeyOptions) -> KeyRevoked:
    """Revoke an owner's key and remove its signatures from every package.toml.sig."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    edit = signed_edit(tree, keys, revoke_owner_key(tree, options.owner, options.key))
    return KeyRevoked(edit=edit, unsigned=tuple(drop_signatures_by(tree, options.key)))


def add_owner(
    tree: SourceTree, owner_id: str, *, name: str, keys: list[str], url: str | None = None
) -> list[Path]:
    """Add ``[owners.<id>]``; return the files changed (they must be signed again)."""
    for text in keys:
        try:
            parse_public_key(text)
        except ValueError as exc:
            raise SourceEditError(f"--key {text!r}: {exc}") from exc
    document = tree.read(tree.registry_path)
    owners = document.setdefault("owners", tomlkit.table(is_super_table=True))
    if owner_id in owners:
        raise SourceEditError(f"{tree.registry_path}: owner {owner_id!r} already exists")
    table = tomlkit.table()
    table["name"] = name
    if url is not None:
        table["url"] = url
    table["keys"] = keys
    owners[owner_id] = table
    content = tomlkit.dumps(document).encode("utf-8")
    tree.check_registry(content)
    write_atomically(tree.registry_path, content)
    return [tree.registry_path]
