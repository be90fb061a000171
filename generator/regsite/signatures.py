"""Detached signatures (``<file>.sig``) over exact file bytes with a domain-separation prefix."""

from __future__ import annotations

import base64
import binascii
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import tomlkit

from regsite.fields import long_key_problem
from regsite.keys import PrivateKey, PublicKey, parse_public_key

__all__ = [
    "MAX_SIGNATURES",
    "FileKind",
    "Signature",
    "SignatureCheck",
    "SignatureStatus",
    "ThresholdResult",
    "check_signatures",
    "dump_signature_file",
    "parse_signature_file",
    "sign_bytes",
    "signed_message",
]

MAX_SIGNATURES = 32
_SIGNATURE_BYTES = 64
_DOMAIN = b"regsite-signature-v1\x00"


class FileKind(StrEnum):
    """The kinds of signed file; the kind is part of every signed message."""

    REGISTRY = "registry.toml"
    PACKAGE = "package.toml"
    AMENDMENTS = "amendments.toml"  # a curator's amendments to one package's requirements
    ADVISORY = "advisory.json"  # an OSV document in advisories/ (docs/advisories.md)


class SignatureStatus(StrEnum):
    VALID = "valid"
    BAD = "bad signature"
    UNKNOWN_KEY = "unknown key"
    UNDELEGATED = "undelegated key"
    REVOKED = "revoked key"


@dataclass(frozen=True, slots=True)
class Signature:
    key: PublicKey
    sig: bytes


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The verdict on one ``[[signature]]`` entry; ``signer`` is the owner id or ``"root"``."""

    index: int
    key: PublicKey
    status: SignatureStatus
    signer: str | None


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    """All verdicts for one file, and whether enough distinct signers signed it."""

    checks: tuple[SignatureCheck, ...]
    threshold: int

    @property
    def signers(self) -> frozenset[str]:
        return frozenset(
            check.signer
            for check in self.checks
            if check.status is SignatureStatus.VALID and check.signer is not None
        )

    @property
    def verified(self) -> bool:
        """Fail closed: every entry valid and the threshold met."""
        all_valid = all(check.status is SignatureStatus.VALID for check in self.checks)
        return all_valid and len(self.signers) >= self.threshold


def signed_message(kind: FileKind, content: bytes) -> bytes:
    return _DOMAIN + kind.value.encode("ascii") + b"\x00" + content


def sign_bytes(key: PrivateKey, kind: FileKind, content: bytes) -> Signature:
    return Signature(key.public, key.sign(signed_message(kind, content)))


def check_signatures(
    kind: FileKind,
    content: bytes,
    signatures: tuple[Signature, ...],
    signer_of: Callable[[PublicKey], tuple[SignatureStatus, str | None]],
    threshold: int,
) -> ThresholdResult:
    """Verify each signature; ``signer_of`` says whose key it is and whether it may sign."""
    message = signed_message(kind, content)
    checks = []
    for index, signature in enumerate(signatures):
        status, signer = signer_of(signature.key)
        if status is SignatureStatus.VALID and not signature.key.verify(message, signature.sig):
            status = SignatureStatus.BAD
        checks.append(SignatureCheck(index, signature.key, status, signer))
    return ThresholdResult(tuple(checks), threshold)


def parse_signature_file(data: bytes) -> tuple[tuple[Signature, ...], list[tuple[str, str]]]:
    """Parse a ``.sig`` file; return the signatures and ``(key path, problem)`` pairs."""
    try:
        text = data.decode("utf-8")
        if (problem := long_key_problem(text)) is not None:
            return (), [("", problem)]
        document = tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # also UnicodeDecodeError and TOMLDecodeError
        return (), [("", f"not valid UTF-8 TOML: {exc or 'nested too deeply'}")]
    problems = [(key, "unknown key; expected only [[signature]] tables") for key in document]
    problems = [problem for problem in problems if problem[0] != "signature"]
    entries = document.get("signature", [])
    if not isinstance(entries, list) or not all(isinstance(entry, Mapping) for entry in entries):
        return (), [*problems, ("signature", "expected an array of [[signature]] tables")]
    if len(entries) > MAX_SIGNATURES:
        problems.append(("signature", f"{len(entries)} signatures; at most {MAX_SIGNATURES}"))
        return (), problems
    signatures = []
    for index, entry in enumerate(entries):
        signature = _parse_entry(entry, f"signature[{index}]", problems)
        if signature is not None:
            signatures.append(signature)
    return tuple(signatures), problems


def _parse_entry(
    entry: Mapping[str, object], where: str, problems: list[tuple[str, str]]
) -> Signature | None:
    extra = sorted(set(entry) - {"key", "sig"})
    if extra:
        problems.append((f"{where}.{extra[0]}", "unknown key; expected only 'key' and 'sig'"))
    key_text, sig_text = entry.get("key"), entry.get("sig")
    if not isinstance(key_text, str):
        problems.append((f"{where}.key", "expected a string 'ed25519:<base64>'"))
        return None
    try:
        key = parse_public_key(key_text)
    except ValueError as exc:
        problems.append((f"{where}.key", str(exc)))
        return None
    raw = _decode_signature(sig_text)
    if raw is None:
        problems.append((f"{where}.sig", "expected the base64 of a 64-byte ed25519 signature"))
        return None
    return Signature(key, raw)


def _decode_signature(text: object) -> bytes | None:
    if not isinstance(text, str):
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == _SIGNATURE_BYTES else None


def dump_signature_file(signatures: tuple[Signature, ...]) -> bytes:
    document = tomlkit.document()
    entries = tomlkit.aot()
    for signature in sorted(signatures, key=lambda item: item.key):
        table = tomlkit.table()
        table["key"] = str(signature.key)
        table["sig"] = base64.b64encode(signature.sig).decode("ascii")
        entries.append(table)
    document["signature"] = entries
    return tomlkit.dumps(document).encode("utf-8")
