"""Signed metadata files through python-tuf's ``tuf.api.metadata``.

python-tuf reads, writes and signs the files; this module adds what regsite promises on top:
errors that name the file, a threshold that counts distinct public keys (a key listed under
two key ids counts once), and the bridge from regsite's ed25519 keys to securesystemslib.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from securesystemslib.formats import encode_canonical
from securesystemslib.signer import CryptoSigner, Signer, SSlibKey
from tuf.api.metadata import Key, Metadata, Root, Signed, Snapshot, Targets, Timestamp
from tuf.api.serialization import DeserializationError, SignedSerializer
from tuf.api.serialization.json import JSONSerializer

from regsite.errors import RegistryError
from regsite.keys import PrivateKey, PublicKey

__all__ = [
    "CANONICAL",
    "COMPACT",
    "CanonicalSerializer",
    "MetadataError",
    "canonical_bytes",
    "deserialization_problem",
    "duplicate_keys",
    "key_id",
    "online_signer",
    "public_key",
    "read_metadata",
    "sign_metadata",
    "tuf_key",
    "verify_role",
]

_Role = TypeVar("_Role", Root, Targets, Snapshot, Timestamp)

# Compact JSON with sorted keys: for our ASCII documents, the same bytes as canonical JSON.
COMPACT = JSONSerializer(compact=True)


class CanonicalSerializer(SignedSerializer):
    """The canonical JSON (OLPC) that signatures cover, as python-tuf's CanonicalJSONSerializer
    writes it, but with the standard library's C encoder whenever that gives the same bytes.

    Canonical JSON escapes only ``"`` and ``\\`` in strings; ``json.dumps`` with sorted keys,
    no spaces and ``ensure_ascii=False`` writes the same text unless it had to escape something,
    which its output then shows as a backslash.  A document with a backslash in that output
    goes to securesystemslib's encoder.  A cold sign stage of 100,000 targets takes 1.50 s this
    way and 1.91 s with securesystemslib's pure-Python encoder (docs/decisions.md, decision 22).
    Documents regsite signs hold no floats, which canonical JSON has no form for.
    """

    def serialize(self, signed_obj: Signed) -> bytes:
        return canonical_bytes(signed_obj.to_dict())


def canonical_bytes(document: object) -> bytes:
    """``document`` (JSON values, no floats) in canonical JSON, as securesystemslib encodes it."""
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    if "\\" in text:
        canonical = encode_canonical(document)  # type: ignore[arg-type]
        assert canonical is not None  # None only with an output function
        text = canonical
    return text.encode("utf-8")


CANONICAL = CanonicalSerializer()


class MetadataError(RegistryError):
    """Registry metadata is malformed, unsigned, expired, rolled back or does not match a file."""


@functools.cache
def tuf_key(public: PublicKey) -> SSlibKey:
    """The key as TUF lists it: ed25519, its key id the SHA-256 of its canonical JSON."""
    return SSlibKey.from_crypto(Ed25519PublicKey.from_public_bytes(public.raw))


def key_id(public: PublicKey) -> str:
    return tuf_key(public).keyid


def public_key(key: Key) -> PublicKey | None:
    """The ed25519 key a TUF key holds, or None for any other type."""
    value = key.keyval.get("public")
    if key.keytype != "ed25519" or not isinstance(value, str) or len(value) != 64:
        return None
    try:
        return PublicKey(bytes.fromhex(value))
    except ValueError:
        return None


def online_signer(key: PrivateKey) -> Signer:
    """securesystemslib's signer over a regsite private key (same seed, same signatures)."""
    return CryptoSigner(Ed25519PrivateKey.from_private_bytes(key.seed), tuf_key(key.public))


def sign_metadata(signed: _Role, signers: Sequence[Signer]) -> bytes:
    """The file's bytes: compact sorted JSON, signatures in key id order."""
    metadata = Metadata(signed)
    for signer in sorted(signers, key=lambda signer: signer.public_key.keyid):
        metadata.sign(signer, append=True, signed_serializer=CANONICAL)
    return metadata.to_bytes(COMPACT)


def read_metadata(data: bytes, kind: type[_Role], file: str) -> Metadata[_Role]:
    """Parse a metadata file of role ``kind``; signatures are not checked here."""
    try:
        metadata: Metadata[_Role] = Metadata.from_bytes(data)
    except DeserializationError as exc:
        raise MetadataError(f"{file}: {deserialization_problem(exc)}") from None
    if not isinstance(metadata.signed, kind):
        raise MetadataError(
            f"{file}: signed._type: expected {kind.type!r}, found {metadata.signed.type!r}"
        )
    return metadata


def deserialization_problem(error: DeserializationError) -> str:
    """What python-tuf could not read, in a few words: ``not TUF metadata (missing key …)``."""
    cause = error.__cause__
    why = str(error)
    if isinstance(cause, KeyError):
        why = f"missing key {cause.args[0]!r}"
    elif isinstance(cause, UnicodeDecodeError | ValueError | TypeError | AttributeError):
        why = str(cause) or type(cause).__name__
    return f"not TUF metadata ({why:.200})"


def verify_role(
    metadata: Metadata[_Role], delegator: Root | Targets, role: str, file: str, who: str = ""
) -> None:
    """Raise unless the threshold of distinct keys ``delegator`` names for ``role`` signed."""
    result = delegator.get_verification_result(role, metadata.signed_bytes, metadata.signatures)
    distinct = {public_key(key) or key.keyid for key in result.signed.values()}
    if len(distinct) < result.threshold:
        raise MetadataError(
            f"{file}: signed by {len(distinct)} of the {who or role} role's keys,"
            f" {result.threshold} required"
        )


def duplicate_keys(keys: Mapping[str, Key]) -> list[str]:
    """Key ids that list a public key another key id already lists."""
    seen: dict[PublicKey, str] = {}
    duplicates = []
    for keyid, key in sorted(keys.items()):
        public = public_key(key)
        if public is not None and seen.setdefault(public, keyid) != keyid:
            duplicates.append(keyid)
    return duplicates
