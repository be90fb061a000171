"""``regsite sign``: add or refresh a signature in ``<file>.sig``."""

from __future__ import annotations

import contextlib
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from regsite.errors import SourceEditError
from regsite.keys import PrivateKey, PublicKey, parse_public_key
from regsite.model import Registry
from regsite.signatures import (
    FileKind,
    Signature,
    dump_signature_file,
    parse_signature_file,
    sign_bytes,
    signed_message,
)
from regsite.sources import SourceTree, write_atomically

__all__ = ["SignOutcome", "file_kind", "may_sign", "sign_edited", "sign_file"]


@dataclass(frozen=True, slots=True)
class SignOutcome:
    path: Path
    key: PublicKey
    dropped: tuple[PublicKey, ...]  # signatures removed because they no longer verified


def file_kind(path: Path) -> FileKind:
    try:
        return FileKind(path.name)
    except ValueError as exc:
        raise SourceEditError(
            f"{path}: only registry.toml and package.toml files are signed"
        ) from exc


def sign_file(path: Path, key: PrivateKey) -> SignOutcome:
    """Sign ``path``; keep the other signatures that still verify, drop the stale ones."""
    kind = file_kind(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise SourceEditError(f"{path}: cannot read: {exc.strerror}") from exc
    signature_path = path.with_name(path.name + ".sig")
    existing: tuple[Signature, ...] = ()
    if signature_path.exists():
        existing, problems = parse_signature_file(signature_path.read_bytes())
        if problems:
            where, problem = problems[0]
            raise SourceEditError(f"{signature_path}: {where}: {problem}; fix or delete it")
    revoked = _revoked_keys(path, kind)
    if key.public in revoked:
        raise SourceEditError(f"{key.public} is listed in registry.toml [trust] revoked-keys")
    message = signed_message(kind, content)
    others = [entry for entry in existing if entry.key != key.public]
    kept = tuple(
        entry
        for entry in others
        if entry.key not in revoked and entry.key.verify(message, entry.sig)
    )
    dropped = tuple(entry.key for entry in others if entry not in kept)
    signatures = (*kept, sign_bytes(key, kind, content))
    write_atomically(signature_path, dump_signature_file(signatures))
    return SignOutcome(path=path, key=key.public, dropped=dropped)


def _revoked_keys(path: Path, kind: FileKind) -> frozenset[PublicKey]:
    """[trust] revoked-keys of the registry ``path`` belongs to: their signatures are dropped."""
    registry = path.parent if kind is FileKind.REGISTRY else path.parent.parent.parent
    try:
        document = tomllib.loads((registry / "registry.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    trust = document.get("trust")
    texts = trust.get("revoked-keys", []) if isinstance(trust, dict) else []
    keys = set()
    for text in texts if isinstance(texts, list) else []:
        with contextlib.suppress(ValueError, TypeError):
            keys.add(parse_public_key(text))
    return frozenset(keys)


def may_sign(registry: Registry, path: Path, key: PublicKey) -> bool:
    """Whether ``key`` is one the build accepts on ``path``."""
    if file_kind(path) is FileKind.REGISTRY:
        return key in registry.root_keys
    delegation = registry.delegations.get(path.parent.name)
    if delegation is None:
        return False
    return any(key in registry.owners[owner].keys for owner in delegation.owners)


def sign_edited(
    tree: SourceTree, changed: Iterable[Path], keys: Iterable[PrivateKey]
) -> list[SignOutcome]:
    """After an edit, sign each changed file with each given key that may sign it."""
    keys = list(keys)
    if not keys:
        return []
    registry = tree.registry()
    return [
        sign_file(path, key)
        for path in changed
        for key in keys
        if may_sign(registry, path, key.public)
    ]
