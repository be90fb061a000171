"""The pipeline: load, upstreams, scan -> validate -> render -> write -> sign -> commit.
Orchestration only.  Every entry point runs these same stages: ``regsite build`` (:func:`build`),
``regsite verify`` and the editing commands' checks (:func:`check_source`), and the tests
(:func:`build_files`, into memory).  The one incremental mechanism is the memo
(:mod:`regsite.memo`): each stage looks its results up there under the digests of its inputs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from regsite.assemble import Site, assemble_site
from regsite.catalog import Catalog, scan_packages
from regsite.errors import ErrorReport
from regsite.load import require_source_directory
from regsite.memo import Memo
from regsite.options import BuildOptions, BuildResult, source_date_epoch
from regsite.progress import NullProgress, Stages
from regsite.render import Output
from regsite.scan import PackageContext
from regsite.signatures import ThresholdResult
from regsite.site_outputs import SiteRun, publish_site
from regsite.site_sources import read_site_sources
from regsite.theme import load_theme
from regsite.validate import validate
from regsite.workers import fewer_collections
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
    with fewer_collections(), _memo(options.cache) as memo:
        if writer is None:
            signed = options.online_key is not None
            writer = OutputWriter.open(options.output, options.source, signed)
        try:
            checked = _check(options, memo, stages, writer)
            checked.report.raise_if_any(str(options.source))
            site = checked.site
            assert site is not None
            result = publish_site(SiteRun(options, site, checked.catalog, writer, stages))
        except BaseException:
            writer.discard()
            raise
        memo.close(prune=True)
    seconds = time.perf_counter() - started
    log.info("built %d packages into %s in %.2fs", len(site.packages), options.output, seconds)
    return dataclasses.replace(result, seconds=seconds, stages=tuple(stages.times.items()))


def check_source(options: BuildOptions) -> SourceCheck:
    """Scan and validate the source as :func:`build` does, writing nothing."""
    require_source_directory(options.source)
    with _memo(options.cache) as memo:
        checked = _check(options, memo, Stages(options.progress or NullProgress()), None)
        return dataclasses.replace(checked, verdicts=checked.catalog.verdicts())


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
    catalog = read_site_sources(options, memo, stages)
    registry, curation = catalog.registry, catalog.curation
    theme = load_theme(options.theme) if writer is not None else None
    advisories, amendments = catalog.advisories.by_package, curation.amendments
    context = PackageContext(
        options.source,
        options.limits,
        registry,
        theme,
        writer,
        amendments,
        advisories,
        options.files,
    )
    packages = len(catalog.scan.directories)
    with stages.stage("scan", packages) as advance:
        scan_packages(catalog, context, options.workers, advance)
    with stages.stage("validate", packages) as advance:
        report = validate(catalog, options.base_url, options.workers, advance)
    if registry is None or report:
        return SourceCheck(catalog, report, None)
    epoch = options.source_date_epoch
    site = assemble_site(registry, catalog.summaries, epoch, catalog.details, amendments)
    return SourceCheck(catalog, report, site)


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
