"""The pipeline: load -> verify -> model -> validate -> render -> write.  Orchestration only."""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from regsite.assemble import assemble_site
from regsite.errors import ErrorReport, RegistryError
from regsite.fields import url_problem
from regsite.keys import PrivateKey
from regsite.load import LoadedSource, SourceLimits, load_source
from regsite.metadata.previous import DirectoryPrevious
from regsite.metadata.publish import check_trust, publish_metadata
from regsite.model import Package, Registry, Site
from regsite.package_file import read_package
from regsite.registry_file import read_registry
from regsite.render import Output
from regsite.render.api import render_api
from regsite.render.html import render_html
from regsite.render.search import render_search
from regsite.signatures import ThresholdResult
from regsite.theme import load_theme
from regsite.validate import validate_site
from regsite.verify import PinnedRoot, verify_package_index, verify_registry_file
from regsite.write import SITE_MARKER, write_site

__all__ = [
    "BuildOptions",
    "BuildResult",
    "SourceInspection",
    "build",
    "inspect_source",
    "read_site",
    "render_site",
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


@dataclass(frozen=True, kw_only=True, slots=True)
class BuildResult:
    site: Site
    files: int
    bytes: int
    seconds: float


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
    registry = read_registry(loaded.registry, report) if loaded.registry else None
    if registry is not None:
        registry = dataclasses.replace(registry, root_history=loaded.root_history)
        check_trust(registry, report)
    verifications: dict[str, ThresholdResult] = {}
    packages: dict[str, Package] = {}
    if registry is not None and loaded.registry is not None:
        result = verify_registry_file(registry, loaded.registry, report, pinned)
        verifications[loaded.registry.path] = result
        registry = dataclasses.replace(
            registry, source=dataclasses.replace(registry.source, verification=result)
        )
    for package in loaded.packages:
        verdict = None
        if registry is not None:
            verdict = verify_package_index(registry, package.name, package.index, report)
        if verdict is not None:
            verifications[package.index.path] = verdict
        modelled = read_package(package, verdict, report)
        if modelled is not None:
            packages[modelled.name] = modelled
    return SourceInspection(
        loaded=loaded,
        registry=registry,
        packages=packages,
        verifications=verifications,
        report=report,
    )


def read_site(options: BuildOptions) -> Site:
    """Every stage up to the model; raise :class:`BuildError` listing all problems found."""
    inspection = inspect_source(options.source, options.limits, options.pinned_root)
    report, registry = inspection.report, inspection.registry
    if registry is not None:
        present = inspection.loaded.directories
        validate_site(registry, inspection.packages, present, report)
        if options.base_url is not None:
            if (problem := url_problem(options.base_url)) is not None:
                report.add("--base-url", "", problem)
            registry = dataclasses.replace(registry, base_url=options.base_url)
    _fail_closed(inspection)
    report.raise_if_any(str(options.source))
    assert registry is not None  # a missing registry is always reported
    return assemble_site(registry, inspection.packages, options.source_date_epoch)


def _fail_closed(inspection: SourceInspection) -> None:
    """A second guard: no unverified file gets through, even if no stage reported a problem."""
    for path, verdict in inspection.verifications.items():
        if not verdict.verified and not inspection.report:
            inspection.report.add(path, "", "signatures did not verify")


def render_site(site: Site, theme_override: Path | None = None) -> Output:
    theme = load_theme(theme_override)
    output = render_api(site)
    output.update(render_html(site, theme))
    output.update(render_search(site))
    return output


def build(options: BuildOptions) -> BuildResult:
    """Build the site; on any problem raise before writing, leaving the output untouched."""
    started = time.perf_counter()
    site = read_site(options)
    output = render_site(site, options.theme)
    if options.online_key is not None:
        output.update(_sign(site, output, options))
    written = write_site(output, options.output, keep=options.source)
    seconds = time.perf_counter() - started
    log.info("built %d packages into %s in %.2fs", len(site.packages), options.output, seconds)
    return BuildResult(site=site, files=written.files, bytes=written.bytes, seconds=seconds)


def _sign(site: Site, output: Output, options: BuildOptions) -> Output:
    previous = options.previous
    if previous is None and (options.output / SITE_MARKER).is_file():
        previous = options.output
    assert options.online_key is not None
    now = options.signing_time or datetime.now(UTC)
    reader = None if previous is None else DirectoryPrevious(previous)
    if reader is None:
        log.warning("no previous site: metadata versions start at 1")
    return publish_metadata(output, site.registry, options.online_key, now, reader)


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
