"""Signed metadata files: ``{"signatures": [...], "signed": {...}}`` in canonical JSON.

A signature covers the canonical JSON of ``signed``, which carries the role's ``_type``, so a
signature made for one role never verifies another.  A threshold counts distinct public keys: a
key listed twice, under two key ids, still counts once.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from regsite.keys import PrivateKey, PublicKey
from regsite.metadata.canonical import canonical_json
from regsite.metadata.roles import MetadataError, Role, RoleKeys, Signed, key_id, parse_signed
from regsite.metadata.roles import signed_document as document_of

__all__ = ["MAX_SIGNATURES", "SignedFile", "read_signed_file", "sign_metadata", "verify_role"]

MAX_SIGNATURES = 64


@dataclass(frozen=True, slots=True)
class SignedFile:
    """One parsed metadata file: its role content and the signatures still to be checked."""

    file: str
    signed: Signed
    message: bytes  # the canonical JSON the signatures cover
    signatures: tuple[tuple[str, bytes], ...]  # (key id, signature)


def sign_metadata(signed: Signed, keys: Sequence[PrivateKey]) -> bytes:
    """The file's bytes: canonical JSON, signatures sorted by key id."""
    document = document_of(signed)
    message = canonical_json(document)
    signatures = sorted(
        ({"keyid": key_id(key.public), "sig": key.sign(message).hex()} for key in keys),
        key=lambda entry: entry["keyid"],
    )
    return canonical_json({"signatures": signatures, "signed": document})


def read_signed_file(data: bytes, role: Role, file: str) -> SignedFile:
    """Parse a metadata file's JSON and its ``signed`` object; signatures are not yet checked."""
    try:
        document = json.loads(data.decode("utf-8"), parse_float=_Float, parse_constant=_no_nan)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MetadataError(f"{file}: not valid UTF-8 JSON: {exc or 'nested too deeply'}") from None
    if not isinstance(document, dict):
        raise MetadataError(f"{file}: expected a JSON object with 'signatures' and 'signed'")
    signatures = _signatures(document.get("signatures"), file)
    raw = document.get("signed")
    try:
        signed = parse_signed(raw, role, file)
        message = canonical_json(raw)
    except TypeError:  # a number with a fraction or exponent where nothing reads it
        raise MetadataError(f"{file}: signed: numbers must be integers") from None
    except UnicodeEncodeError:  # a lone surrogate, written as a JSON escape
        raise MetadataError(f"{file}: signed: strings must be valid Unicode") from None
    except RecursionError:
        raise MetadataError(f"{file}: signed: nested too deeply") from None
    return SignedFile(file, signed, message, signatures)


def verify_role(
    signed_file: SignedFile, keys: Mapping[str, PublicKey], role_keys: RoleKeys, role: str
) -> None:
    """Raise unless ``role_keys.threshold`` distinct keys of the role signed this file."""
    allowed = {keyid: keys[keyid] for keyid in role_keys.keyids if keyid in keys}
    good: set[PublicKey] = set()
    for keyid, signature in signed_file.signatures:
        key = allowed.get(keyid)
        if key is not None and key.verify(signed_file.message, signature):
            good.add(key)
    if len(good) < role_keys.threshold:
        raise MetadataError(
            f"{signed_file.file}: signed by {len(good)} of the {role} role's keys,"
            f" {role_keys.threshold} required"
        )


def _signatures(value: object, file: str) -> tuple[tuple[str, bytes], ...]:
    if not isinstance(value, list) or len(value) > MAX_SIGNATURES:
        raise MetadataError(f"{file}: signatures: expected an array of at most {MAX_SIGNATURES}")
    found = []
    for index, entry in enumerate(value):
        keyid = entry.get("keyid") if isinstance(entry, dict) else None
        sig = entry.get("sig") if isinstance(entry, dict) else None
        if not isinstance(keyid, str) or not isinstance(sig, str):
            raise MetadataError(f"{file}: signatures[{index}]: expected 'keyid' and 'sig' strings")
        try:
            found.append((keyid, binascii.unhexlify(sig)))
        except (binascii.Error, ValueError):
            raise MetadataError(f"{file}: signatures[{index}].sig: expected hex") from None
    return tuple(found)


class _Float(str):
    """A JSON number with a fraction or exponent: kept as text so the reader can name where it
    is (``expected an integer``); canonical JSON has no form for it."""

    __slots__ = ()


def _no_nan(text: str) -> Any:
    raise ValueError(f"{text} is not JSON")
