"""The scan, as the build's process runs it: the registry, then every package, from the memo
where it holds them and from workers where it does not.

The result is a :class:`Catalog`: the registry model, a small :class:`PackageSummary` per package
(held in memory), every problem found so far, and what the workers already rendered.  Each
package's larger parts (its requirements, README headings, recent releases, signature verdict)
stay in the memo and are read back one package at a time (:meth:`Catalog.details`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from regsite.advisories.releases import scan_inputs
from regsite.advisories.stage import AdvisoryScan
from regsite.curation import Curation
from regsite.errors import ErrorReport, SourceProblem
from regsite.hosted import list_hosted, listing_parts
from regsite.load import (
    PACKAGES_DIR,
    SourceLimits,
    load_root_history,
    package_directories,
    package_input,
    read_registry_bytes,
    read_registry_signature_bytes,
    registry_from_content,
)
from regsite.memo import Memo
from regsite.metadata.publish import check_trust
from regsite.model import Registry
from regsite.registry_file import read_registry
from regsite.render.flavours import flavour_inputs
from regsite.scan import PackageContext, PackageTask, Record, Scanned, scan_package, unpack_verdict
from regsite.signatures import ThresholdResult
from regsite.summary import PackageDetails, PackageSummary, unpack_details, unpack_summary
from regsite.upstream_checks import UpstreamScan
from regsite.verify import PinnedRoot, verify_registry_file
from regsite.workers import run
from regsite.write import WrittenFile

__all__ = ["Catalog", "RegistryScan", "scan_packages", "scan_registry"]


@dataclass(frozen=True, slots=True)
class RegistryScan:
    """registry.toml modelled and verified, the packages found, and their problems."""

    registry: Registry | None
    problems: tuple[SourceProblem, ...]
    directories: tuple[str, ...]  # every package directory with a valid name


@dataclass(slots=True)
class Catalog:
    root: Path
    limits: SourceLimits
    scan: RegistryScan
    memo: Memo
    summaries: dict[str, PackageSummary] = field(default_factory=dict)
    problems: list[SourceProblem] = field(default_factory=list)  # from the packages' scans
    files: dict[str, bytes] = field(default_factory=dict)  # each package's files' digest
    staged: dict[str, tuple[str, ...]] = field(default_factory=dict)  # rendered, slots open
    rendered: dict[str, tuple[WrittenFile, ...]] = field(default_factory=dict)  # final, by package
    keys: dict[str, bytes] = field(default_factory=dict)  # each package's scan key
    curation: Curation = field(default_factory=Curation)  # the amendments, read before the scan
    reused: int = 0  # packages whose scan the memo held
    upstreams: UpstreamScan = field(default_factory=UpstreamScan)  # read before the packages
    advisories: AdvisoryScan = field(default_factory=AdvisoryScan)  # advisories/, read first

    @property
    def registry(self) -> Registry | None:
        return self.scan.registry

    def record(self, summary: PackageSummary) -> Record:
        found: Record | None = self.memo.get("scan", summary.key)
        if found is None:
            raise LookupError(f"packages/{summary.name}: its scan is no longer in the memo")
        return found

    def details(self, summary: PackageSummary) -> PackageDetails:
        packed = self.record(summary)[0]
        assert packed is not None  # a summary comes from a package that was modelled
        return unpack_details(packed)

    def verdicts(self) -> dict[str, ThresholdResult]:
        """Every signature verdict, by source path (``regsite verify``): registry.toml's first,
        then every package's and every amendments file's."""
        found = {}
        registry = self.registry
        if registry is not None and registry.source.verification is not None:
            found[registry.source.path] = registry.source.verification
        for name in self.scan.directories:
            key = self.keys.get(name)
            record: Record | None = None if key is None else self.memo.get("scan", key)
            if record is not None and record[1] is not None:
                found[f"{PACKAGES_DIR}/{name}/package.toml"] = unpack_verdict(record[1])
        for amendments in self.curation.amendments.values():
            if amendments.source.verification is not None:
                found[amendments.source.path] = amendments.source.verification
        return found


def scan_registry(
    root: Path, limits: SourceLimits, memo: Memo, pinned: PinnedRoot | None
) -> RegistryScan:
    """registry.toml, its signatures and root history, from the memo when all are unchanged."""
    report = ErrorReport()
    directories = tuple(package_directories(root, report))
    content = read_registry_bytes(root, limits, report)
    signature = read_registry_signature_bytes(root, limits) or b""
    history = load_root_history(root, report, limits)
    if content is None:
        return RegistryScan(None, tuple(report), directories)
    key = memo.key("registry", [content, signature, *history, _pins(pinned), repr(limits)])
    found = memo.get("registry", key)
    if found is None:
        found = _model_registry(root, content, limits, history, pinned)
        memo.put("registry", key, found)
    registry, problems = found
    return RegistryScan(registry, (*report, *problems), directories)


def _model_registry(
    root: Path,
    content: bytes,
    limits: SourceLimits,
    history: tuple[bytes, ...],
    pinned: PinnedRoot | None,
) -> tuple[Registry | None, tuple[SourceProblem, ...]]:
    report = ErrorReport()
    loaded = registry_from_content(root, content, limits, report)
    registry = read_registry(loaded, report) if loaded is not None else None
    if registry is None or loaded is None:
        return None, tuple(report)
    registry = dataclasses.replace(registry, root_history=history)
    check_trust(registry, report)
    verdict = verify_registry_file(registry, loaded, report, pinned)
    source = dataclasses.replace(registry.source, verification=verdict)
    if not verdict.verified and not report:  # fail closed, even if no check said why
        report.add(loaded.path, "", "signatures did not verify")
    return dataclasses.replace(registry, source=source), tuple(report)


def _pins(pinned: PinnedRoot | None) -> str:
    if pinned is None:
        return "no pinned root"
    return f"pinned {pinned.threshold} of " + " ".join(sorted(str(key) for key in pinned.keys))


def scan_packages(
    catalog: Catalog,
    context: PackageContext,
    jobs: int,
    advance: Callable[[], None],
) -> None:
    """Every package's scan into ``catalog``: from the memo, or from a worker that also renders
    the package's own outputs when ``context`` has a writer."""
    memo = catalog.memo
    tasks: list[PackageTask] = []
    for name in catalog.scan.directories:
        task = _scan_task(catalog, context, name)
        catalog.files[name] = task.files
        catalog.keys[name] = task.key
        record: Record | None = memo.get("scan", task.key)
        if record is None or record[2]:  # a package with problems is checked again every time
            tasks.append(task)
            continue
        catalog.reused += 1
        _add(catalog, name, record)
        advance()

    def done(scanned: Scanned) -> None:
        memo.put("scan", scanned.key, scanned.record)
        _add(catalog, scanned.name, scanned.record)
        if scanned.staged or scanned.files:
            catalog.staged[scanned.name] = scanned.staged
            catalog.rendered[scanned.name] = scanned.files
        advance()

    run(scan_package, tasks, context, jobs, done)
    catalog.summaries = dict(sorted(catalog.summaries.items()))


def _scan_task(catalog: Catalog, context: PackageContext, name: str) -> PackageTask:
    """The package's scan, keyed by everything it reads: its files, the registry's part in it,
    the limits, its hosted files and the advisories that name it."""
    memo = catalog.memo
    files = memo.files_digest(catalog.root / PACKAGES_DIR / name, package_input)
    hosted = list_hosted(context.hosted, name, memo.file_digests)
    advisories = scan_inputs(context.advisories.get(name, ()))
    inputs = [
        *_package_inputs(catalog.registry, name),
        repr(catalog.limits),
        *listing_parts(hosted),
        *advisories,
    ]
    key = memo.key("scan", [name, files, *inputs])
    return PackageTask(name, files, key, render=context.writer is not None, hosted=hosted)


def _add(catalog: Catalog, name: str, record: Record) -> None:
    packed, _, problems = record
    catalog.problems.extend(problems)
    if packed is not None:
        catalog.summaries[name] = unpack_summary(packed)


def _package_inputs(registry: Registry | None, name: str) -> Iterable[str]:
    """What a package's scan reads of registry.toml: the owners its name is delegated to and
    their keys, the revoked keys, the version scheme and the enabled flavours; nothing else, so
    a new package or owner elsewhere in the registry leaves every other package's scan as it
    was."""
    if registry is None:
        yield "no registry"
        return
    yield f"scheme {registry.version_scheme.name}"
    yield from flavour_inputs(registry)  # the flavours check each package they publish
    yield "revoked " + " ".join(sorted(str(key) for key in registry.revoked_keys))
    delegation = registry.delegations.get(name)
    if delegation is None:
        yield "not delegated"
        return
    yield f"threshold {delegation.threshold}"
    for owner_id in delegation.owners:
        owner = registry.owners.get(owner_id)
        keys = () if owner is None else owner.keys
        yield f"owner {owner_id} " + " ".join(str(key) for key in keys)
