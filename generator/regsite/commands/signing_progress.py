"""After ``regsite sign``: whether each signed file now has the signatures the build requires,
judged by the verify stage itself, so that "signed" never reads as "done" when it is not."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regsite.advisories.model import ADVISORIES_DIR
from regsite.advisories.verify import named_packages, verify_advisory
from regsite.amendment_file import AMENDMENTS_DIR
from regsite.errors import ErrorReport, SourceProblem
from regsite.load import PACKAGES_DIR, REGISTRY_FILE, loaded_file
from regsite.model import Registry
from regsite.signatures import FileKind
from regsite.verify import verify_amendments, verify_package_index, verify_registry_file

__all__ = ["SigningProgress", "signing_progress"]


@dataclass(frozen=True, slots=True)
class SigningProgress:
    """A signed file and what the build would still find wrong with its signatures."""

    path: Path
    missing: tuple[str, ...]  # the verify stage's messages; none when the build accepts them

    @property
    def complete(self) -> bool:
        return not self.missing


def signing_progress(registry: Registry, path: Path, kind: FileKind) -> SigningProgress:
    """Check ``path``'s signatures as the build does: the threshold, and every entry valid."""
    content = path.read_bytes()
    signature_path = path.with_name(path.name + ".sig")
    signatures = signature_path.read_bytes() if signature_path.exists() else None
    report = ErrorReport()
    _verify(registry, path, kind, content, signatures, report)
    return SigningProgress(path, tuple(_without_file(problem) for problem in report))


def _without_file(problem: SourceProblem) -> str:
    """The problem as printed after the path the user gave (the verify stage's is relative)."""
    return problem.display().removeprefix(f"{problem.file}: ")


def _verify(
    registry: Registry,
    path: Path,
    kind: FileKind,
    content: bytes,
    signatures: bytes | None,
    report: ErrorReport,
) -> None:
    name = path.resolve().parent.name
    if kind is FileKind.ADVISORY:
        relative = f"{ADVISORIES_DIR}/{path.name}"
        verify_advisory(registry, relative, content, signatures, named_packages(content), report)
        return
    relative = {
        FileKind.REGISTRY: REGISTRY_FILE,
        FileKind.PACKAGE: f"{PACKAGES_DIR}/{name}/{kind.value}",
        FileKind.AMENDMENTS: f"{AMENDMENTS_DIR}/{name}/{kind.value}",
    }[kind]
    loaded = loaded_file(relative, content, signatures, report)
    if loaded is None:
        return
    if kind is FileKind.REGISTRY:
        verify_registry_file(registry, loaded, report)
    elif kind is FileKind.PACKAGE:
        verify_package_index(registry, name, loaded, report)
    else:
        verify_amendments(registry, name, loaded, report)
