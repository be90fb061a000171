"""After validation: render every output, write it, sign it, commit it (build.py's second half).

Packages are finished first (:func:`regsite.outputs.render_packages`), then the site-wide files
(the API's entry points, the home, search and 404 pages, the search index, the build report),
then the signed metadata over the targets, then the commit.  What the output holds afterwards is
recorded in the memo for the next build (:class:`~regsite.outputs.Published`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from regsite.advisories.publish import advisory_files
from regsite.assemble import Site
from regsite.catalog import Catalog
from regsite.errors import OutputError
from regsite.feed.stage import FeedRun, feed_outputs
from regsite.keys import PrivateKey
from regsite.memo import Memo
from regsite.metadata.layout import FileInfo, content_addressed_path, has_copy, is_target
from regsite.metadata.previous import DirectoryPrevious, RoleMemo
from regsite.metadata.publish import publish_metadata
from regsite.model import Registry
from regsite.options import BuildOptions, BuildResult
from regsite.outputs import (
    Published,
    put_site_files,
    read_seal,
    render_packages,
    seal_of,
    site_producer,
)
from regsite.portable import PortableOutcome, check_releases, publish_closures
from regsite.progress import Stages
from regsite.render import Output
from regsite.render.api import API_ROOT, dump_json, site_api
from regsite.render.browse_pages import browse_pages
from regsite.render.crawl import crawler_files
from regsite.render.flavours import site_flavour_outputs
from regsite.render.html import SEARCH_PAGE, site_pages
from regsite.render.search import Shard, search_files, search_packages, shards_key_of_digests
from regsite.report import (
    REPORT_PATH,
    BuildChanges,
    PreviousOutput,
    compare_builds,
    report_document,
)
from regsite.scan import PackageContext
from regsite.theme import Theme, load_theme
from regsite.write import SITE_MARKER, CommitResult, OutputWriter, Writer, WrittenFile

__all__ = ["SiteRun", "publish_site", "write_output"]

log = logging.getLogger(__name__)

_PACKAGE_DOCS = f"{API_ROOT}/packages/"
_BROWSE = "browse"  # the producers of the listing, owner and keyword pages: one per page
_SITE_PAGES = ("index.html", SEARCH_PAGE)  # the site pages a sitemap lists besides those
_SOURCES = f"{API_ROOT}/sources/"


@dataclass(frozen=True, slots=True)
class SiteRun:
    options: BuildOptions
    site: Site
    catalog: Catalog
    writer: Writer
    stages: Stages


def publish_site(run: SiteRun) -> BuildResult:
    """Everything after validation; the result's time and stages are the caller's to fill."""
    site, catalog, writer, stages = run.site, run.catalog, run.writer, run.stages
    theme = load_theme(run.options.theme)
    out = writer.output
    previous = run.options.previous or out
    published = Published.load(catalog.memo, out, read_seal(_read(out, REPORT_PATH)))
    context = _package_context(run, theme)
    jobs = run.options.workers
    with stages.stage("closures"):
        manifests, changed = publish_closures(site, catalog, writer, published)
    with stages.stage("render", len(site.packages)) as advance:
        closures = manifests.hashes
        rendered = render_packages(site, catalog, context, published, closures, jobs, advance)
    with stages.stage("consistency"):
        elapsed = sum(stages.times.values())
        portable = check_releases(site, catalog, manifests, changed, jobs, elapsed)
    with stages.stage("site pages"):
        _put_site_pages(run, theme, published)
    with stages.stage("search"):
        put_site_files(writer, published, _search(site, catalog.memo), site_producer("search"))
    with stages.stage("report"):
        changes = _report(run, published, previous)
    if run.options.online_key is not None:
        with stages.stage("sign"):
            _sign(run, published, previous)
    with stages.stage("commit"):
        commit = _commit(run, published)
    return _result(run, published, commit, rendered, changes, portable)


def _package_context(run: SiteRun, theme: Theme) -> PackageContext:
    """What every package's render reads besides the package itself."""
    catalog, site = run.catalog, run.site
    return PackageContext(
        catalog.root,
        catalog.limits,
        site.registry,
        theme,
        run.writer,
        amendments=site.amendments,
        advisories=catalog.advisories.by_package,
        files=run.options.files,
    )


def _put_site_pages(run: SiteRun, theme: Theme, published: Published) -> None:
    """The site-wide files: the API index, the pages, advisories, the flavours' indexes, the
    listings and what crawlers read."""
    site = run.site
    shared = site_api(site)
    shared.update(site_pages(site, theme))
    shared.update(advisory_files(site.registry, run.catalog.advisories.advisories))
    shared.update(site_flavour_outputs(site))  # simple/index.html, cargo/config.json
    pages = [(path, site.updated) for path in _SITE_PAGES] + _browse(run, theme, published)
    shared.update(crawler_files(site, pages))  # robots.txt, sitemap.xml
    put_site_files(run.writer, published, shared)


def _commit(run: SiteRun, published: Published) -> CommitResult:
    """Move the staged files in, delete the stale ones, and save what was published."""
    writer = run.writer
    stale = published.stale(writer.consistent) if published.trusted else None
    commit = writer.commit(_paths(published, writer.consistent), stale)
    published.save()
    return commit


def _result(
    run: SiteRun,
    published: Published,
    commit: CommitResult,
    rendered: int,
    changes: BuildChanges,
    portable: PortableOutcome,
) -> BuildResult:
    files, size = _footprint(published, run.writer.consistent)
    return BuildResult(
        site=run.site,
        files=files,
        bytes=size,
        seconds=0.0,
        written=commit.written,
        unchanged=commit.unchanged,
        removed=commit.removed,
        rendered=rendered,
        reused=run.catalog.reused,
        stages=(),
        changes=changes,
        closures=portable.manifests_rendered,
        closures_changed=portable.closures_changed,
        warnings=portable.warnings(run.site),
    )


def _browse(run: SiteRun, theme: Theme, published: Published) -> list[tuple[str, datetime | None]]:
    """The listings, owner and keyword pages; gives each page's path and date for the sitemap.

    Thousands of pages at 100,000 packages: each is its own producer, kept without rendering
    when what it shows (its inputs) is what the output's copy was rendered from."""
    consistent = run.writer.consistent
    pages = []
    for page in browse_pages(run.site, theme):
        producer = f"{_BROWSE} {page.path}"
        key = run.catalog.memo.key(_BROWSE, [page.inputs])
        kept = published.unchanged(producer, key, consistent)
        if kept is None:
            held = published.held(producer).get(page.path)
            kept = (run.writer.put(page.path, page.content, held=held),)
        published.record(producer, key, kept)
        pages.append((page.path, page.updated))
    return pages


def _read(out: Path | None, path: str) -> bytes | None:
    if out is None:
        return None
    try:
        return (out / path).read_bytes()
    except OSError:
        return None


def _report(run: SiteRun, published: Published, previous: Path | None) -> BuildChanges:
    """The build report and the change feed (what changed), with the seal of every other
    output for the next build to check."""
    site, writer = run.site, run.writer
    files = {file.path: file for entry in published.new.values() for file in entry[1]}
    reader = None
    if previous is not None and (previous / SITE_MARKER).is_file():
        recorded = {f.path: f.sha256 for entry in published.old.values() for f in entry[1]}
        changed = _changed(files, previous, writer.output, recorded)
        reader = PreviousOutput(previous, changed, partial(_staged, writer))
    changes = compare_builds(site, reader)
    advisories = run.catalog.advisories.advisories
    feed = FeedRun(site, changes, advisories, None if reader is None else previous)
    put_site_files(writer, published, feed_outputs(feed), site_producer("feed"))
    published.sealed = seal_of(published.new)
    document = {**report_document(changes), "outputs": published.sealed}
    kept = None if reader is None else reader.report_bytes()
    content = dump_json(document)
    if changes.empty and kept is not None and read_seal(kept) == published.sealed:
        content = kept  # the last build that changed anything: no churn
    published.record(site_producer("report"), b"", [writer.put(REPORT_PATH, content)])
    return changes


def _staged(writer: Writer, path: str) -> bytes | None:
    """This build's bytes of a file it changed (staged, not committed yet)."""
    try:
        return writer.read_staged(path)
    except (OutputError, KeyError):
        return None


def _changed(
    files: Mapping[str, WrittenFile],
    previous: Path,
    out: Path | None,
    recorded: Mapping[str, str],
) -> set[str]:
    """The package documents and signed sources that differ from the previous site's: the
    record of the last build says (a file deleted by hand and written again is no change), or
    else the writer, which knows which differ from the output; ``--previous`` elsewhere is
    compared by hash."""
    documents = {
        path: file for path, file in files.items() if path.startswith((_PACKAGE_DOCS, _SOURCES))
    }
    if out is not None and previous.resolve() == out.resolve():
        return {
            path
            for path, file in documents.items()
            if (recorded[path] != file.sha256 if path in recorded else file.changed)
        }
    changed = set()
    for path, file in documents.items():
        old = _read(previous, path)
        if old is None or hashlib.sha256(old).hexdigest() != file.sha256:
            changed.add(path)
    return changed


def _sign(run: SiteRun, published: Published, previous: Path | None) -> None:
    """The signed metadata over the targets, and the old versions kept online."""
    key = run.options.online_key
    assert key is not None
    targets = {
        file.path: FileInfo(file.size, file.sha256)
        for entry in published.new.values()
        for file in entry[1]
        if is_target(file.path)
    }
    reader = None
    if previous is not None and (previous / SITE_MARKER).is_file():
        reader = DirectoryPrevious(previous)
    else:
        log.info("no previous site: metadata versions start at 1")
    memo = RoleMemo(known=run.catalog.memo.get("roles", b"targets") or {})
    now = run.options.signing_time or datetime.now(UTC)
    output = publish_metadata(targets, run.site.registry, key, now, reader, memo)
    run.catalog.memo.put("roles", b"targets", memo.current)
    files = [run.writer.put(path, content, copied=False) for path, content in output.items()]
    published.record(site_producer("metadata"), b"", files)


def _paths(published: Published, consistent: bool) -> set[str]:
    paths = set()
    for entry in published.new.values():
        for file in entry[1]:
            paths.add(file.path)
            if consistent and has_copy(file.path):
                paths.add(content_addressed_path(file.path, file.sha256))
    return paths


def _footprint(published: Published, consistent: bool) -> tuple[int, int]:
    """Files and bytes a host serves, content-addressed copies counted as files of their own."""
    files = size = 0
    for entry in published.new.values():
        for file in entry[1]:
            copies = 2 if consistent and has_copy(file.path) else 1
            files += copies
            size += copies * file.size
    return files, size


def _search(site: Site, memo: Memo) -> dict[str, bytes]:
    """The search index; its shards from the memo when no package's search text or number of
    dependents changed (known from each package's digest of them, without reading the text)."""
    packages = search_packages(site)
    digests = {name: summary.search_digest for name, summary in site.packages.items()}
    key = shards_key_of_digests((p.name, digests[p.name], p.dependents) for p in packages)
    return dict(search_files(packages, _ShardMemo(memo), key=key))


@dataclass(frozen=True, slots=True)
class _ShardMemo:
    """The search shards of the last build, in the memo."""

    memo: Memo

    def load(self, key: str) -> list[Shard] | None:
        found = self.memo.get("search", bytes.fromhex(key))
        return None if found is None else [Shard(*shard) for shard in found]

    def store(self, key: str, shards: Iterable[Shard]) -> None:
        self.memo.put("search", bytes.fromhex(key), [tuple(shard) for shard in shards])


def write_output(
    output: Output,
    out: Path,
    *,
    signed: tuple[Registry, PrivateKey, datetime] | None = None,
    previous: Path | None = None,
) -> CommitResult:
    """Write files to ``out`` as a build writes its own, signed when ``signed`` gives the
    registry, the online key and the signing time (tests and tools: a tampered build)."""
    writer = OutputWriter.open(out, None, consistent=signed is not None)
    try:
        files = [writer.put(path, content) for path, content in sorted(output.items())]
        paths = {file.path for file in files}
        if signed is not None:
            registry, key, now = signed
            targets = {f.path: FileInfo(f.size, f.sha256) for f in files if is_target(f.path)}
            reader = None if previous is None else DirectoryPrevious(previous)
            metadata = publish_metadata(targets, registry, key, now, reader)
            paths.update(
                content_addressed_path(path, info.sha256) for path, info in targets.items()
            )
            paths.update(
                writer.put(path, data, copied=False).path for path, data in metadata.items()
            )
        return writer.commit(paths)
    except BaseException:
        writer.discard()
        raise
