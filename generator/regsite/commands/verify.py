"""``regsite verify``: every signature in the source, as table rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regsite.build import SourceInspection, inspect_source
from regsite.load import REGISTRY_FILE
from regsite.verify import PinnedRoot

__all__ = ["SignatureRow", "VerifyResult", "signature_table", "verify_sources"]


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


def verify_sources(root: Path, pinned: PinnedRoot | None = None) -> VerifyResult:
    inspection = inspect_source(root, pinned=pinned)
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


def signature_table(rows: tuple[SignatureRow, ...]) -> list[str]:
    """The rows as aligned text lines under a FILE / SIGNER / KEY / STATUS header."""
    cells = [("FILE", "SIGNER", "KEY", "STATUS")]
    cells += [(row.file, row.signer, row.fingerprint, row.status) for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(3)]
    return [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(line, widths, strict=False)), line[3]]
        ).rstrip()
        for line in cells
    ]
