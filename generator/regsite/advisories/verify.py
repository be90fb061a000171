"""Who may publish an advisory: a threshold of the root keys, or the owners of every package it
names (each package's own threshold).  docs/advisories.md says why.

The signature is over the advisory's exact bytes, with the kind ``advisory.json`` in the signed
message (docs/decisions.md, 1), so no other signed file of the registry can stand in for it.
Every signature entry must verify (fail closed), as on every other signed file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from regsite.errors import ErrorReport
from regsite.keys import PublicKey
from regsite.model import Registry
from regsite.signatures import (
    FileKind,
    SignatureStatus,
    ThresholdResult,
    check_signatures,
    parse_signature_file,
)

__all__ = ["advisory_signing_refusal", "named_packages", "verify_advisory"]

_ROOT = "root "  # signer ids of root keys: "root ed25519:…", so each root key counts once


def named_packages(content: bytes) -> tuple[str, ...]:
    """The package names an advisory's ``affected[].package.name`` gives, read leniently (for
    signing; the build reads it strictly)."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        return ()
    entries = document.get("affected") if isinstance(document, dict) else None
    names = []
    for entry in entries if isinstance(entries, list) else []:
        package = entry.get("package") if isinstance(entry, dict) else None
        name = package.get("name") if isinstance(package, dict) else None
        if isinstance(name, str):
            names.append(name)
    return tuple(dict.fromkeys(names))


def verify_advisory(
    registry: Registry,
    path: str,
    content: bytes,
    signature_content: bytes | None,
    packages: Sequence[str],
    report: ErrorReport,
) -> bool:
    """Whether the advisory at ``path`` naming ``packages`` is signed as it must be; every
    problem goes into ``report``."""
    signature_path = path + ".sig"
    if signature_content is None:
        report.add(
            signature_path,
            "",
            f"signature file is missing; sign {path} with 'regsite sign {path} --key KEY'"
            " (a root key, or an owner of each package it names)",
        )
        return False
    signatures, problems = parse_signature_file(signature_content)
    for key, message in problems:
        report.add(signature_path, key, message)
    result = check_signatures(
        FileKind.ADVISORY, content, signatures, _signer_of(registry, packages), threshold=1
    )
    for check in result.checks:
        if check.status is not SignatureStatus.VALID:
            report.add(
                signature_path, f"signature[{check.index}]", _refused(check.key, check.status)
            )
    if problems or not all(c.status is SignatureStatus.VALID for c in result.checks):
        return False
    missing = _unmet(registry, result, packages)
    if missing:
        report.add(
            signature_path,
            "",
            f"threshold not met: signed by {len(result.signers)} signer(s); {missing}",
        )
    return not missing


def _signer_of(
    registry: Registry, packages: Sequence[str]
) -> Callable[[PublicKey], tuple[SignatureStatus, str | None]]:
    roots = frozenset(registry.root_keys)
    key_owner = {key: owner.id for owner in registry.owners.values() for key in owner.keys}
    delegated = {
        owner for name in packages if (d := registry.delegations.get(name)) for owner in d.owners
    }

    def signer_of(key: PublicKey) -> tuple[SignatureStatus, str | None]:
        if key in registry.revoked_keys:
            return SignatureStatus.REVOKED, None
        if key in roots:
            return SignatureStatus.VALID, _ROOT + str(key)
        owner = key_owner.get(key)
        if owner is None:
            return SignatureStatus.UNKNOWN_KEY, None
        if owner not in delegated:
            return SignatureStatus.UNDELEGATED, owner
        return SignatureStatus.VALID, owner

    return signer_of


def _unmet(registry: Registry, result: ThresholdResult, packages: Sequence[str]) -> str:
    """'' when a threshold of root keys signed, or every named package's owners did; else why
    not."""
    signers = result.signers
    roots = sum(1 for signer in signers if signer.startswith(_ROOT))
    if roots >= registry.root_threshold:
        return ""
    short = []
    for name in packages:
        delegation = registry.delegations.get(name)
        if delegation is None:
            continue
        owners = len(signers & set(delegation.owners))
        if owners < delegation.threshold:
            short.append(f"{owners} of the {delegation.threshold} owners of {name!r} required")
    if not short and packages:
        return ""
    return (
        f"expected {registry.root_threshold} root key(s), or the owners of every package it"
        f" names ({'; '.join(short) or 'it names none'})"
    )


def _refused(key: PublicKey, status: SignatureStatus) -> str:
    described = f"key {key} ({key.fingerprint})"
    if status is SignatureStatus.BAD:
        return (
            f"signature by {described} does not match the advisory's bytes: it changed after"
            " it was signed; sign it again"
        )
    if status is SignatureStatus.REVOKED:
        return f"{described} is revoked ([trust] revoked-keys)"
    if status is SignatureStatus.UNDELEGATED:
        return f"{described} belongs to an owner of no package this advisory names"
    return f"{described} is neither a root key nor an owner's key in registry.toml"


def advisory_signing_refusal(registry: Registry, path: Path, key: PublicKey) -> str | None:
    """``regsite sign``: why the build would reject ``key`` on the advisory at ``path``."""
    refused = f"{path}: key {key.fingerprint} may not sign it"
    if key in registry.revoked_keys:
        return f"{refused}: it is revoked (registry.toml [trust] revoked-keys)"
    if key in registry.root_keys:
        return None
    try:
        packages = named_packages(path.read_bytes())
    except OSError as exc:
        return f"{path}: cannot read: {exc.strerror}"
    owners = {
        owner for name in packages if (d := registry.delegations.get(name)) for owner in d.owners
    }
    if any(key in registry.owners[owner].keys for owner in owners if owner in registry.owners):
        return None
    named = ", ".join(repr(name) for name in packages) or "no package"
    return f"{refused}; a root key may, or an owner of each package it names ({named})"
