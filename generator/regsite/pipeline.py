"""The per-package stages of a build, run in worker processes and looked up in the cache.

A build handles each package twice:

1. **scan** (load, verify, model): read ``packages/<name>/``, check its signatures and model it;
   keep only its :class:`PackageSummary`.  Its README is checked against the README limits and
   read for headings only if its signatures verified (:mod:`regsite.readme`).  Keyed by the
   digest of the package's files and of ``registry.toml``, so an unchanged package is never
   parsed or verified again; and before that by the stat of those files (:func:`source_stamp`),
   so an unchanged package is not even read.
2. **render**, once every summary is known (a page lists its package's dependents): check the
   package's requirements against the other packages (:func:`check_requirements`), render its
   JSON, page and sources, and put them through the writer.  Keyed by the scan digest, the
   package's dependents and the registry-wide inputs of a page (registry.toml, theme, base URL,
   regsite's version), so an unchanged package whose files are still in the output is not
   rendered at all (:func:`reuse_rendered`).

The build's process looks every package up (stat calls and dictionary lookups, no reading);
only the packages it misses go to workers, forked with the stage's context already in memory
(:func:`run`), so nothing but package names and small results cross process boundaries.  The
workers end with the build's process, however it ends.  Each pass of Markdown work over a README
runs within the README's CPU-time budget (:mod:`regsite.budget`).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from regsite import __version__
from regsite.budget import OutOfTime, cpu_budget
from regsite.buildindex import (
    SourceStamp,
    freeze,
    pack_summary,
    pack_verdict,
    thaw,
    thaw_files,
    unpack_summary,
    unpack_verdict,
)
from regsite.cache import BuildCache, digest_of
from regsite.errors import ErrorReport, RegistryError, SourceProblem
from regsite.hosted import hosted_digest_parts, hosted_outputs, hosted_problems, hosted_stamp
from regsite.load import PACKAGE_FILE, PACKAGES_DIR, LoadedPackage, SourceLimits, load_package
from regsite.model import Package, Registry, Site
from regsite.package_file import read_package
from regsite.readme import checked_readme, over_budget, readme_path
from regsite.render.api import package_api
from regsite.render.flavours import cargo, package_flavour_outputs
from regsite.render.html import package_page_path, render_package_page
from regsite.render.markdown import render_readme
from regsite.signatures import ThresholdResult
from regsite.summary import PackageSummary, summarize
from regsite.theme import Theme
from regsite.validate import requirement_problems
from regsite.verify import verify_package_index
from regsite.versions import DEFAULT_SCHEME
from regsite.write import OutputWriter, WrittenFile

__all__ = [
    "RenderContext",
    "Rendered",
    "ScanContext",
    "Scanned",
    "check_requirements",
    "default_jobs",
    "model_package",
    "page_digest",
    "render_key",
    "render_package",
    "reuse_rendered",
    "run",
    "scan_package",
    "source_stamp",
]

log = logging.getLogger(__name__)

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

_context: Any = None  # the running stage's context, inherited by forked workers


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run(
    work: Callable[[_Item], _Result],
    items: Sequence[_Item],
    context: object,
    jobs: int,
    done: Callable[[_Result], None],
) -> None:
    """Call ``work`` on every item in ``jobs`` forked processes, ``done`` on each result as it
    comes (in any order).  One process, or no fork on this platform, runs them here instead."""
    global _context
    _context = context
    try:
        forkable = "fork" in multiprocessing.get_all_start_methods()
        if jobs <= 1 or len(items) < 2 * jobs or not forkable:
            for item in items:
                done(work(item))
            return
        chunk = max(1, min(64, len(items) // (jobs * 8)))
        pool = multiprocessing.get_context("fork").Pool(
            jobs, initializer=_worker_started, initargs=(os.getpid(),)
        )
        # Leaving the block terminates the workers, also on an error or Ctrl-C (KeyboardInterrupt)
        # in this process; if this process is killed, the kernel ends them (_worker_started).
        with pool:
            for result in pool.imap_unordered(work, items, chunksize=chunk):
                done(result)
    finally:
        _context = None


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _worker_started(parent: int) -> None:
    """Tie a worker's life to the build's process: a worker that outlived a killed build would
    go on using a core, for hours if it was stuck in a bad input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's process to handle
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            log.warning("worker %d outlives its build if killed: prctl failed", os.getpid())
    if os.getppid() != parent:  # the build died before the line above took effect
        os._exit(1)


# Scan ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanContext:
    root: Path
    limits: SourceLimits
    registry: Registry | None  # None when registry.toml is unusable: packages are still checked
    registry_digest: str  # registry.toml, its signatures, the limits and regsite's version
    cache: BuildCache
    known: Mapping[str, bytes] = field(default_factory=dict)  # the last build's, by digest
    stamp_before: int = 0  # ns: files changed since may change again unnoticed, so not stamped


@dataclass(frozen=True, slots=True)
class Scanned:
    name: str
    digest: str
    summary: PackageSummary | None  # None when the package could not be modelled
    verification: ThresholdResult | None
    problems: tuple[SourceProblem, ...]
    cached: bool = False
    stamp: SourceStamp | None = None  # the files' stat when they were read, if trustworthy

    def freeze(self) -> bytes:
        """For the build index (:mod:`regsite.buildindex`), without the stamp."""
        summary, verdict = self.summary, self.verification
        return freeze(
            (
                self.name,
                self.digest,
                None if summary is None else pack_summary(summary),
                None if verdict is None else pack_verdict(verdict),
                self.problems,
            )
        )

    @classmethod
    def thaw(cls, frozen: bytes, stamp: SourceStamp | None) -> Scanned:
        name, digest, summary, verdict, problems = thaw(frozen)
        return cls(
            name,
            digest,
            None if summary is None else unpack_summary(summary),
            None if verdict is None else unpack_verdict(verdict),
            problems,
            cached=True,
            stamp=stamp,
        )


def scan_package(item: tuple[str, SourceStamp | None]) -> Scanned:
    """``item``: the package and its :func:`source_stamp`, taken before anything is read (a
    later change gives a new stamp)."""
    context: ScanContext = _context
    name, stamp = item
    digest = _package_digest(context, name)
    hit = context.known.get(digest)
    if hit is not None:
        return Scanned.thaw(hit, stamp)
    report = ErrorReport()
    loaded = load_package(context.root, name, report, context.limits)
    verdict, package = model_package(context.registry, loaded, report, context.limits, context.root)
    summary = None
    if package is not None:
        summary = _summarize(context.limits, package, digest, report)
        context.cache.put("package", digest, package)
    return Scanned(name, digest, summary, verdict, tuple(report), stamp=stamp)


def _summarize(
    limits: SourceLimits, package: Package, digest: str, report: ErrorReport
) -> PackageSummary | None:
    """The package's summary; reading its README's headings for search has the README's time
    budget."""
    if package.readme is None:
        return summarize(package, digest)
    try:
        with cpu_budget(limits.readme_seconds):
            return summarize(package, digest)
    except OutOfTime:
        report.add(readme_path(package), "", over_budget(limits, "reading its headings"))
        return None


def source_stamp(context: ScanContext, name: str) -> SourceStamp | None:
    """The stat of every file :func:`_package_digest` reads, or None when one of them changed
    too recently to be told apart from a change that has the same size and time."""
    directory = f"{context.root}/{PACKAGES_DIR}/{name}"
    stamp = []
    try:
        with os.scandir(directory) as entries:
            for entry in entries:
                entry_name = entry.name
                if entry_name in _STAMPED or entry_name.endswith(".md"):
                    found = entry.stat()
                    if max(found.st_mtime_ns, found.st_ctime_ns) >= context.stamp_before:
                        return None
                    stamp.append(
                        (
                            entry_name,
                            found.st_size,
                            found.st_mtime_ns,
                            found.st_ctime_ns,
                            found.st_ino,
                        )
                    )
    except OSError:
        return None
    for hosted in hosted_stamp(directory) or ():
        if max(hosted[2], hosted[3]) >= context.stamp_before:
            return None
        stamp.append(hosted)
    stamp.sort()
    return tuple(stamp)


_STAMPED = frozenset({PACKAGE_FILE, f"{PACKAGE_FILE}.sig"})


def model_package(
    registry: Registry | None,
    loaded: LoadedPackage | None,
    report: ErrorReport,
    limits: SourceLimits | None = None,
    root: Path | None = None,
) -> tuple[ThresholdResult | None, Package | None]:
    """Verify a loaded package against the registry (when there is one) and model it; its
    README is kept only if its signatures verified and it keeps the README limits.  With the
    source's ``root``, its hosted files are checked too."""
    if loaded is None:
        return None, None
    verdict = None
    if registry is not None:
        verdict = verify_package_index(registry, loaded.name, loaded.index, report)
    # Without a usable registry.toml the build fails anyway; its packages are still checked.
    scheme = DEFAULT_SCHEME if registry is None else registry.version_scheme
    package = read_package(loaded, verdict, report, scheme=scheme)
    if package is not None and root is not None:
        report.extend(hosted_problems(root / PACKAGES_DIR / package.name, package))
    if package is not None and registry is not None:
        report.extend(cargo.package_problems(registry, package))
    return verdict, checked_readme(package, verdict, limits or SourceLimits(), report)


def _package_digest(context: ScanContext, name: str) -> str:
    """Over package.toml, its signatures and every Markdown file beside it (the README is one).

    A file larger than its limit is represented by its size: loading it reports the error.
    """
    directory = context.root / PACKAGES_DIR / name
    parts: list[bytes | str] = [context.registry_digest, name]
    limits = context.limits
    try:
        entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
    except OSError:
        entries = []
    for entry in entries:
        if entry.name == PACKAGE_FILE:
            limit = limits.package_bytes
        elif entry.name == f"{PACKAGE_FILE}.sig":
            limit = limits.signature_bytes
        elif entry.name.endswith(".md"):
            limit = limits.readme_bytes
        else:
            continue
        parts.append(entry.name)
        try:
            size = entry.stat().st_size
            if not entry.is_file() or size > limit:
                parts.append(f"not read: {size} bytes, file={entry.is_file()}")
                continue
            parts.append(Path(entry.path).read_bytes())
        except OSError as exc:
            parts.append(f"unreadable: {exc.strerror}")
    return digest_of(parts + hosted_digest_parts(directory))


# Render ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenderContext:
    site: Site
    theme: Theme
    present: frozenset[str]  # every package directory, modelled or not
    writer: OutputWriter
    cache: BuildCache
    scan: ScanContext  # to model a package again when the cache no longer holds it
    known: Mapping[str, bytes] = field(default_factory=dict)  # frozen files, by render key
    checked: frozenset[str] = frozenset()  # requirement checks that passed, by key
    page_digest: str = ""  # what every package's outputs depend on besides the package itself


def page_digest(site: Site, theme: Theme, consistent: bool) -> str:
    """registry.toml, the theme, the base URL, signing and regsite's version."""
    registry = site.registry.source
    return digest_of(
        [
            __version__,
            theme.fingerprint,
            registry.content,
            registry.signature_content or b"",
            site.registry.base_url or "",
            str(consistent),
        ]
    )


@dataclass(frozen=True, slots=True)
class Rendered:
    name: str
    files: tuple[WrittenFile, ...]
    rendered: bool  # False when the outputs were already in place
    key: str = ""  # the render cache entry this build used
    frozen: bytes = b""  # the files as the build index holds them, when not rendered


def reuse_rendered(context: RenderContext, name: str) -> Rendered | None:
    """The package's outputs as a previous build left them, if its render key is known and
    its files are still in the output as that build wrote them; run in the build's process."""
    key = render_key(context, name)
    frozen = context.known.get(key)
    if frozen is None:
        return None
    files = thaw_files(frozen)
    if not context.writer.intact(files):
        return None
    return Rendered(name, files, rendered=False, key=key, frozen=frozen)


def render_key(context: RenderContext, name: str) -> str:
    """The package's scan digest, its dependents and what every page depends on."""
    dependents = context.site.dependents.get(name, ())
    return digest_of([context.page_digest, context.site.packages[name].digest, *dependents])


def render_package(name: str) -> Rendered:
    context: RenderContext = _context
    site = context.site
    summary = site.packages[name]
    package = context.cache.get("package", summary.digest)
    if not isinstance(package, Package):
        package = _model_again(context.scan, name, summary.digest)
    outputs = package_api(site, package)
    readme = _readme_html(context.scan.limits, package)
    outputs[package_page_path(name)] = render_package_page(site, context.theme, package, readme)
    outputs.update(package_flavour_outputs(site, package))
    outputs.update(hosted_outputs(context.scan.root / PACKAGES_DIR / name, package))
    written = tuple(context.writer.put(path, outputs[path]) for path in sorted(outputs))
    return Rendered(name, written, rendered=True, key=render_key(context, name))


def _readme_html(limits: SourceLimits, package: Package) -> str | None:
    """The package's README rendered within its time budget, or an error naming it."""
    if package.readme is None:
        return None
    try:
        with cpu_budget(limits.readme_seconds):
            return render_readme(package.readme.text)
    except OutOfTime:
        # A RegistryError, not a BuildError: it crosses from a worker process, so it must pickle.
        problem = over_budget(limits, "rendering it")
        raise RegistryError(f"{readme_path(package)}: {problem}") from None


def check_requirements(
    context: RenderContext, summary: PackageSummary
) -> tuple[str, tuple[SourceProblem, ...]]:
    """Checked again only when the package or a package it requires changed its versions."""
    site = context.site
    targets = sorted({requirement.name for requirement in summary.requirements})
    parts: list[bytes | str] = [summary.digest]
    for target in targets:
        found = site.packages.get(target)
        parts += [
            target,
            "\0".join(found.versions) if found else f"absent {target in context.present}",
        ]
    key = digest_of(parts)
    if key in context.checked:
        return key, ()
    scheme = site.registry.version_scheme
    return key, tuple(requirement_problems(summary, site.packages, context.present, scheme))


def _model_again(context: ScanContext, name: str, digest: str) -> Package:
    """The package as scanned, when the cache no longer holds its model."""
    report = ErrorReport()
    package = None
    if _package_digest(context, name) == digest:
        loaded = load_package(context.root, name, report, context.limits)
        package = model_package(context.registry, loaded, report, context.limits, context.root)[1]
    if package is None or report:
        raise RegistryError(f"packages/{name}: changed during the build; build again")
    return package
