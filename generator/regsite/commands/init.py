"""``regsite init``: start a new registry source directory with its root key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomlkit

from regsite.commands.sign import sign_file
from regsite.commands.trust import write_next_root
from regsite.errors import SourceEditError
from regsite.keys import (
    PrivateKey,
    PublicKey,
    generate_private_key,
    load_private_key,
    write_private_key,
)
from regsite.load import PACKAGES_DIR
from regsite.sources import SourceTree, write_atomically

__all__ = ["InitResult", "init_registry"]


@dataclass(frozen=True, slots=True)
class InitResult:
    registry_file: Path
    root_key: PublicKey
    created_key: Path | None  # set when a new root key file was written
    online_key: PublicKey | None = None  # set when the registry signs its published metadata
    created_online_key: Path | None = None


def init_registry(
    directory: Path,
    *,
    name: str,
    title: str,
    root_key: str,
    description: str | None = None,
    base_url: str | None = None,
    install: str | None = None,
    online_key: str | None = None,
    now: datetime | None = None,
) -> InitResult:
    """Create ``registry.toml`` (signed) and ``packages/``; create the root key if it is missing.

    Everything is checked before anything is written, so a refused ``init`` leaves no key behind.
    """
    tree = SourceTree(directory)
    if tree.registry_path.exists():
        raise SourceEditError(f"{tree.registry_path}: already exists")
    key, created = _key(root_key)
    online, created_online = _key(online_key) if online_key is not None else (None, None)
    identity = {"name": name, "title": title, "description": description}
    identity |= {"base-url": base_url, "install": install}
    content = _registry_document(identity, key.public, online.public if online else None)
    tree.check_registry(content)
    for path, new_key in ((created, key), (created_online, online)):
        if path is not None and new_key is not None:
            write_private_key(path, new_key)
    (directory / PACKAGES_DIR).mkdir(parents=True, exist_ok=True)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# Never commit private keys.\n*.key\n", encoding="utf-8")
    write_atomically(tree.registry_path, content)
    sign_file(tree.registry_path, key)
    if online is not None:
        write_next_root(tree, [key], now or datetime.now(UTC))
    return InitResult(
        registry_file=tree.registry_path,
        root_key=key.public,
        created_key=created,
        online_key=online.public if online else None,
        created_online_key=created_online,
    )


def _key(reference: str) -> tuple[PrivateKey, Path | None]:
    """The key a reference names, or a new one to be written there (with its path)."""
    if reference.startswith("env:") or Path(reference).exists():
        return load_private_key(reference), None
    return generate_private_key(), Path(reference)


def _registry_document(
    identity: dict[str, str | None], root: PublicKey, online: PublicKey | None
) -> bytes:
    document = tomlkit.document()
    document.add(tomlkit.comment("regsite registry source, format 1 (see docs/format.md)."))
    document.add(tomlkit.comment("Edit by hand or with regsite commands, then sign again."))
    document["format"] = 1
    table = tomlkit.table()
    for field, value in identity.items():
        if value is not None:
            table[field] = value
    document["registry"] = table
    trust = tomlkit.table()
    trust["root-keys"] = [str(root)]
    trust["root-threshold"] = 1
    if online is not None:
        trust["online-keys"] = [str(online)]
    document["trust"] = trust
    document["owners"] = tomlkit.table(is_super_table=True)
    document["packages"] = tomlkit.table()
    return tomlkit.dumps(document).encode("utf-8")
