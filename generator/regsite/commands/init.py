"""``regsite init``: start a new registry source directory with its root key."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tomlkit

from regsite.commands.sign import sign_file
from regsite.errors import SourceEditError
from regsite.keys import PublicKey, generate_private_key, load_private_key, write_private_key
from regsite.load import PACKAGES_DIR, REGISTRY_FILE
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
    """Create ``registry.toml`` (signed) and ``packages/``; create the root key if it is missing."""
    if (directory / REGISTRY_FILE).exists():
        raise SourceEditError(f"{directory / REGISTRY_FILE}: already exists")
    created = None
    if root_key.startswith("env:") or Path(root_key).exists():
        key = load_private_key(root_key)
    else:
        key = generate_private_key()
        created = Path(root_key)
        write_private_key(created, key)
    document = tomlkit.document()
    document.add(tomlkit.comment("regsite registry source, format 1 (see docs/format.md)."))
    document.add(tomlkit.comment("Edit by hand or with regsite commands, then sign again."))
    document["format"] = 1
    identity = tomlkit.table()
    identity["name"] = name
    identity["title"] = title
    for field, value in (
        ("description", description),
        ("base-url", base_url),
        ("install", install),
    ):
        if value is not None:
            identity[field] = value
    document["registry"] = identity
    trust = tomlkit.table()
    trust["root-keys"] = [str(key.public)]
    trust["root-threshold"] = 1
    document["trust"] = trust
    document["owners"] = tomlkit.table(is_super_table=True)
    document["packages"] = tomlkit.table()
    content = tomlkit.dumps(document).encode("utf-8")
    tree = SourceTree(directory)
    tree.check_registry(content)
    (directory / PACKAGES_DIR).mkdir(parents=True, exist_ok=True)
    gitignore = directory / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("# Never commit private keys.\n*.key\n", encoding="utf-8")
    write_atomically(tree.registry_path, content)
    sign_file(tree.registry_path, key)
    return InitResult(registry_file=tree.registry_path, root_key=key.public, created_key=created)
