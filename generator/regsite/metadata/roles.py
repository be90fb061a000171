"""The four TUF roles as frozen dataclasses, and their strict reading from JSON documents.

Every reader fails closed with :class:`MetadataError`, naming the file, the key path and what was
expected.  Target paths and role names are checked here, before anything can use them in a path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from regsite.errors import PREVIEW_LENGTH, RegistryError, describe, printable
from regsite.keys import PublicKey
from regsite.metadata.canonical import canonical_json

__all__ = [
    "SPEC_VERSION",
    "DelegatedRole",
    "Delegations",
    "FileInfo",
    "MetaInfo",
    "MetadataError",
    "Role",
    "RoleKeys",
    "Root",
    "Signed",
    "Snapshot",
    "Targets",
    "Timestamp",
    "format_expires",
    "key_document",
    "key_id",
    "parse_signed",
    "signed_document",
    "target_path_problem",
]

SPEC_VERSION = "1.0.31"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_EXPIRES = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_ROLE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_HEX_PREFIX = re.compile(r"[0-9a-f]{1,16}")
_MAX_PATH = 1024  # characters
_KEY_SHOWN = 80  # characters of a key quoted in a message: a key id is 64
_MAX_INTEGER = 2**63 - 1  # versions and lengths: what every JSON reader can hold


class MetadataError(RegistryError):
    """Registry metadata is malformed, unsigned, expired, rolled back or does not match a file."""


class Role(StrEnum):
    ROOT = "root"
    TARGETS = "targets"
    SNAPSHOT = "snapshot"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True, slots=True)
class RoleKeys:
    keyids: tuple[str, ...]
    threshold: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Root:
    version: int
    expires: datetime
    keys: Mapping[str, PublicKey]  # keyid -> key
    roles: Mapping[Role, RoleKeys]
    consistent_snapshot: bool = True


@dataclass(frozen=True, slots=True)
class FileInfo:
    """A target file: its length in bytes and its SHA-256."""

    length: int
    sha256: str


@dataclass(frozen=True, slots=True)
class MetaInfo:
    """A metadata file as snapshot or timestamp lists it; length and hash pin its bytes."""

    version: int
    length: int | None = None
    sha256: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class DelegatedRole:
    """A hashed bin: the targets whose path's SHA-256 starts with one of ``prefixes``."""

    name: str
    keyids: tuple[str, ...]
    threshold: int
    prefixes: tuple[str, ...]
    terminating: bool = True

    def covers(self, path: str) -> bool:
        digest = hashlib.sha256(path.encode("utf-8")).hexdigest()
        return any(digest.startswith(prefix) for prefix in self.prefixes)


@dataclass(frozen=True, kw_only=True, slots=True)
class Delegations:
    keys: Mapping[str, PublicKey]
    roles: tuple[DelegatedRole, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Targets:
    version: int
    expires: datetime
    targets: Mapping[str, FileInfo]
    delegations: Delegations | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Snapshot:
    version: int
    expires: datetime
    meta: Mapping[str, MetaInfo]  # "targets.json", "bin-0a.json" -> version, length, hash


@dataclass(frozen=True, kw_only=True, slots=True)
class Timestamp:
    version: int
    expires: datetime
    snapshot: MetaInfo


Signed = Root | Targets | Snapshot | Timestamp


def key_document(key: PublicKey) -> dict[str, Any]:
    return {"keytype": "ed25519", "keyval": {"public": key.raw.hex()}, "scheme": "ed25519"}


def key_id(key: PublicKey) -> str:
    """The TUF key id: the SHA-256 of the key's canonical JSON."""
    return hashlib.sha256(canonical_json(key_document(key))).hexdigest()


def format_expires(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def target_path_problem(path: str) -> str | None:
    """Why ``path`` may not name a target (``None`` when it may): relative, '/'-separated."""
    parts = path.split("/")
    if not path or len(path) > _MAX_PATH:
        return f"expected a path of 1 to {_MAX_PATH} characters"
    if any(part in ("", ".", "..") for part in parts) or "\\" in path or "\x00" in path:
        return "expected a relative path without '', '.', '..', backslashes or NUL"
    if any(ord(char) < 0x20 for char in path):
        return "expected no control characters"
    return None


# Writing ---------------------------------------------------------------------------------------


def signed_document(signed: Signed) -> dict[str, Any]:
    """The ``signed`` object of a metadata file."""
    if isinstance(signed, Root):
        return _root_document(signed)
    if isinstance(signed, Targets):
        return _targets_document(signed)
    if isinstance(signed, Snapshot):
        meta = {name: _meta_info(info) for name, info in signed.meta.items()}
        return _common(Role.SNAPSHOT, signed.version, signed.expires) | {"meta": meta}
    meta = {"snapshot.json": _meta_info(signed.snapshot)}
    return _common(Role.TIMESTAMP, signed.version, signed.expires) | {"meta": meta}


def _common(role: Role, version: int, expires: datetime) -> dict[str, Any]:
    return {
        "_type": role.value,
        "spec_version": SPEC_VERSION,
        "version": version,
        "expires": format_expires(expires),
    }


def _root_document(root: Root) -> dict[str, Any]:
    return _common(Role.ROOT, root.version, root.expires) | {
        "consistent_snapshot": root.consistent_snapshot,
        "keys": {keyid: key_document(key) for keyid, key in root.keys.items()},
        "roles": {
            role.value: {"keyids": list(keys.keyids), "threshold": keys.threshold}
            for role, keys in root.roles.items()
        },
    }


def _targets_document(targets: Targets) -> dict[str, Any]:
    document = _common(Role.TARGETS, targets.version, targets.expires)
    document["targets"] = {
        path: {"length": info.length, "hashes": {"sha256": info.sha256}}
        for path, info in targets.targets.items()
    }
    if targets.delegations is not None:
        delegations = targets.delegations
        document["delegations"] = {
            "keys": {keyid: key_document(key) for keyid, key in delegations.keys.items()},
            "roles": [
                {
                    "name": role.name,
                    "keyids": list(role.keyids),
                    "threshold": role.threshold,
                    "terminating": role.terminating,
                    "path_hash_prefixes": list(role.prefixes),
                }
                for role in delegations.roles
            ],
        }
    return document


def _meta_info(info: MetaInfo) -> dict[str, Any]:
    document: dict[str, Any] = {"version": info.version}
    if info.length is not None:
        document["length"] = info.length
    if info.sha256 is not None:
        document["hashes"] = {"sha256": info.sha256}
    return document


# Reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reader:
    """Typed getters over one JSON object that raise with the file and key path."""

    value: Mapping[str, Any]
    file: str
    where: str

    def fail(self, key: str, expected: str) -> MetadataError:
        return MetadataError(f"{self.file}: {self.path(key)}: expected {expected}")

    def path(self, key: str) -> str:
        """The key path for messages; keys are the file's own text, so shown short and escaped."""
        shown = printable(key[:_KEY_SHOWN]) + ("…" if len(key) > _KEY_SHOWN else "")
        return f"{self.where}.{shown}" if self.where else shown

    def child(self, key: str) -> _Reader:
        value = self.value.get(key)
        if not isinstance(value, Mapping):
            raise self.fail(key, "an object")
        return _Reader(value, self.file, self.path(key))

    def integer(self, key: str, minimum: int) -> int:
        value = self.value.get(key)
        if type(value) is not int or not minimum <= value <= _MAX_INTEGER:
            raise self.fail(key, f"an integer from {minimum} to {_MAX_INTEGER}")
        return value

    def text(self, key: str) -> str:
        value = self.value.get(key)
        if not isinstance(value, str):
            raise self.fail(key, "a string")
        return value

    def strings(self, key: str) -> tuple[str, ...]:
        value = self.value.get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, "an array of strings")
        return tuple(value)

    def sha256(self, key: str) -> str:
        hashes = self.child(key)
        value = hashes.value.get("sha256")
        if not isinstance(value, str) or _SHA256.fullmatch(value) is None:
            raise hashes.fail("sha256", "64 lowercase hex digits")
        return value

    def expires(self) -> datetime:
        text = self.text("expires")
        if _EXPIRES.fullmatch(text) is None:
            raise self.fail("expires", "a UTC time written YYYY-MM-DDTHH:MM:SSZ")
        try:
            return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except ValueError:
            raise self.fail("expires", "a real calendar date") from None


def parse_signed(document: object, role: Role, file: str) -> Signed:
    """Read the ``signed`` object of a ``role`` file; raise :class:`MetadataError` if malformed."""
    if not isinstance(document, Mapping):
        raise MetadataError(f"{file}: signed: expected an object")
    reader = _Reader(document, file, "signed")
    if document.get("_type") != role.value:
        raise reader.fail(
            "_type", f"{role.value!r}, found {describe(document.get('_type'), typed=False)}"
        )
    if not reader.text("spec_version").startswith("1."):
        raise reader.fail("spec_version", "a TUF 1.x version")
    version = reader.integer("version", 1)
    expires = reader.expires()
    if role is Role.ROOT:
        return _parse_root(reader, version, expires)
    if role is Role.TARGETS:
        return _parse_targets(reader, version, expires)
    if role is Role.SNAPSHOT:
        meta = reader.child("meta")
        infos = {name: _parse_meta_info(meta, name) for name in meta.value}
        for name in infos:
            if not name.endswith(".json") or not _ROLE_NAME.fullmatch(name.removesuffix(".json")):
                raise meta.fail(name, "a role file name such as 'targets.json'")
        return Snapshot(version=version, expires=expires, meta=infos)
    meta = reader.child("meta")
    if set(meta.value) != {"snapshot.json"}:
        raise reader.fail("meta", "exactly one entry, 'snapshot.json'")
    return Timestamp(
        version=version, expires=expires, snapshot=_parse_meta_info(meta, "snapshot.json")
    )


def _parse_keys(reader: _Reader) -> dict[str, PublicKey]:
    keys = {}
    for keyid in reader.value:
        key = reader.child(keyid)
        if key.value.get("keytype") != "ed25519" or key.value.get("scheme") != "ed25519":
            raise key.fail("keytype", "'ed25519' with scheme 'ed25519'")
        public = key.child("keyval").text("public")
        if re.fullmatch(r"[0-9a-f]{64}", public) is None:
            raise key.child("keyval").fail("public", "64 hex digits (a 32-byte ed25519 key)")
        keys[keyid] = PublicKey(bytes.fromhex(public))
    return keys


def _parse_role_keys(reader: _Reader, keys: Mapping[str, PublicKey]) -> RoleKeys:
    keyids = reader.strings("keyids")
    unknown = [keyid for keyid in keyids if keyid not in keys]
    if unknown:
        raise reader.fail("keyids", f"ids of listed keys; {describe(unknown[0])} is not listed")
    return RoleKeys(keyids, reader.integer("threshold", 1))


def _parse_root(reader: _Reader, version: int, expires: datetime) -> Root:
    keys = _parse_keys(reader.child("keys"))
    roles_reader = reader.child("roles")
    roles = {role: _parse_role_keys(roles_reader.child(role.value), keys) for role in Role}
    consistent = reader.value.get("consistent_snapshot")
    if not isinstance(consistent, bool):
        raise reader.fail("consistent_snapshot", "true or false")
    return Root(
        version=version, expires=expires, keys=keys, roles=roles, consistent_snapshot=consistent
    )


def _parse_targets(reader: _Reader, version: int, expires: datetime) -> Targets:
    listed = reader.child("targets")
    targets = {}
    for path in listed.value:
        if (problem := target_path_problem(path)) is not None:
            raise listed.fail(repr(path[:PREVIEW_LENGTH]), problem.removeprefix("expected "))
        info = listed.child(path)
        targets[path] = FileInfo(info.integer("length", 0), info.sha256("hashes"))
    delegations = None
    if "delegations" in reader.value:
        delegations = _parse_delegations(reader.child("delegations"))
    return Targets(version=version, expires=expires, targets=targets, delegations=delegations)


def _parse_delegations(reader: _Reader) -> Delegations:
    keys = _parse_keys(reader.child("keys"))
    entries = reader.value.get("roles")
    if not isinstance(entries, list):
        raise reader.fail("roles", "an array of delegated roles")
    roles = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise reader.fail(f"roles[{index}]", "an object")
        role = _Reader(entry, reader.file, f"{reader.where}.roles[{index}]")
        name = role.text("name")
        if _ROLE_NAME.fullmatch(name) is None or name in {r.value for r in Role}:
            raise role.fail("name", "a role name of lowercase letters, digits and '-'")
        prefixes = role.strings("path_hash_prefixes")
        if not prefixes or not all(_HEX_PREFIX.fullmatch(prefix) for prefix in prefixes):
            raise role.fail("path_hash_prefixes", "lowercase hex prefixes (hashed bins only)")
        keys_of = _parse_role_keys(role, keys)
        roles.append(
            DelegatedRole(
                name=name,
                keyids=keys_of.keyids,
                threshold=keys_of.threshold,
                prefixes=prefixes,
                terminating=entry.get("terminating") is True,
            )
        )
    return Delegations(keys=keys, roles=tuple(roles))


def _parse_meta_info(meta: _Reader, name: str) -> MetaInfo:
    info = meta.child(name)
    length = info.integer("length", 0) if "length" in info.value else None
    sha256 = info.sha256("hashes") if "hashes" in info.value else None
    return MetaInfo(info.integer("version", 1), length, sha256)
