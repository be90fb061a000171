"""``regsite init``: start a new registry source directory with its root key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit

from regsite.commands.sign import sign_file
from regsite.errors import SourceEditError
from regsite.keys import PublicKey, generate_private_key, load_private_key, write_private_key
from regsite.load import PACKAGES_DIR
from regsite.sources import SourceTree, write_atomically

__all__ = ["InitResult", "init_registry"]


@dataclass(frozen=True, slots=True)
class InitResult:
    registry_file: Path
    root_key: PublicKey
    created_key: Path | None  # set when a new root key file was written


def init_registry(
    directory: Path,
    *,
    name: str,
    title: str,
    root_key: str,
    description: str | None = None,
    base_url: str | None = None,
    install: str | None = None,
) -> InitResult:
    """Create ``registry.toml`` (signed) and ``packages/``; create the root key if it is missing.

    Everything is checked before anything is written, so a refused ``init`` leaves no key behind.
    """
    tree = SourceTree(directory)
    if tree.registry_path.exists():
        raise SourceEditError(f"{tree.registry_path}: already exists")
    existing = root_key.startswith("env:") or Path(root_key).exists()
    key = load_private_key(root_key) if existing else generate_private_key()
    identity = {"name": name, "title": title, "description": description}
    identity |= {"base-url": base_url, "install": install}
    content = _registry_document(identity, key.public)
    tree.check_registry(content)
    created = None if existing else Path(root_key)
    if created is not None:
        write_private_key(created, key)
    (directory / PACKAGES_DIR).mkdir(parents=True, exist_ok=True)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# Never commit private keys.\n*.key\n", encoding="utf-8")
    write_atomically(tree.registry_path, content)
    sign_file(tree.registry_path, key)
    return InitResult(registry_file=tree.registry_path, root_key=key.public, created_key=created)


def _registry_document(identity: dict[str, str | None], root: PublicKey) -> bytes:
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
    document["trust"] = trust
    document["owners"] = tomlkit.table(is_super_table=True)
    document["packages"] = tomlkit.table()
    return tomlkit.dumps(document).encode("utf-8")
