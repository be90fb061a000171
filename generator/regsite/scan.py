"""The per-package stages, one package at a time in a worker: load, verify, model, summarise,
and render what the package publishes on its own.

A package passes through here at most twice per build, and is read from its files at most once:

1. **scan** (when the memo does not hold it): load, verify and model the package, summarise it
   (:mod:`regsite.summary`), and, if it verified, render its own outputs at once, with the slots
   for what other packages say about it left open (:mod:`regsite.render.package`), so that a new
   or changed package is parsed once.
2. **finish**, once every package is summarised and validated: fill the slots of what step 1
   rendered; or, for a package the memo held whose outputs must change (a new dependent, a
   new theme), read it again and render it whole.

Each file goes through the writer, which stages only bytes that differ from what the output
already holds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from regsite.advisories.model import Advisory
from regsite.advisories.releases import advisory_problems
from regsite.budget import OutOfTime, cpu_budget
from regsite.errors import ErrorReport, RegistryError, SourceProblem
from regsite.hosted import HostedFiles, HostedListing, hosted_problems, publish_hosted
from regsite.keys import PublicKey
from regsite.load import PACKAGES_DIR, LoadedPackage, SourceLimits, load_package, package_input
from regsite.memo import files_digest
from regsite.model import Package, PackageAmendments, Registry
from regsite.package_file import read_package
from regsite.readme import checked_readme, over_budget, readme_path
from regsite.render.flavours import flavour_package_problems
from regsite.render.html import package_readme
from regsite.render.package import UsedBy, fill_slots, package_outputs
from regsite.signatures import SignatureCheck, SignatureStatus, ThresholdResult
from regsite.summary import PackageDetails, PackageSummary, Packed, pack, summarize
from regsite.theme import Theme
from regsite.verify import verify_package_index
from regsite.versions import DEFAULT_SCHEME
from regsite.workers import context
from regsite.write import Writer, WrittenFile

__all__ = [
    "PackageContext",
    "PackageTask",
    "Record",
    "Scanned",
    "finish_package",
    "model_package",
    "pack_verdict",
    "scan_package",
    "unpack_verdict",
]

log = logging.getLogger(__name__)

PackedVerdict = tuple[int, tuple[tuple[int, bytes, str, str | None], ...]]
# What the memo keeps of a package's scan: its summary and details (None when it could not be
# modelled), its signatures' verdict, and every problem found in it.
Record = tuple[Packed | None, PackedVerdict | None, tuple[SourceProblem, ...]]


@dataclass(frozen=True, slots=True)
class PackageContext:
    """What every per-package task reads; forked into the workers."""

    root: Path
    limits: SourceLimits
    registry: Registry | None  # None when registry.toml is unusable: packages are still checked
    theme: Theme | None = None  # None: nothing is rendered (``regsite verify``)
    writer: Writer | None = None
    amendments: Mapping[str, PackageAmendments] = field(default_factory=dict)  # by package
    # The advisories naming each package (docs/advisories.md): declared in its scan key.
    advisories: Mapping[str, tuple[Advisory, ...]] = field(default_factory=dict)
    files: Path | None = None  # regsite build --files DIR: hosted files kept out of the source

    @property
    def hosted(self) -> HostedFiles:
        return HostedFiles(self.root, self.files)


@dataclass(frozen=True, slots=True)
class PackageTask:
    name: str
    files: bytes  # the digest of the package's files when the build looked them up
    key: bytes  # the scan's memo key
    render: bool = True  # render the package's own outputs if it verifies
    hosted: HostedListing = ()  # what the places of its hosted files held, in the key too


@dataclass(frozen=True, slots=True)
class Scanned:
    name: str
    key: bytes
    record: Record
    staged: tuple[str, ...] = ()  # outputs rendered with their slots still open
    files: tuple[WrittenFile, ...] = ()  # outputs that are final already


@dataclass(frozen=True, slots=True)
class FinishTask:
    name: str
    used_by: UsedBy
    closure: str  # the sha256 of the package's closure manifest (regsite.closures)
    published: Mapping[str, str]  # path -> sha256 the output holds for this package
    staged: tuple[str, ...] = ()  # from the scan: fill these; empty: render the package again
    files: bytes = b""  # the files' digest, to render the package again


def scan_package(task: PackageTask) -> Scanned:
    """Step 1 for one package (run in a worker)."""
    stage: PackageContext = context()
    report = ErrorReport()
    loaded = load_package(stage.root, task.name, report, stage.limits)
    verdict, package = model_package(stage.registry, loaded, report, stage.limits)
    if package is not None:
        report.extend(advisory_problems(package, stage.advisories.get(task.name, ())))
    _check_unchanged(stage, task.name, task.files, report)
    if package is not None:  # checked against what the key was made of: no file read here
        report.extend(hosted_problems(stage.hosted, package, task.hosted))
        if stage.registry is not None:
            report.extend(flavour_package_problems(stage.registry, package))
    packed = None
    staged: tuple[str, ...] = ()
    files: tuple[WrittenFile, ...] = ()
    if package is not None and (summarized := _summarize(stage.limits, package, task.key, report)):
        packed = pack(*summarized)
        if task.render and not report and stage.writer is not None and _verified(verdict):
            staged, files = _render(stage, package)
    record: Record = (packed, None if verdict is None else pack_verdict(verdict), tuple(report))
    return Scanned(task.name, task.key, record, staged, files)


def finish_package(task: FinishTask) -> tuple[str, tuple[WrittenFile, ...]]:
    """Step 2 for one package (run in a worker): its final outputs, staged where they differ
    from what the output holds."""
    stage: PackageContext = context()
    assert stage.writer is not None and stage.theme is not None and stage.registry is not None
    staged = task.staged
    files: tuple[WrittenFile, ...] = ()
    if not staged:
        staged, files = _render(stage, _model_again(stage, task.name, task.files))
    output = fill_slots(
        stage.theme,
        stage.registry.version_scheme,
        task.name,
        {path: stage.writer.read_staged(path) for path in staged},
        task.used_by,
        task.closure,
    )
    written = tuple(
        stage.writer.put(path, content, held=task.published.get(path))
        for path, content in output.items()
    )
    return task.name, files + written


def _render(
    stage: PackageContext, package: Package
) -> tuple[tuple[str, ...], tuple[WrittenFile, ...]]:
    """The package's own outputs: files with open slots staged as they are, the rest put."""
    assert stage.writer is not None and stage.theme is not None and stage.registry is not None
    readme = _readme_html(stage.limits, stage.registry, package)
    amendments = stage.amendments.get(package.name)
    advisories = stage.advisories.get(package.name, ())
    outputs = package_outputs(stage.registry, stage.theme, package, readme, amendments, advisories)
    staged = []
    files = []
    for path, (content, open_slots) in outputs.items():
        if open_slots:
            stage.writer.stage(path, content)
            staged.append(path)
        else:
            files.append(stage.writer.put(path, content))
    files += publish_hosted(stage.hosted, package, stage.writer)
    return tuple(staged), tuple(files)


def model_package(
    registry: Registry | None,
    loaded: LoadedPackage | None,
    report: ErrorReport,
    limits: SourceLimits,
    *,
    verify: bool = True,
) -> tuple[ThresholdResult | None, Package | None]:
    """Verify a loaded package against the registry (when there is one) and model it, its
    README checked against the README limits; without ``verify``, only model it (an edit,
    checked before it is signed: its README is kept unchecked)."""
    if loaded is None:
        return None, None
    verdict = None
    if registry is not None and verify:
        verdict = verify_package_index(registry, loaded.name, loaded.index, report)
    # Without a usable registry.toml the build fails anyway; its packages are still checked.
    scheme = DEFAULT_SCHEME if registry is None else registry.version_scheme
    package = read_package(loaded, verdict, report, scheme=scheme)
    return verdict, checked_readme(package, verdict, limits, report) if verify else package


def _summarize(
    limits: SourceLimits, package: Package, key: bytes, report: ErrorReport
) -> tuple[PackageSummary, PackageDetails] | None:
    """The package's summary; reading its README's headings for search has the README's time
    budget."""
    if package.readme is None:
        return summarize(package, key)
    try:
        with cpu_budget(limits.readme_seconds):
            return summarize(package, key)
    except OutOfTime:
        report.add(readme_path(package), "", over_budget(limits, "reading its headings"))
        return None


def _readme_html(limits: SourceLimits, registry: Registry, package: Package) -> str | None:
    """The package's README rendered within its time budget, or an error naming it."""
    if package.readme is None:
        return None
    try:
        with cpu_budget(limits.readme_seconds):
            return package_readme(registry, package)
    except OutOfTime:
        # A RegistryError, not a BuildError: it crosses from a worker process, so it must pickle.
        problem = over_budget(limits, "rendering it")
        raise RegistryError(f"{readme_path(package)}: {problem}") from None


def _verified(verdict: ThresholdResult | None) -> bool:
    return verdict is not None and len(verdict.signers) >= verdict.threshold


def _check_unchanged(stage: PackageContext, name: str, files: bytes, report: ErrorReport) -> None:
    """The files read are the ones the build looked up: a package edited during the build is
    reported, never published under the other version's key."""
    if files_digest(stage.root / PACKAGES_DIR / name, package_input) != files:
        report.add(f"packages/{name}", "", "changed during the build; build again")


def _model_again(stage: PackageContext, name: str, files: bytes) -> Package:
    """A package the memo held, read again to render it."""
    report = ErrorReport()
    loaded = load_package(stage.root, name, report, stage.limits)
    package = model_package(stage.registry, loaded, report, stage.limits)[1]
    _check_unchanged(stage, name, files, report)
    if package is None or report:
        raise RegistryError(f"packages/{name}: changed during the build; build again")
    return package


# Verdicts, packed for the memo ------------------------------------------------------------------

_SIGNATURE_STATUS = {status.value: status for status in SignatureStatus}


def pack_verdict(verdict: ThresholdResult) -> PackedVerdict:
    checks = tuple(
        (check.index, check.key.raw, check.status.value, check.signer) for check in verdict.checks
    )
    return (verdict.threshold, checks)


def unpack_verdict(packed: PackedVerdict) -> ThresholdResult:
    threshold, checks = packed
    return ThresholdResult(
        checks=tuple(
            SignatureCheck(index, PublicKey(raw), _SIGNATURE_STATUS[status], signer)
            for index, raw, status, signer in checks
        ),
        threshold=threshold,
    )
