"""The pipeline: scan (load, verify, model) -> validate -> render -> write -> sign -> commit.

Orchestration only.  Every entry point runs these same stages: ``regsite build`` (:func:`build`),
``regsite verify`` and the editing commands' checks (:func:`check_source`), and the tests
(:func:`build_files`, into memory).  The one incremental mechanism is the memo
(:mod:`regsite.memo`): each stage looks its results up there under the digests of its inputs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from regsite.assemble import assemble_site
from regsite.catalog import Catalog, scan_packages, scan_registry
from regsite.errors import ErrorReport, RegistryError
from regsite.keys import PrivateKey
from regsite.load import SourceLimits, require_source_directory
from regsite.memo import Memo
from regsite.model import Site
from regsite.progress import NullProgress, Progress, Stages
from regsite.render import Output
from regsite.report import BuildChanges
from regsite.scan import PackageContext
from regsite.signatures import ThresholdResult
from regsite.site_outputs import SiteRun, publish_site
from regsite.theme import load_theme
from regsite.validate import validate
from regsite.verify import PinnedRoot
from regsite.workers import default_jobs
from regsite.write import MemoryWriter, OutputWriter, Writer

__all__ = [
    "BuildOptions",
    "BuildResult",
    "SourceCheck",
    "build",
    "build_files",
    "check_source",
    "read_site",
    "source_date_epoch",
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
    reused: int  # packages whose scan came from the memo
    stages: tuple[tuple[str, float], ...]  # seconds per stage, in order
    changes: BuildChanges


@dataclass(frozen=True, slots=True)
class SourceCheck:
    """The stages up to validation: the site when it may be built, and every problem."""

    catalog: Catalog
    report: ErrorReport
    site: Site | None
    verdicts: Mapping[str, ThresholdResult] = field(default_factory=dict)  # by source path


def build(options: BuildOptions, writer: Writer | None = None) -> BuildResult:
    """Build the site; on any problem raise before writing, leaving the output untouched."""
    stages = Stages(options.progress or NullProgress())
    started = time.perf_counter()
    require_source_directory(options.source)
    with _memo(options.cache) as memo:
        if writer is None:
            signed = options.online_key is not None
            writer = OutputWriter.open(options.output, options.source, signed)
        try:
            checked = _check(options, memo, stages, writer)
            checked.report.raise_if_any(str(options.source))
            site = checked.site
            assert site is not None
            outcome = publish_site(
                SiteRun(
                    site=site,
                    catalog=checked.catalog,
                    writer=writer,
                    stages=stages,
                    jobs=_jobs(options),
                    theme_override=options.theme,
                    online_key=options.online_key,
                    signing_time=options.signing_time,
                    previous=options.previous,
                )
            )
        except BaseException:
            writer.discard()
            raise
        memo.close(prune=True)
    seconds = time.perf_counter() - started
    log.info("built %d packages into %s in %.2fs", len(site.packages), options.output, seconds)
    return BuildResult(
        site=site,
        files=outcome.files,
        bytes=outcome.bytes,
        seconds=seconds,
        written=outcome.commit.written,
        unchanged=outcome.commit.unchanged,
        removed=outcome.commit.removed,
        rendered=outcome.rendered,
        reused=checked.catalog.reused,
        stages=tuple(stages.times.items()),
        changes=outcome.changes,
    )


def check_source(options: BuildOptions) -> SourceCheck:
    """Scan and validate the source as :func:`build` does, writing nothing."""
    require_source_directory(options.source)
    with _memo(options.cache) as memo:
        checked = _check(options, memo, Stages(options.progress or NullProgress()), None)
        verdicts = dict(checked.catalog.verdicts())
        registry = checked.catalog.registry
        if registry is not None and registry.source.verification is not None:
            verdicts = {registry.source.path: registry.source.verification, **verdicts}
        return dataclasses.replace(checked, verdicts=verdicts)


def read_site(options: BuildOptions) -> Site:
    """The site :func:`build` would render; raise :class:`BuildError` listing all problems."""
    checked = check_source(options)
    checked.report.raise_if_any(str(options.source))
    assert checked.site is not None
    return checked.site


def build_files(options: BuildOptions) -> Output:
    """Every file :func:`build` writes, unsigned, in memory, in one process (tests and tools)."""
    writer = MemoryWriter()
    build(dataclasses.replace(options, online_key=None, jobs=1), writer)
    return writer.committed


def _check(options: BuildOptions, memo: Memo, stages: Stages, writer: Writer | None) -> SourceCheck:
    """The scan and the validation; with a ``writer``, packages are rendered as they are read."""
    jobs = _jobs(options)
    with stages.stage("load"):
        scan = scan_registry(options.source, options.limits, memo, options.pinned_root)
    catalog = Catalog(options.source, options.limits, scan, memo)
    theme = load_theme(options.theme) if writer is not None else None
    registry = scan.registry
    if registry is not None and options.base_url is not None:
        registry = dataclasses.replace(registry, base_url=options.base_url)
        catalog.scan = dataclasses.replace(scan, registry=registry)
    context = PackageContext(options.source, options.limits, registry, theme, writer)
    with stages.stage("scan", len(scan.directories)) as advance:
        scan_packages(catalog, context, jobs, advance)
    with stages.stage("validate", len(scan.directories)) as advance:
        report = validate(catalog, options.base_url, jobs, advance)
    site = None
    if registry is not None and not report:
        site = assemble_site(
            registry, catalog.summaries, options.source_date_epoch, catalog.details
        )
    return SourceCheck(catalog, report, site)


def _jobs(options: BuildOptions) -> int:
    return options.jobs or default_jobs()


@contextlib.contextmanager
def _memo(cache: Path | None) -> Iterator[Memo]:
    """The memo under ``cache``, or in a temporary directory for this build only."""
    with contextlib.ExitStack() as stack:
        directory = cache or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        memo = Memo.open(directory)
        try:
            yield memo
        finally:
            memo.close(prune=False)


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
