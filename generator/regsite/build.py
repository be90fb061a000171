"""The pipeline: load -> scan (verify, model) -> validate -> render -> sign -> write.

Orchestration only; the per-package stages are in :mod:`regsite.pipeline`.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import gc
import hashlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from regsite import __version__
from regsite.assemble import assemble_site
from regsite.buildindex import INDEX_KEY, BuildIndex, SourceStamp, freeze_files
from regsite.cache import BuildCache, digest_of
from regsite.errors import ErrorReport, RegistryError
from regsite.fields import url_problem
from regsite.hosted import hosted_outputs
from regsite.keys import PrivateKey
from regsite.load import (
    PACKAGES_DIR,
    LoadedFile,
    LoadedSource,
    SourceLimits,
    load_root_history,
    load_source,
    package_directories,
    read_registry_bytes,
    read_registry_signature_bytes,
    registry_from_content,
    require_source_directory,
)
from regsite.metadata.layout import content_addressed_path
from regsite.metadata.previous import DirectoryPrevious, RoleBrief, RoleMemo
from regsite.metadata.publish import FileInfo, check_trust, publish_metadata
from regsite.model import Package, Registry, Site
from regsite.pipeline import (
    RenderContext,
    Rendered,
    ScanContext,
    Scanned,
    check_requirements,
    default_jobs,
    model_package,
    page_digest,
    render_package,
    reuse_rendered,
    run,
    scan_package,
    source_stamp,
)
from regsite.progress import NullProgress, Progress, Stages
from regsite.registry_file import read_registry
from regsite.render import Output
from regsite.render.api import API_ROOT, dump_json, render_api, site_api
from regsite.render.flavours import cargo, package_flavour_outputs, site_flavour_outputs
from regsite.render.html import render_html, site_pages
from regsite.render.search import render_search, search_terms_key
from regsite.report import (
    REPORT_PATH,
    BuildChanges,
    PreviousOutput,
    compare_builds,
    report_document,
)
from regsite.signatures import ThresholdResult
from regsite.summary import summarize
from regsite.theme import Theme, load_theme
from regsite.validate import check_delegations, validate_site
from regsite.verify import PinnedRoot, verify_registry_file
from regsite.write import SITE_MARKER, CommitResult, OutputWriter, WrittenFile

__all__ = [
    "BuildOptions",
    "BuildResult",
    "SourceInspection",
    "build",
    "inspect_source",
    "read_model",
    "read_site",
    "render_site",
    "source_date_epoch",
    "write_output",
]

log = logging.getLogger(__name__)

_MAX_EPOCH = 253_402_300_799  # 9999-12-31T23:59:59Z


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildOptions:
    source: Path
    output: Path
    base_url: str | None = None  # overrides registry.toml's base-url
    theme: Path | None = None  # a directory whose files override the default theme's
    limits: SourceLimits = field(default_factory=SourceLimits)
    source_date_epoch: int | None = None  # seconds; defaults to the newest publish time
    pinned_root: PinnedRoot | None = None  # root keys trusted from outside the source
    online_key: PrivateKey | None = None  # signs the metadata; None builds an unsigned site
    previous: Path | None = None  # the last published site; defaults to the output directory
    signing_time: datetime | None = None  # metadata expiry counts from here; None is now
    cache: Path | None = None  # kept between builds; None uses a temporary one
    jobs: int | None = None  # worker processes; None is one per core
    progress: Progress | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildResult:
    site: Site
    files: int  # in the output, content-addressed copies and kept old versions included
    bytes: int
    seconds: float
    written: int  # files whose bytes changed
    unchanged: int
    removed: int
    rendered: int  # packages whose outputs were rendered (the others were already in place)
    reused: int  # packages whose scan came from the cache
    stages: tuple[tuple[str, float], ...]  # seconds per stage, in order
    changes: BuildChanges


@dataclass(frozen=True, kw_only=True, slots=True)
class SourceInspection:
    """What the first stages found: the model so far, every signature verdict, every problem."""

    loaded: LoadedSource
    registry: Registry | None
    packages: Mapping[str, Package]
    verifications: Mapping[str, ThresholdResult]  # source path -> verdicts
    report: ErrorReport


def inspect_source(
    root: Path, limits: SourceLimits | None = None, pinned: PinnedRoot | None = None
) -> SourceInspection:
    """Load, verify and model the source, collecting every problem instead of stopping."""
    report = ErrorReport()
    loaded = load_source(root, report, limits)
    registry = _verified_registry(loaded.registry, loaded.root_history, report, pinned)
    verifications: dict[str, ThresholdResult] = {}
    if registry is not None and registry.source.verification is not None:
        verifications[registry.source.path] = registry.source.verification
    packages: dict[str, Package] = {}
    for package in loaded.packages:
        verdict, modelled = model_package(registry, package, report, limits, root)
        if verdict is not None:
            verifications[package.index.path] = verdict
        if modelled is not None:
            packages[modelled.name] = modelled
    return SourceInspection(
        loaded=loaded,
        registry=registry,
        packages=packages,
        verifications=verifications,
        report=report,
    )


def _verified_registry(
    loaded: LoadedFile | None,
    history: tuple[bytes, ...],
    report: ErrorReport,
    pinned: PinnedRoot | None,
) -> Registry | None:
    """registry.toml modelled, with its root history checked and its signatures' verdict."""
    registry = read_registry(loaded, report) if loaded is not None else None
    if registry is None or loaded is None:
        return None
    registry = dataclasses.replace(registry, root_history=history)
    check_trust(registry, report)
    verdict = verify_registry_file(registry, loaded, report, pinned)
    return dataclasses.replace(
        registry, source=dataclasses.replace(registry.source, verification=verdict)
    )


def read_model(options: BuildOptions) -> tuple[Site, dict[str, Package]]:
    """Every stage up to the model, in memory and in one process (tests, small tools).

    Raise :class:`BuildError` listing all problems found.
    """
    inspection = inspect_source(options.source, options.limits, options.pinned_root)
    report, registry = inspection.report, inspection.registry
    summaries = {name: summarize(package, "") for name, package in inspection.packages.items()}
    if registry is not None:
        validate_site(registry, summaries, inspection.loaded.directories, report)
        registry = _with_base_url(registry, options.base_url, report)
        report.extend(cargo.site_problems(registry))  # once the base URL is known
    _fail_closed(inspection.verifications, report)
    report.raise_if_any(str(options.source))
    assert registry is not None  # a missing registry is always reported
    site = assemble_site(registry, summaries, options.source_date_epoch)
    return site, {name: inspection.packages[name] for name in site.packages}


def read_site(options: BuildOptions) -> Site:
    """The site model of :func:`read_model`, without the packages' full records."""
    return read_model(options)[0]


def _with_base_url(registry: Registry, base_url: str | None, report: ErrorReport) -> Registry:
    if base_url is None:
        return registry
    if (problem := url_problem(base_url)) is not None:
        report.add("--base-url", "", problem)
    return dataclasses.replace(registry, base_url=base_url)


def _fail_closed(verifications: Mapping[str, ThresholdResult], report: ErrorReport) -> None:
    """A second guard: no unverified file gets through, even if no stage reported a problem."""
    for path, verdict in verifications.items():
        if not verdict.verified and not report:
            report.add(path, "", "signatures did not verify")


def render_site(
    site: Site,
    packages: Mapping[str, Package],
    theme_override: Path | None = None,
    source: Path | None = None,
) -> Output:
    """Every output file but the signed metadata, in memory (what :func:`build` writes); the
    files hosted in ``source``, when given."""
    theme = load_theme(theme_override)
    output = render_api(site, packages.values())
    output.update(render_html(site, theme, packages.values()))
    output.update(render_search(site))
    output.update(site_flavour_outputs(site))
    for package in packages.values():
        output.update(package_flavour_outputs(site, package))
        if source is not None:
            output.update(hosted_outputs(source / PACKAGES_DIR / package.name, package))
    output[REPORT_PATH] = dump_json(report_document(compare_builds(site, None)))
    return output


def write_output(
    output: Output,
    out: Path,
    *,
    signed: tuple[Registry, PrivateKey, datetime] | None = None,
    previous: Path | None = None,
) -> CommitResult:
    """Write in-memory output files to ``out`` as :func:`build` does, signed when ``signed``
    gives the registry, the online key and the signing time (tests and tools)."""
    writer = OutputWriter.open(out, None, consistent=signed is not None)
    try:
        files = {path: writer.put(path, content) for path, content in sorted(output.items())}
        paths = set(files)
        if signed is not None:
            registry, key, now = signed
            targets = {path: FileInfo(file.size, file.sha256) for path, file in files.items()}
            reader = None if previous is None else DirectoryPrevious(previous)
            metadata = publish_metadata(targets, registry, key, now, reader)
            paths.update(content_addressed_path(path, f.sha256) for path, f in files.items())
            paths.update(
                writer.put(path, data, target=False).path for path, data in metadata.items()
            )
        return writer.commit(paths)
    except BaseException:
        writer.discard()
        raise


def build(options: BuildOptions) -> BuildResult:
    """Build the site; on any problem raise before writing, leaving the output untouched."""
    stages = Stages(options.progress or NullProgress())
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_fewer_collections())
        if options.cache is not None:
            cache = BuildCache.open(options.cache)
        else:
            cache = BuildCache.open(Path(stack.enter_context(tempfile.TemporaryDirectory())))
        jobs = options.jobs or default_jobs()
        with stages.stage("load"):
            registry, scan, directories, report = _load_registry(options, cache)
            index = cache.get("index", INDEX_KEY)
            if not isinstance(index, BuildIndex):
                index = BuildIndex()
            if scan is not None:
                before = time.time_ns() - _RACY_NS
                scan = dataclasses.replace(scan, known=index.scanned, stamp_before=before)
        scanned = _scan(stages, scan, directories, jobs, index)
        site = _assemble(options, registry, scanned, directories, report)
        theme = load_theme(options.theme)
        writer = OutputWriter.open(options.output, options.source, options.online_key is not None)
        try:
            result = _render_and_write(options, stages, site, theme, writer, scan, jobs, index)
        except BaseException:
            writer.discard()
            raise
        with stages.stage("cache"):
            cache.put("index", INDEX_KEY, _next_index(index, scan, scanned, result))
            cache.prune("package", {item.digest for item in scanned})
            cache.prune("search", {result.search_key})
    seconds = time.perf_counter() - started
    log.info("built %d packages into %s in %.2fs", len(site.packages), options.output, seconds)
    return BuildResult(
        site=site,
        files=result.files,
        bytes=result.bytes,
        seconds=seconds,
        written=result.commit.written,
        unchanged=result.commit.unchanged,
        removed=result.commit.removed,
        rendered=result.rendered,
        reused=sum(1 for item in scanned if item.cached),
        stages=tuple(stages.times.items()),
        changes=result.changes,
    )


@contextlib.contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the garbage collector less often: a build allocates millions of small objects that
    hold no cycles, and the default thresholds walk them over and over (a no-op rebuild of
    10,000 packages spends a quarter of its time there)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _load_registry(
    options: BuildOptions, cache: BuildCache
) -> tuple[Registry | None, ScanContext | None, tuple[str, ...], ErrorReport]:
    """registry.toml, its signatures and root history, and the package directories found."""
    report = ErrorReport()
    limits = options.limits
    root = options.source
    require_source_directory(root)
    content = read_registry_bytes(root, limits, report)
    signature = read_registry_signature_bytes(root, limits)
    directories = tuple(package_directories(root, report))
    history = load_root_history(root, report, limits)
    registry = None
    if content is not None:
        registry = _registry(options, cache, (content, signature), history, report)
    if registry is None or content is None:
        return None, ScanContext(root, limits, None, "", cache), directories, report
    assert registry.source.verification is not None
    _fail_closed({registry.source.path: registry.source.verification}, report)
    digest = digest_of([__version__, content, signature or b"", repr(limits)])
    return registry, ScanContext(root, limits, registry, digest, cache), directories, report


def _registry(
    options: BuildOptions,
    cache: BuildCache,
    read: tuple[bytes, bytes | None],  # registry.toml and its signature file
    history: tuple[bytes, ...],
    report: ErrorReport,
) -> Registry | None:
    """registry.toml modelled and verified, or as the last build left it in the cache if made
    from the same bytes (a registry that had problems is never cached: they are reported
    again)."""
    root, limits = options.source, options.limits
    content, signature = read
    parts: list[bytes | str] = [__version__, content, signature or b"", repr(limits)]
    if (pinned := options.pinned_root) is not None:
        parts += [f"pinned {len(pinned.keys)} {pinned.threshold}"]
        parts += sorted(str(key) for key in pinned.keys)
    key = digest_of([*parts, *history])
    cached = cache.get("registry", INDEX_KEY)  # (key, Registry): one entry, replaced
    if isinstance(cached, tuple) and cached[0] == key and isinstance(cached[1], Registry):
        return cached[1]
    problems = len(report)
    loaded = registry_from_content(root, content, limits, report)
    registry = _verified_registry(loaded, history, report, options.pinned_root)
    if registry is not None and len(report) == problems:
        cache.put("registry", INDEX_KEY, (key, registry))
    return registry


def _scan(
    stages: Stages,
    scan: ScanContext | None,
    directories: tuple[str, ...],
    jobs: int,
    index: BuildIndex,
) -> list[Scanned]:
    """Every package's scan: from the index when its files' stat is as recorded, else read."""
    results: list[Scanned] = []
    if scan is None:
        return results
    with stages.stage("scan", len(directories)) as advance:
        recorded = index.sources if index.registry == scan.registry_digest else {}
        missed: list[tuple[str, SourceStamp | None]] = []
        for name in directories:
            stamp = source_stamp(scan, name)
            found = recorded.get(name)
            packed = None
            if stamp is not None and found is not None and found[0] == stamp:
                packed = index.scanned.get(found[1])
            if packed is None:
                missed.append((name, stamp))
                continue
            results.append(Scanned.thaw(packed, stamp))
            advance()

        def done(result: Scanned) -> None:
            results.append(result)
            advance()

        run(scan_package, missed, scan, jobs, done)
    results.sort(key=lambda item: item.name)
    return results


def _next_index(
    index: BuildIndex, scan: ScanContext | None, scanned: list[Scanned], result: _Written
) -> BuildIndex:
    """The index for the next build; records read from ``index`` are kept as read."""
    packed = {}
    for item in scanned:
        packed[item.digest] = index.scanned.get(item.digest) or item.freeze()
    return BuildIndex(
        registry="" if scan is None else scan.registry_digest,
        sources={item.name: (item.stamp, item.digest) for item in scanned if item.stamp},
        scanned=packed,
        rendered=result.rendered_files,
        checked=result.checked,
        metadata=result.metadata_memo,
    )


def _assemble(
    options: BuildOptions,
    registry: Registry | None,
    scanned: list[Scanned],
    directories: tuple[str, ...],
    report: ErrorReport,
) -> Site:
    for item in scanned:
        report.extend(item.problems)
    _fail_closed(
        {
            item.summary.source_path: item.verification
            for item in scanned
            if item.summary is not None and item.verification is not None
        },
        report,
    )
    if registry is not None:
        check_delegations(registry, directories, report)
        registry = _with_base_url(registry, options.base_url, report)
        report.extend(cargo.site_problems(registry))  # once the base URL is known
    report.raise_if_any(str(options.source))
    assert registry is not None  # a missing registry is always reported
    summaries = {item.name: item.summary for item in scanned if item.summary is not None}
    return assemble_site(registry, summaries, options.source_date_epoch)


@dataclass(frozen=True, slots=True)
class _Written:
    files: int
    bytes: int
    commit: CommitResult
    rendered: int
    rendered_files: dict[str, builtins.bytes]  # frozen, by render key, for the next build
    checked: frozenset[str]
    search_key: str
    changes: BuildChanges
    metadata_memo: dict[str, RoleBrief]  # the targets roles published, for the next build


_RACY_NS = 2_000_000_000  # a source file changed this recently is read again by the next build


def _render_and_write(
    options: BuildOptions,
    stages: Stages,
    site: Site,
    theme: Theme,
    writer: OutputWriter,
    scan: ScanContext | None,
    jobs: int,
    index: BuildIndex,
) -> _Written:
    assert scan is not None
    cache = scan.cache
    context = RenderContext(
        site,
        theme,
        frozenset(site.packages),
        writer,
        cache,
        scan,
        index.rendered,
        index.checked,
        page_digest(site, theme, writer.consistent),
    )
    files: dict[str, WrittenFile] = {}
    rendered = 0
    rendered_files: dict[str, tuple[WrittenFile, ...]] = {}
    frozen: dict[str, bytes] = {}  # for the next build
    with stages.stage("render", len(site.packages)) as advance:
        checked = _check_requirements(options, context)

        def done(result: Rendered) -> None:
            nonlocal rendered
            files.update((file.path, file) for file in result.files)
            rendered += result.rendered
            if result.rendered:
                rendered_files[result.key] = result.files
            else:
                frozen[result.key] = result.frozen
            advance()

        missed = []
        for name in site.packages:
            reused = reuse_rendered(context, name)
            if reused is None:
                missed.append(name)
            else:
                done(reused)
        run(render_package, missed, context, jobs, done)
    with stages.stage("site pages"):
        shared = site_api(site)
        shared.update(site_pages(site, theme))
        shared.update(site_flavour_outputs(site))
    with stages.stage("search"):
        search_key = search_terms_key(site)
        shared.update(render_search(site, _TermsCache(cache, search_key)))
    with stages.stage("report"):
        previous = PreviousOutput(options.previous or options.output, _changed(options, files))
        changes = compare_builds(site, previous)
        shared[REPORT_PATH] = dump_json(report_document(changes))
        if changes.empty and (kept := previous.read_bytes(REPORT_PATH)) is not None:
            shared[REPORT_PATH] = kept  # the last build that changed anything: no churn
    with stages.stage("write"):
        files.update((path, writer.put(path, content)) for path, content in shared.items())
    metadata: Output = {}
    memo = RoleMemo(known=index.metadata)
    if options.online_key is not None:
        with stages.stage("sign"):
            metadata = _sign(site, files, options, memo)
    with stages.stage("commit"):
        for path, content in metadata.items():
            files[path] = writer.put(path, content, target=False)
        paths = set(files)
        if writer.consistent:
            paths.update(
                content_addressed_path(path, file.sha256)
                for path, file in files.items()
                if path not in metadata
            )
        commit = writer.commit(paths)
        for key, found in rendered_files.items():
            frozen[key] = freeze_files(writer.stamped(found))
    return _Written(
        files=len(paths),
        bytes=_bytes(files, metadata, writer.consistent),
        commit=commit,
        rendered=rendered,
        rendered_files=frozen,
        checked=checked,
        search_key=search_key,
        changes=changes,
        metadata_memo=memo.current,
    )


def _check_requirements(options: BuildOptions, context: RenderContext) -> frozenset[str]:
    """Every package's requirements against the other packages' versions; the passed checks'
    keys, or raise with every problem before anything is rendered."""
    problems = ErrorReport()
    checked = set()
    for summary in context.site.packages.values():
        key, found = check_requirements(context, summary)
        problems.extend(found)
        checked.add(key)
    problems.raise_if_any(str(options.source))
    return frozenset(checked)


def _changed(options: BuildOptions, files: Mapping[str, WrittenFile]) -> set[str]:
    """The package documents that differ from the previous site's.

    The writer knows which differ from the output; ``--previous`` elsewhere is compared by hash.
    """
    documents = {path: file for path, file in files.items() if path.startswith(_PACKAGE_DOCS)}
    previous = options.previous
    if previous is None or previous.resolve() == options.output.resolve():
        return {path for path, file in documents.items() if file.changed}
    changed = set()
    for path, file in documents.items():
        try:
            old = (previous / path).read_bytes()
        except OSError:
            old = None
        if old is None or hashlib.sha256(old).hexdigest() != file.sha256:
            changed.add(path)
    return changed


_PACKAGE_DOCS = f"{API_ROOT}/packages/"


def _bytes(files: Mapping[str, WrittenFile], metadata: Output, consistent: bool) -> int:
    total = sum(file.size for file in files.values())
    if consistent:
        total += sum(file.size for path, file in files.items() if path not in metadata)
    return total


@dataclass(frozen=True, slots=True)
class _TermsCache:
    cache: BuildCache
    key: str

    def load(self) -> tuple[list[str], Output] | None:
        value = self.cache.get("search", self.key)
        return value if isinstance(value, tuple) else None

    def store(self, value: tuple[list[str], Output]) -> None:
        self.cache.put("search", self.key, value)


def _sign(
    site: Site, files: Mapping[str, WrittenFile], options: BuildOptions, memo: RoleMemo
) -> Output:
    previous = options.previous
    if previous is None and (options.output / SITE_MARKER).is_file():
        previous = options.output
    assert options.online_key is not None
    now = options.signing_time or datetime.now(UTC)
    reader = None if previous is None else DirectoryPrevious(previous)
    if reader is None:
        log.info("no previous site: metadata versions start at 1")
    targets = {path: FileInfo(file.size, file.sha256) for path, file in files.items()}
    return publish_metadata(targets, site.registry, options.online_key, now, reader, memo)


def source_date_epoch(environ: Mapping[str, str] | None = None) -> int | None:
    """Read ``SOURCE_DATE_EPOCH``; an unparsable value is an error, never silently ignored."""
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH")
    if value is None or value == "":
        return None
    if re.fullmatch(r"[0-9]{1,11}", value) is None or int(value) > _MAX_EPOCH:
        raise RegistryError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got {value!r:.40}"
        )
    return int(value)
