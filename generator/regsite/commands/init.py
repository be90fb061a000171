"""``regsite init``: start a new registry source directory with its root key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomlkit

from regsite.atomic_write import write_atomically
from regsite.commands.sign import sign_file
from regsite.commands.trust import RootStatus, write_next_root
from regsite.errors import SourceEditError
from regsite.keys import (
    PrivateKey,
    PublicKey,
    generate_private_key,
    load_private_key,
    parse_public_key,
    write_private_key,
)
from regsite.load import PACKAGES_DIR
from regsite.sources import SourceTree

__all__ = ["GIT_ATTRIBUTES", "GIT_IGNORE", "InitOptions", "InitResult", "init_registry"]

GIT_IGNORE = """\
# Never commit private keys.
*.key
# The site that 'regsite build . -o _site' writes: publish it, never commit it.
/_site/
"""

# A signature covers a file's exact bytes: git's line-ending conversion (core.autocrlf) would
# break every signature in a checkout, so the signed files and what they record stay as written.
GIT_ATTRIBUTES = """\
# Signed files stay byte for byte as signed: no line-ending conversion.
*.toml -text
*.sig -text
*.md -text
metadata/*.json -text
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class InitOptions:
    """``root_key`` and ``online_key`` are private key files (created when missing),
    ``env:VARIABLE`` or public keys ``ed25519:…``."""

    directory: Path
    name: str  # registry identifier, e.g. orchard
    title: str
    root_key: str
    description: str | None = None
    base_url: str | None = None
    install: str | None = None  # e.g. 'tool add {name}@{version}'
    online_key: str | None = None  # with it, metadata/1.root.json is written too


@dataclass(frozen=True, slots=True)
class InitResult:
    registry_file: Path
    root_key: PublicKey
    created_key: Path | None  # set when a new root key file was written
    online_key: PublicKey | None = None  # set when the registry signs its published metadata
    created_online_key: Path | None = None
    signed: bool = True  # False when only the root's public key was given
    root_file: RootStatus | None = None  # metadata/1.root.json, written with an online key


@dataclass(frozen=True, slots=True)
class _Key:
    """A key named on the command line: its public half, and the private one when given."""

    public: PublicKey
    private: PrivateKey | None  # None when the option named a public key
    create: Path | None = None  # a new key file to write


def init_registry(options: InitOptions, now: datetime | None = None) -> InitResult:
    """Create ``registry.toml``, ``packages/`` and the git files; create missing key files.

    With a public root key, registry.toml is written unsigned for the key's holder to sign.
    Everything is checked before anything is written, so a refused ``init`` leaves no key
    behind.
    """
    directory = options.directory
    tree = SourceTree(directory)
    if directory.exists() and not directory.is_dir():
        raise SourceEditError(f"{directory}: exists and is not a directory")
    if tree.registry_path.exists():
        raise SourceEditError(f"{tree.registry_path}: already exists")
    root = _key("--root-key", options.root_key, directory)
    online = None
    if options.online_key is not None:
        online = _key("--online-key", options.online_key, directory)
    identity = {"name": options.name, "title": options.title, "description": options.description}
    identity |= {"base-url": options.base_url, "install": options.install}
    content = _registry_document(identity, root.public, online.public if online else None)
    tree.check_registry(content)
    for key in (root, online):
        if key is not None and key.create is not None and key.private is not None:
            write_private_key(key.create, key.private)
    _write_skeleton(directory)
    write_atomically(tree.registry_path, content)
    status = _sign(tree, root.private, online is not None, now or datetime.now(UTC))
    return InitResult(
        registry_file=tree.registry_path,
        root_key=root.public,
        created_key=root.create,
        online_key=online.public if online else None,
        created_online_key=online.create if online else None,
        signed=root.private is not None,
        root_file=status,
    )


def _sign(
    tree: SourceTree, root: PrivateKey | None, metadata: bool, now: datetime
) -> RootStatus | None:
    """Sign registry.toml with the root key when we hold it; write the first root metadata
    (signed by that key, or left for its holder) when the registry signs its metadata."""
    signers = [root] if root is not None else []
    for signer in signers:
        sign_file(tree.registry_path, signer)
    return write_next_root(tree, signers, now) if metadata else None


def _key(option: str, reference: str, directory: Path) -> _Key:
    """The key a reference names: a public key, an existing private key, or a new key file."""
    if reference.startswith("ed25519:"):
        try:
            return _Key(public=parse_public_key(reference), private=None)
        except ValueError as exc:
            raise SourceEditError(f"{option} {reference[:24]!r}: {exc}") from exc
    if reference.startswith("env:") or Path(reference).exists():
        private = load_private_key(reference)
        return _Key(public=private.public, private=private)
    path = Path(reference)
    if path.suffix != ".key" and path.absolute().is_relative_to(directory.absolute()):
        raise SourceEditError(
            f"{option} {reference}: a new key file inside the registry must end in .key, so that"
            " the .gitignore init writes keeps it out of git; better, keep keys outside it"
        )
    private = generate_private_key()
    return _Key(public=private.public, private=private, create=path)


def _write_skeleton(directory: Path) -> None:
    """``packages/``, and the git files that keep keys out and signed bytes exact."""
    (directory / PACKAGES_DIR).mkdir(parents=True, exist_ok=True)
    for name, text in ((".gitignore", GIT_IGNORE), (".gitattributes", GIT_ATTRIBUTES)):
        path = directory / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")


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
