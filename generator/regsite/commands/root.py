"""``regsite root update``, ``sign`` and ``status``: the root metadata that clients pin,
``metadata/N.root.json`` in the source (the signing itself is in :mod:`regsite.commands.trust`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from regsite.commands.sign import SignOutcome, sign_edited, signing_keys
from regsite.commands.trust import (
    RootStatus,
    root_signed_advisories,
    root_signing_refusal,
    root_status,
    sign_root_file,
    signing_time,
    write_next_root,
)
from regsite.errors import SourceEditError
from regsite.load import ROOT_METADATA_DIR
from regsite.sources import SourceTree

__all__ = [
    "RootSignOptions",
    "RootSigned",
    "RootUpdateOptions",
    "RootVersion",
    "root_sign",
    "root_update",
    "root_versions",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class RootUpdateOptions:
    source: Path = Path()
    sign: tuple[str, ...] = ()  # root keys, old or new, that sign the new root


@dataclass(frozen=True, slots=True, kw_only=True)
class RootSignOptions:
    source: Path = Path()
    file: Path  # metadata/N.root.json
    keys: tuple[str, ...]  # root private key files, or env:VARIABLE


@dataclass(frozen=True, slots=True)
class RootSigned:
    status: RootStatus
    registry: tuple[SignOutcome, ...]  # registry.toml, signed too when the key may sign it


@dataclass(frozen=True, slots=True)
class RootVersion:
    """One root file: when it expires and the signatures it still needs."""

    name: str  # N.root.json
    expires: str  # as the file says it, ISO 8601
    status: RootStatus


def root_update(options: RootUpdateOptions) -> RootStatus:
    """Write ``metadata/N+1.root.json`` from registry.toml's [trust] (or renew the last)."""
    keys = signing_keys(options.sign)
    return write_next_root(SourceTree(options.source), keys, signing_time())


def root_sign(options: RootSignOptions) -> RootSigned:
    """Co-sign a root with each key, and registry.toml and the root-signed advisories too with
    each that is one of its root keys: a rotation needs them all signed by the new threshold."""
    tree = SourceTree(options.source)
    keys = signing_keys(options.keys)  # all loaded before anything is signed
    if not keys:
        raise SourceEditError("give a root key to sign with (--key KEY)")
    refusals = [root_signing_refusal(tree, options.file, key.public) for key in keys]
    if any(refusals):
        raise SourceEditError(next(refusal for refusal in refusals if refusal))
    statuses = [sign_root_file(tree, options.file, key) for key in keys]
    roots = set(tree.registry().root_keys)
    files = [tree.registry_path, *root_signed_advisories(tree, roots)]
    return RootSigned(status=statuses[-1], registry=tuple(sign_edited(tree, files, keys)))


def root_versions(source: Path) -> tuple[RootVersion, ...]:
    """Every root version in the source, oldest first; none before ``regsite root update``."""
    tree = SourceTree(source)
    files = sorted((source / ROOT_METADATA_DIR).glob("*.root.json"), key=_version_of)
    return tuple(_root_version(tree, path) for path in files)


def _root_version(tree: SourceTree, path: Path) -> RootVersion:
    status = root_status(tree, path)  # checks the file before its expiry is read
    return RootVersion(name=path.name, expires=_expires(path), status=status)


def _version_of(path: Path) -> int:
    return int(path.name.split(".", 1)[0])


def _expires(path: Path) -> str:
    try:
        return str(json.loads(path.read_bytes())["signed"]["expires"])
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceEditError(f"{path}: not a root file with signed.expires ({exc})") from exc
