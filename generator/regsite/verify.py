"""Verify stage: check the root signatures on registry.toml and the owners' on each package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from regsite.errors import ErrorReport
from regsite.keys import PublicKey
from regsite.load import LoadedFile, crlf_hint
from regsite.model import Delegation, Registry
from regsite.signatures import (
    FileKind,
    SignatureCheck,
    SignatureStatus,
    ThresholdResult,
    check_signatures,
)

__all__ = ["PinnedRoot", "verify_amendments", "verify_package_index", "verify_registry_file"]

_Signer = Callable[[PublicKey], tuple[SignatureStatus, str | None]]
_Describe = Callable[[SignatureCheck, FileKind], str]


@dataclass(frozen=True, slots=True)
class PinnedRoot:
    """Root keys trusted from outside the source (``--root-key``), so a change to registry.toml
    that swaps its root keys cannot also vouch for itself."""

    keys: frozenset[PublicKey]
    threshold: int = 1
    source: str = "--root-key"  # where the pin comes from, for messages


def verify_registry_file(
    registry: Registry, loaded: LoadedFile, report: ErrorReport, pinned: PinnedRoot | None = None
) -> ThresholdResult:
    """registry.toml is signed by its own root keys (and by pinned ones, if any are given)."""
    roots = frozenset(registry.root_keys)

    def signer_of(key: PublicKey) -> tuple[SignatureStatus, str | None]:
        if key in registry.revoked_keys:
            return SignatureStatus.REVOKED, None
        if key in roots:
            return SignatureStatus.VALID, str(key)
        return SignatureStatus.UNKNOWN_KEY, None

    result = _verify(
        FileKind.REGISTRY, loaded, signer_of, registry.root_threshold, "root keys", report
    )
    if pinned is not None:
        _check_pinned(result, pinned, loaded, report)
    return result


def _check_pinned(
    result: ThresholdResult, pinned: PinnedRoot, loaded: LoadedFile, report: ErrorReport
) -> None:
    signed = {c.key for c in result.checks if c.status is SignatureStatus.VALID} & pinned.keys
    if len(signed) < pinned.threshold:
        report.add(
            loaded.signature_path,
            "",
            f"signed by {len(signed)} of the pinned root keys ({pinned.source}),"
            f" {pinned.threshold} required: registry.toml's root keys changed, or the pin is out"
            " of date",
        )


def verify_package_index(
    registry: Registry, package: str, loaded: LoadedFile, report: ErrorReport
) -> ThresholdResult | None:
    """package.toml is signed by the owners its name is delegated to; distinct owners count."""
    delegation = registry.delegations.get(package)
    if delegation is None:
        report.add(
            loaded.path,
            "",
            f"package {package!r} has no entry in registry.toml [packages]: no owner may sign it",
        )
        return None
    signer_of = _owner_signer(registry, delegation)
    return _verify(FileKind.PACKAGE, loaded, signer_of, delegation.threshold, "owners", report)


def _owner_signer(registry: Registry, delegation: Delegation) -> _Signer:
    key_owner = {key: owner.id for owner in registry.owners.values() for key in owner.keys}
    delegated = frozenset(delegation.owners)

    def signer_of(key: PublicKey) -> tuple[SignatureStatus, str | None]:
        if key in registry.revoked_keys:
            return SignatureStatus.REVOKED, None
        owner = key_owner.get(key)
        if owner is None:
            return SignatureStatus.UNKNOWN_KEY, None
        if owner not in delegated:
            return SignatureStatus.UNDELEGATED, owner
        return SignatureStatus.VALID, owner

    return signer_of


def verify_amendments(
    registry: Registry, package: str, loaded: LoadedFile, report: ErrorReport
) -> ThresholdResult:
    """A package's amendments file is signed by a threshold of the curators whose scope holds
    the package (``[trust] curator-threshold``); distinct curators count, as owners do."""
    in_scope = registry.curators_of(package)
    threshold = registry.curator_threshold
    if len(in_scope) < threshold:
        ids = ", ".join(curator.id for curator in in_scope) or "none"
        report.add(
            loaded.signature_path,
            "",
            f"{len(in_scope)} curators may amend {package!r} ({ids}), but [trust]"
            f" curator-threshold is {threshold}: add {package!r} to more curators' packages in"
            " registry.toml",
        )
    signer_of = _curator_signer(registry, package)
    describe = _curator_describer(registry, package)
    noun = "curators who may amend it"
    return _verify(FileKind.AMENDMENTS, loaded, signer_of, threshold, noun, report, describe)


def _curator_signer(registry: Registry, package: str) -> _Signer:
    key_curator = {key: c for c in registry.curators.values() for key in c.keys}

    def signer_of(key: PublicKey) -> tuple[SignatureStatus, str | None]:
        if key in registry.revoked_keys:
            return SignatureStatus.REVOKED, None
        curator = key_curator.get(key)
        if curator is None:
            return SignatureStatus.UNKNOWN_KEY, None
        if not curator.may_amend(package):
            return SignatureStatus.UNDELEGATED, curator.id
        return SignatureStatus.VALID, curator.id

    return signer_of


def _curator_describer(registry: Registry, package: str) -> _Describe:
    key_owner = {key: owner.id for owner in registry.owners.values() for key in owner.keys}

    def describe(check: SignatureCheck, kind: FileKind) -> str:
        key = f"key {check.key} ({check.key.fingerprint})"
        if check.status is SignatureStatus.UNDELEGATED and check.signer is not None:
            scope = ", ".join(registry.curators[check.signer].scope)
            return (
                f"{key} belongs to curator {check.signer!r}, whose scope ([curators."
                f"{check.signer}] packages = {scope}) does not hold {package!r}: a curator in"
                " scope must sign, or a root key holder widens the scope"
            )
        if check.status is SignatureStatus.UNKNOWN_KEY and check.key in key_owner:
            return (
                f"{key} is a key of owner {key_owner[check.key]!r}; owners do not sign"
                " amendments, a curator of registry.toml [curators] does"
            )
        if check.status is SignatureStatus.UNKNOWN_KEY:
            return f"{key} is not a key of any curator in registry.toml [curators]"
        return _describe(check, kind)

    return describe


def _verify(
    kind: FileKind,
    loaded: LoadedFile,
    signer_of: _Signer,
    threshold: int,
    signer_noun: str,
    report: ErrorReport,
    describe: _Describe | None = None,
) -> ThresholdResult:
    result = check_signatures(kind, loaded.content, loaded.signatures, signer_of, threshold)
    if loaded.signature_content is None:
        report.add(
            loaded.signature_path,
            "",
            f"signature file is missing; sign {loaded.path} with 'regsite sign FILE --key KEY'",
        )
        return result
    for check in result.checks:
        if check.status is not SignatureStatus.VALID:
            message = (describe or _describe)(check, kind)
            if check.status is SignatureStatus.BAD and b"\r\n" in loaded.content:
                message += f". {crlf_hint(loaded.path)}"
            report.add(loaded.signature_path, f"signature[{check.index}]", message)
    valid_signers = len(result.signers)
    if valid_signers < threshold:
        report.add(
            loaded.signature_path,
            "",
            f"threshold not met: {valid_signers} of the required {threshold} {signer_noun} signed",
        )
    return result


def _describe(check: SignatureCheck, kind: FileKind) -> str:
    key = f"key {check.key} ({check.key.fingerprint})"
    if check.status is SignatureStatus.BAD:
        return (
            f"signature by {key} does not match the bytes of {kind.value}: the file changed after"
            " it was signed, or the signature belongs to another file; sign it again"
        )
    if check.status is SignatureStatus.REVOKED:
        whose = "a curator's" if kind is FileKind.AMENDMENTS else "the owner's"
        return f"{key} is revoked ([trust] revoked-keys); sign with {whose} new key"
    if check.status is SignatureStatus.UNDELEGATED:
        return f"{key} belongs to owner {check.signer!r}, who is not delegated this package"
    if kind is FileKind.REGISTRY:
        return f"{key} is not one of the root keys in registry.toml [trust] root-keys"
    return f"{key} is not a key of any owner in registry.toml [owners]"
