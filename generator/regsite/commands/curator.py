"""``regsite curator add``, ``add-key`` and ``revoke-key``: curators, their keys and the packages
they may amend, in registry.toml's ``[curators]`` (signed by the root keys; docs/curation.md).
Revocation is as for owners: the key goes to ``[trust] revoked-keys`` and its signatures leave
every amendments file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.items import InlineTable, Table

from regsite.amendment_file import AMENDMENTS_DIR, AMENDMENTS_FILE
from regsite.atomic_write import write_atomically
from regsite.commands.owner import KeyRevoked
from regsite.commands.sign import EditOptions, SourceEdit, signed_edit, signing_keys
from regsite.commands.trust import drop_signatures_by, revoke_holder_key
from regsite.errors import SourceEditError
from regsite.keys import parse_public_key
from regsite.sources import SourceTree

__all__ = [
    "CuratorAddOptions",
    "CuratorKeyOptions",
    "curator_add",
    "curator_add_key",
    "curator_revoke_key",
]


_AMENDMENT_SIGNATURES = f"{AMENDMENTS_DIR}/*/{AMENDMENTS_FILE}.sig"


@dataclass(frozen=True, slots=True, kw_only=True)
class CuratorAddOptions:
    edit: EditOptions  # a root key signs registry.toml
    curator_id: str
    name: str
    keys: tuple[str, ...]  # ed25519:... public keys, none an owner's
    packages: tuple[str, ...]  # names, or prefixes ending in '*'
    url: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CuratorKeyOptions:
    edit: EditOptions
    curator: str
    key: str  # ed25519:... public key


def curator_add(options: CuratorAddOptions) -> SourceEdit:
    """Declare a curator in registry.toml; sign it with the ``--sign`` keys that may."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    document = tree.read(tree.registry_path)
    curators = document.setdefault("curators", tomlkit.table(is_super_table=True))
    if options.curator_id in curators:
        raise SourceEditError(f"{tree.registry_path}: curator {options.curator_id!r} exists")
    table = tomlkit.table()
    table["name"] = options.name
    if options.url is not None:
        table["url"] = options.url
    table["keys"] = [str(_public(text)) for text in options.keys]
    table["packages"] = list(options.packages)
    curators[options.curator_id] = table
    return signed_edit(tree, keys, _save(tree, document))


def curator_add_key(options: CuratorKeyOptions) -> SourceEdit:
    """Give a curator a new key, the first half of a rotation."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    document = tree.read(tree.registry_path)
    table = _curator(document, options.curator)
    text = str(_public(options.key))
    if text in [str(item) for item in table["keys"]]:
        raise SourceEditError(f"curator {options.curator!r} already has key {text}")
    table["keys"].append(text)
    return signed_edit(tree, keys, _save(tree, document))


def curator_revoke_key(options: CuratorKeyOptions) -> KeyRevoked:
    """Remove a curator's key, list it in [trust] revoked-keys, and remove its signatures from
    every amendments file: an amendments file it alone signed then fails to build until another
    curator in scope signs it."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    document = tree.read(tree.registry_path)
    text = str(_public(options.key))
    table = _curator(document, options.curator)
    revoke_holder_key(document, "curator", options.curator, table, text)
    edit = signed_edit(tree, keys, _save(tree, document))
    return KeyRevoked(
        edit=edit,
        unsigned=tuple(drop_signatures_by(tree, text, _AMENDMENT_SIGNATURES)),
    )


def _public(text: str) -> object:
    try:
        return parse_public_key(text)
    except ValueError as exc:
        raise SourceEditError(f"key {text!r}: {exc}") from exc


def _curator(document: tomlkit.TOMLDocument, curator: str) -> Table | InlineTable:
    curators = document.get("curators")
    table = curators.get(curator) if isinstance(curators, Table) else None
    if not isinstance(table, Table | InlineTable):
        raise SourceEditError(f"registry.toml has no curator {curator!r} in [curators]")
    return table


def _save(tree: SourceTree, document: tomlkit.TOMLDocument) -> list[Path]:
    content = tomlkit.dumps(document).encode("utf-8")
    tree.check_registry(content)
    write_atomically(tree.registry_path, content)
    return [tree.registry_path]
