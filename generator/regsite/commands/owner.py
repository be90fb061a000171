"""``regsite owner add``: declare an owner and their public keys in registry.toml."""

from __future__ import annotations

from pathlib import Path

import tomlkit

from regsite.errors import SourceEditError
from regsite.keys import parse_public_key
from regsite.sources import SourceTree, write_atomically

__all__ = ["add_owner"]


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
