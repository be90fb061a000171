"""``regsite verify``: every signature in the source, as table rows."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from regsite.build import BuildOptions, SourceCheck, check_source
from regsite.commands.build import RootPins, pinned_root
from regsite.load import REGISTRY_FILE
from regsite.upstreams import UpstreamOptions

__all__ = ["SignatureRow", "VerifyOptions", "VerifyResult", "verify_sources"]


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyOptions:
    source: Path = Path()
    pins: RootPins = field(default_factory=RootPins)  # as regsite build pins them
    files: Path | None = None  # hosted artifacts kept out of the source, as build --files
    base_url: str | None = None  # as build --base-url (a flavour may need it)
    upstreams: UpstreamOptions = field(default_factory=UpstreamOptions)  # as build reads them


@dataclass(frozen=True, slots=True)
class SignatureRow:
    file: str
    signer: str  # owner id, "root", or "-" for an unknown key
    fingerprint: str
    status: str


@dataclass(frozen=True, slots=True)
class VerifyResult:
    rows: tuple[SignatureRow, ...]
    check: SourceCheck
    signed_files: int  # files whose signatures were checked

    @property
    def ok(self) -> bool:
        return not self.check.report


def verify_sources(options: VerifyOptions) -> VerifyResult:
    """Check every signature in the source, as ``regsite build`` would, and list each one."""
    pinned = pinned_root(options.pins)
    # Nothing is written: the output is never opened.
    build = BuildOptions(
        source=options.source,
        output=Path(os.devnull),
        pinned_root=pinned,
        files=options.files,
        base_url=options.base_url,
        upstreams=options.upstreams,
    )
    checked = check_source(build)
    verdicts = checked.verdicts
    rows = []
    for path, result in verdicts.items():
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
    return VerifyResult(rows=tuple(rows), check=checked, signed_files=len(verdicts))
