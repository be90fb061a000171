"""``regsite verify``: every signature in the source, as table rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from regsite.build import SourceInspection, inspect_source
from regsite.commands.build import RootPins, pinned_root
from regsite.load import REGISTRY_FILE

__all__ = ["SignatureRow", "VerifyOptions", "VerifyResult", "verify_sources"]


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyOptions:
    source: Path = Path()
    pins: RootPins = field(default_factory=RootPins)  # as regsite build pins them


@dataclass(frozen=True, slots=True)
class SignatureRow:
    file: str
    signer: str  # owner id, "root", or "-" for an unknown key
    fingerprint: str
    status: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    rows: tuple[SignatureRow, ...]
    inspection: SourceInspection

    @property
    def ok(self) -> bool:
        return not self.inspection.report


def verify_sources(options: VerifyOptions) -> VerifyResult:
    """Check every signature in the source, as ``regsite build`` would, and list each one."""
    inspection = inspect_source(options.source, pinned=pinned_root(options.pins))
    rows = []
    for path, result in inspection.verifications.items():
        met = len(result.signers) >= result.threshold
        for check in result.checks:
            signer = check.signer or "-"
            if path == REGISTRY_FILE and check.signer is not None:
                signer = "root"  # root signers are identified by their key; the key is shown
            rows.append(SignatureRow(path, signer, check.key.fingerprint, check.status.value))
        summary = (
            f"threshold {len(result.signers)}/{result.threshold} {'met' if met else 'NOT met'}"
        )
        rows.append(SignatureRow(path, "", "", summary))
    return VerifyResult(rows=tuple(rows), inspection=inspection)
