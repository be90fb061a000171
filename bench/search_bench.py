"""Search benchmark (issue 3): index build time, index size and the cost of cold queries.

Run ``python bench/search_bench.py --packages 100000``; see bench/README.md for what each figure
means. A cold query is what a browser with an empty cache fetches: the manifest, the shards the
query reads and the record shards of those of the first page of hits (10) that no term shard it
read holds (a term shard holds the records of its terms' best documents); sizes are gzip level 6,
as a host that compresses JSON would send them.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import gzip
import json
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from corpus import make_model
from search_stage import StageFigures, StageReport, measure_stage

from regsite.assemble import Site
from regsite.model import Package
from regsite.render import Output
from regsite.render.api import package_api, site_api
from regsite.render.html import BROWSE_PACKAGES, render_package_page, site_pages
from regsite.render.search import render_search, search_order, search_packages
from regsite.search.format import RESULTS_PER_PAGE
from regsite.search.query import Searcher, SearchResults, Tier, one_typo_apart
from regsite.search.tokenizer import join_key, name_key, tokenize
from regsite.theme import Theme, load_theme

PAGE = RESULTS_PER_PAGE  # hits whose display records a browser fetches first (static/search.js)
HTML_SECONDS_LIMIT = 180.0  # render every package page only if that is projected to be faster
KB = 1000
KINDS = ("manifest", "terms", "names", "typos", "records")
SETS = ("exact", "typo", "text", "prefix")
# Text queries are drawn from a package's words, leaving out words nobody searches for.
STOPWORDS = frozenset(("a", "all", "and", "any", "for", "from", "in", "into", "of", "on", "over"))
STOPWORDS |= {"the", "to", "via", "with", "your"}
TARGETS = {
    "index_seconds": 30.0,
    "stage_peak_bytes": 300 * KB * KB,  # the stage's own peak memory, above its input's
    "median_query_bytes": 60 * KB,
    "median_query_requests": 15,
    "search_share": 0.30,
}

T = TypeVar("T")


# The index


def timed(function: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def kind_of(path: str) -> str:
    """``search/terms/3.json`` -> ``terms``; ``search/manifest.json`` -> ``manifest``."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 else "manifest"


def gzip_sizes(output: Output) -> dict[str, int]:
    return {path: len(gzip.compress(content, 6)) for path, content in output.items()}


@dataclass(frozen=True, slots=True)
class IndexFigures:
    files: dict[str, int]  # kind -> number of files
    raw_bytes: int
    gzip_bytes: int
    gzip_by_kind: dict[str, list[int]]  # kind -> sorted gzipped sizes

    def spread(self, kind: str) -> tuple[int, float, int]:
        sizes = self.gzip_by_kind.get(kind) or [0]
        return sizes[0], statistics.median(sizes), sizes[-1]


def index_figures(output: Output, sizes: Mapping[str, int]) -> IndexFigures:
    by_kind: dict[str, list[int]] = {kind: [] for kind in KINDS}
    for path, size in sizes.items():
        by_kind[kind_of(path)].append(size)
    return IndexFigures(
        files={kind: len(found) for kind, found in by_kind.items()},
        raw_bytes=sum(len(content) for content in output.values()),
        gzip_bytes=sum(sizes.values()),
        gzip_by_kind={kind: sorted(found) for kind, found in by_kind.items()},
    )


# The rest of the site


@dataclass(frozen=True, slots=True)
class HtmlFigures:
    how: str  # "rendered", "estimated" or "skipped"
    bytes: int
    seconds: float  # measured when rendered, projected from the sample when estimated
    sample: int  # package pages rendered for the estimate


def html_figures(
    site: Site, packages: Mapping[str, Package], mode: str, sample_size: int, rng: random.Random
) -> HtmlFigures:
    """All HTML if cheap enough (or ``mode == "full"``), else an estimate from a sample."""
    if mode == "skip":
        return HtmlFigures("skipped", 0, 0.0, 0)
    theme = load_theme()
    every = list(packages.values())
    sample = rng.sample(every, min(sample_size, len(every)))
    registry = site.registry
    pages, seconds = timed(lambda: [render_package_page(registry, theme, p) for p in sample])
    projected = seconds / len(sample) * len(every)
    if mode == "full" or (mode == "auto" and projected <= HTML_SECONDS_LIMIT):
        output, seconds = timed(lambda: [render_package_page(registry, theme, p) for p in every])
        size = sum(map(len, output)) + _fixed_html_bytes(site, theme)
        return HtmlFigures("rendered", size, seconds, 0)
    per_page = statistics.fmean(map(len, pages))
    estimate = _fixed_html_bytes(site, theme) + round(per_page * len(every))
    return HtmlFigures("estimated", estimate, projected, len(sample))


def _api(site: Site, packages: Iterable[Package]) -> dict[str, bytes]:
    """The JSON API: the registry's documents, and each package's (without its dependents)."""
    output = site_api(site)
    for package in packages:
        output.update(package_api(site.registry, package))
    return output


def _fixed_html_bytes(site: Site, theme: Theme) -> int:
    """Home, 404 and search pages and assets, rendered for a site of the most popular packages."""
    popular = search_order(site)[:BROWSE_PACKAGES]
    kept = {package.name: package for package in popular}
    recent = tuple(item for item in site.recent if item[0] in kept)
    small = dataclasses.replace(site, packages=kept, recent=recent)
    return sum(len(content) for content in site_pages(small, theme).values())


# Queries


@dataclass(frozen=True, slots=True)
class Query:
    kind: str  # one of SETS
    text: str
    target: str  # the package the query was made from


def exact_queries(rng: random.Random, names: Sequence[str], count: int) -> list[Query]:
    return [Query("exact", name, name) for name in rng.sample(names, count)]


def typo_queries(rng: random.Random, names: Sequence[str], count: int) -> list[Query]:
    """One edit to names of 5+ letters, never landing on another name or joined name."""
    taken = set(names) | {join_key(name) for name in names}
    candidates = [name for name in names if len(join_key(name)) >= 5]
    found: dict[str, Query] = {}
    while len(found) < count:
        name = rng.choice(candidates)
        typo = one_typo(rng, name)
        if typo in found or name_key(typo) in taken or join_key(typo) in taken:
            continue
        if one_typo_apart(join_key(typo), join_key(name)):
            found[typo] = Query("typo", typo, name)
    return list(found.values())


def one_typo(rng: random.Random, name: str) -> str:
    """Insert, delete, substitute or swap neighbouring letters; ``-`` is never touched."""
    letters = [at for at, char in enumerate(name) if char != "-"]
    at = rng.choice(letters)
    new = rng.choice([c for c in "abcdefghijklmnopqrstuvwxyz" if c != name[at]])
    edit = rng.choice(("insert", "delete", "substitute", "swap"))
    if edit == "insert":
        at = rng.randint(0, len(name))
        return name[:at] + new + name[at:]
    if edit == "delete":
        return name[:at] + name[at + 1 :]
    if edit == "swap" and at + 1 in letters and name[at] != name[at + 1]:
        return name[:at] + name[at + 1] + name[at] + name[at + 2 :]
    return name[:at] + new + name[at + 1 :]


def text_queries(rng: random.Random, packages: Sequence[Package], count: int) -> list[Query]:
    """Two words from one package's description and keywords."""
    found: list[Query] = []
    while len(found) < count:
        package = rng.choice(packages)
        words = tokenize(f"{package.description} {' '.join(package.keywords)}")
        words = [word for word in dict.fromkeys(words) if word not in STOPWORDS]
        if len(words) >= 2:
            found.append(Query("text", " ".join(rng.sample(words, 2)), package.name))
    return found


def prefix_queries(rng: random.Random, names: Sequence[str], count: int) -> list[Query]:
    """The first 3-5 characters of a name (a trailing ``-`` dropped)."""
    found: list[Query] = []
    while len(found) < count:
        name = rng.choice(names)
        prefix = name[: rng.randint(3, 5)].rstrip("-")
        if len(prefix) >= 3:
            found.append(Query("prefix", prefix, name))
    return found


def make_queries(site: Site, rng: random.Random, count: int) -> list[Query]:
    names = list(site.packages)
    packages = list(site.packages.values())
    return [
        *exact_queries(rng, names, count),
        *typo_queries(rng, names, count),
        *text_queries(rng, packages, count),
        *prefix_queries(rng, names, count),
    ]


# Cold queries


@dataclass(slots=True)
class CountingSource:
    """Serves the rendered search files from memory and records every load."""

    output: Output
    loaded: list[str] = field(default_factory=list)

    def load(self, path: str) -> Any:
        self.loaded.append(path)
        return json.loads(self.output[path])


@dataclass(frozen=True, slots=True)
class Measured:
    query: Query
    requests: int
    bytes: int  # gzipped
    by_kind: dict[str, tuple[int, int]]  # kind -> (requests, gzipped bytes)
    hits: int
    first: str | None  # the top hit's name
    first_tier: str | None
    suggestion: str | None
    outcome: str
    seconds: float


def run_query(output: Output, sizes: Mapping[str, int], query: Query) -> Measured:
    """A cold query: a fresh Searcher, then the records of the first PAGE hits."""
    source = CountingSource(output)
    start = time.perf_counter()
    searcher = Searcher(source)
    results = searcher.search(query.text)
    shown = [record.name for record in searcher.records([hit.doc for hit in results.hits[:PAGE]])]
    seconds = time.perf_counter() - start
    by_kind: dict[str, tuple[int, int]] = {}
    for path in source.loaded:
        requests, size = by_kind.get(kind_of(path), (0, 0))
        by_kind[kind_of(path)] = (requests + 1, size + sizes[path])
    return Measured(
        query=query,
        requests=len(source.loaded),
        bytes=sum(sizes[path] for path in source.loaded),
        by_kind=by_kind,
        hits=len(results.hits),
        first=shown[0] if shown else None,
        first_tier=results.hits[0].tier.name if results.hits else None,
        suggestion=results.suggestion,
        outcome=outcome(query, results, shown),
        seconds=seconds,
    )


def outcome(query: Query, results: SearchResults, shown: Sequence[str]) -> str:
    """How the query fared, in the terms its set is judged by."""
    first = shown[0] if shown else None
    if query.kind == "exact":
        return "ranked first" if first == query.target else "not first"
    if query.kind == "typo":
        if results.suggestion == query.target:
            return "suggested"
        if first == query.target:
            return "ranked first"
        return "other suggestion" if results.suggestion else "missed"
    if query.kind == "prefix" and (not results.hits or results.hits[0].tier > Tier.PREFIX):
        return "no name match"
    return f"source in top {PAGE}" if query.target in shown else "source not shown"


# Summaries


@dataclass(frozen=True, slots=True)
class SetSummary:
    name: str
    queries: int
    median_bytes: float
    max_bytes: int
    median_requests: float
    max_requests: int
    median_bytes_by_kind: dict[str, float]
    share_by_kind: dict[str, float]  # of all bytes the set's queries transferred
    outcomes: dict[str, int]


def summarise(name: str, measured: Sequence[Measured]) -> SetSummary:
    sizes = [m.bytes for m in measured]
    requests = [m.requests for m in measured]
    return SetSummary(
        name=name,
        queries=len(measured),
        median_bytes=statistics.median(sizes),
        max_bytes=max(sizes),
        median_requests=statistics.median(requests),
        max_requests=max(requests),
        median_bytes_by_kind={
            kind: statistics.median(m.by_kind.get(kind, (0, 0))[1] for m in measured)
            for kind in KINDS
        },
        share_by_kind={
            kind: sum(m.by_kind.get(kind, (0, 0))[1] for m in measured) / sum(sizes)
            for kind in KINDS
        },
        outcomes=dict(Counter(m.outcome for m in measured).most_common()),
    )


@dataclass(frozen=True, slots=True)
class Report:
    packages: int
    seed: int
    corpus_seconds: float
    stage: StageReport
    api_seconds: float
    index: IndexFigures
    api_bytes: int
    html: HtmlFigures
    sets: list[SetSummary]
    measured: list[Measured]

    @property
    def index_seconds(self) -> float:
        return self.stage.after.seconds

    @property
    def site_bytes(self) -> int:
        return self.index.raw_bytes + self.api_bytes + self.html.bytes

    @property
    def search_share(self) -> float:
        return self.index.raw_bytes / self.site_bytes

    def overall(self) -> SetSummary:
        return next(summary for summary in self.sets if summary.name == "all")

    def count(self, kind: str, result: str) -> int:
        return sum(1 for m in self.measured if m.query.kind == kind and m.outcome == result)


def kb(size: float) -> str:
    return f"{size / KB:,.1f} KB"


def mb(size: float) -> str:
    return f"{size / KB / KB:,.1f} MB"


def print_index(report: Report) -> None:
    index = report.index
    print(f"\nSearch index: {sum(index.files.values()):,} files, {mb(index.raw_bytes)} raw,")
    print(f"  {mb(index.gzip_bytes)} gzipped")
    for kind in KINDS:
        low, middle, high = index.spread(kind)
        total = sum(index.gzip_by_kind[kind])
        print(
            f"  {kind:8} {index.files[kind]:6,} files, {mb(total)} gzipped;"
            f" each {kb(low)} min / {kb(middle)} median / {kb(high)} max"
        )
    html = report.html
    print(f"\nSite bytes (raw): search {mb(index.raw_bytes)} + API {mb(report.api_bytes)}", end="")
    print(f" + HTML {mb(html.bytes)} = {mb(report.site_bytes)}")
    if html.how == "estimated":
        print(
            f"  HTML is an ESTIMATE: {html.sample:,} package pages rendered and scaled up,"
            f" plus the other pages; rendering all would take about {html.seconds:,.0f} s"
        )
    elif html.how == "skipped":
        print("  HTML was SKIPPED (--html skip): the share below ignores it")
    else:
        print(f"  HTML rendered in full in {html.seconds:,.1f} s")
    print("  Signed sources (package.toml, .sig, registry.toml) are empty in this corpus.")
    print(f"  Search files are {report.search_share:.1%} of the site's bytes")


def print_queries(report: Report) -> None:
    print(f"\nCold queries (gzipped bytes; records of the first {PAGE} hits included):")
    for summary in report.sets:
        print(
            f"  {summary.name:7} n={summary.queries:3}  bytes median {kb(summary.median_bytes)}"
            f" max {kb(summary.max_bytes)}; requests median {summary.median_requests:g}"
            f" max {summary.max_requests}"
        )
        print(f"          median per kind (share of bytes): {_per_kind(summary, labels=True)}")
        if summary.name != "all":
            print(f"          outcomes: {summary.outcomes}")
    misses = [
        m for m in report.measured if m.outcome in {"not first", "other suggestion", "missed"}
    ]
    for m in misses:
        print(
            f"  miss [{m.query.kind}] {m.query.text!r} (from {m.query.target!r}):"
            f" first {m.first!r} ({m.first_tier}), suggestion {m.suggestion!r}"
        )


def markdown_table(report: Report) -> str:
    overall = report.overall()
    count = overall.queries // len(SETS)
    exact = report.count("exact", "ranked first")
    suggested = report.count("typo", "suggested")
    typo_first = report.count("typo", "ranked first")
    index = report.index
    html_note = {"estimated": " (HTML estimated)", "skipped": " (HTML skipped)"}
    rows = [
        ("Figure", "Value", "Target", "Met"),
        ("Packages", f"{report.packages:,}", "100,000", ""),
        _target(
            "Search index build",
            f"{report.index_seconds:.1f} s",
            "<= 30 s",
            report.index_seconds <= TARGETS["index_seconds"],
        ),
        _target(
            "Search stage's own peak memory",
            mb(report.stage.after.own_peak),
            "<= 300 MB",
            report.stage.after.own_peak <= TARGETS["stage_peak_bytes"],
        ),
        _target(
            "Median cold query, transferred",
            kb(overall.median_bytes),
            "<= 60 KB",
            overall.median_bytes <= TARGETS["median_query_bytes"],
        ),
        _target(
            "Median cold query, requests",
            f"{overall.median_requests:g}",
            "<= 15",
            overall.median_requests <= TARGETS["median_query_requests"],
        ),
        ("Max cold query, transferred", kb(overall.max_bytes), "", ""),
        ("Max cold query, requests", str(overall.max_requests), "", ""),
        _target("Exact name ranked first", f"{exact}/{count}", f"{count}/{count}", exact == count),
        _target(
            "One typo: right name suggested",
            f"{suggested}/{count}",
            f"{count}/{count}",
            suggested == count,
        ),
        ("One typo: right name first, no suggestion", f"{typo_first}/{count}", "", ""),
        ("Search files, raw / gzipped", f"{mb(index.raw_bytes)} / {mb(index.gzip_bytes)}", "", ""),
        _target(
            "Search share of site bytes" + html_note.get(report.html.how, ""),
            f"{report.search_share:.1%}",
            "<= 30%",
            report.search_share <= TARGETS["search_share"],
        ),
    ]
    lines = [_row(row) for row in rows]
    lines.insert(1, _row(("---",) * 4))
    sets = [("Query set", "Median", "Max", "Median req.", "Max req.", "Outcomes")]
    for s in report.sets:
        outcomes = "; ".join(f"{name}: {n}" for name, n in s.outcomes.items())
        sets.append(
            (
                s.name,
                kb(s.median_bytes),
                kb(s.max_bytes),
                f"{s.median_requests:g}",
                str(s.max_requests),
                outcomes if s.name != "all" else "",
            )
        )
    lines += ["", _row(sets[0]), _row(("---",) * 6), *(_row(row) for row in sets[1:])]
    kinds = [("Query set", *(f"{kind}: median (share)" for kind in KINDS))]
    for s in report.sets:
        kinds.append((s.name, *_per_kind(s).split(", ")))
    lines += ["", _row(kinds[0]), _row(("---",) * (len(KINDS) + 1)), *map(_row, kinds[1:])]
    return "\n".join(lines)


def _per_kind(summary: SetSummary, labels: bool = False) -> str:
    return ", ".join(
        f"{kind + ' ' if labels else ''}{kb(summary.median_bytes_by_kind[kind])}"
        f" ({summary.share_by_kind[kind]:.0%})"
        for kind in KINDS
    )


def _target(label: str, value: str, target: str, met: bool) -> tuple[str, str, str, str]:
    return label, value, target, "yes" if met else "**no**"


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def report_json(report: Report) -> dict[str, Any]:
    return {
        "packages": report.packages,
        "seed": report.seed,
        "stage": dataclasses.asdict(report.stage),
        "seconds": {
            "corpus": report.corpus_seconds,
            "search_index": report.index_seconds,
            "api": report.api_seconds,
            "html": report.html.seconds,
        },
        "index": dataclasses.asdict(report.index),
        "api_bytes": report.api_bytes,
        "html": dataclasses.asdict(report.html),
        "site_bytes": report.site_bytes,
        "search_share": report.search_share,
        "targets": TARGETS,
        "sets": [dataclasses.asdict(summary) for summary in report.sets],
        "queries": [dataclasses.asdict(measured) for measured in report.measured],
    }


# Running


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--queries", type=int, default=50, help="queries in each of the 4 sets")
    parser.add_argument(
        "--html",
        choices=("auto", "full", "sample", "skip"),
        default="auto",
        help="auto: render every page if projected under 3 minutes, else estimate from a sample",
    )
    parser.add_argument("--html-sample", type=int, default=1000, help="pages for the estimate")
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run the search stage with generator/ at this git revision, side by side",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each stage measurement; the fastest is kept"
    )
    parser.add_argument(
        "--index-only",
        action="store_true",
        help="measure the search stage only: no site bytes, no queries",
    )
    parser.add_argument("--json-out", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="only profile the search index build and print the top 15 functions",
    )
    return parser.parse_args(argv)


def profile_index(site: Site) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(render_search, site)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(15)


def read_tree(root: Path) -> Output:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def stage_table(packages: int, stage: StageReport) -> str:
    """The search stage's figures, and the baseline revision's beside them when there is one."""
    before = stage.before
    header = ["Search stage", *([f"before ({stage.baseline})"] if before else []), "after"]
    if before:
        header.append("after / before")

    def row(label: str, value: Callable[[StageFigures], float], unit: str) -> list[str]:
        cells = [label, *([_amount(value(before), unit)] if before else [])]
        cells.append(_amount(value(stage.after), unit))
        if before:
            cells.append(f"{value(stage.after) / value(before):.2f}x")
        return cells

    rows = [
        row(f"{packages:,} packages: seconds", lambda f: f.seconds, "s"),
        row("peak memory above the input", lambda f: f.own_peak, "MB"),
        row("peak RSS of the process", lambda f: f.peak_rss, "MB"),
    ]
    for label, figures in (("empty memo", stage.memo_cold), ("warm memo", stage.memo_warm)):
        rows.append(_after_only(f"{label}: seconds / above the input", _pair(figures), before))
    files = f"{stage.after.files:,} files, {mb(stage.after.bytes)}"
    rows.append(_after_only("output", files, before))
    if before:
        rows[-1][1] = "identical" if before.tree == stage.after.tree else "**differs**"
    lines = [_row(header), _row(["---"] * len(header)), *(_row(cells) for cells in rows)]
    return "\n".join(lines)


def _after_only(label: str, value: str, before: StageFigures | None) -> list[str]:
    return [label, "", value, ""] if before else [label, value]


def _amount(value: float, unit: str) -> str:
    return f"{value:,.1f} s" if unit == "s" else mb(value)


def _pair(figures: StageFigures) -> str:
    return f"{figures.seconds:,.1f} s / {mb(figures.own_peak)}"


def measure(
    args: argparse.Namespace,
    site: Site,
    packages: Mapping[str, Package],
    corpus_seconds: float,
    stage: StageReport,
    output: Output,
) -> Report:
    rng = random.Random(args.seed)  # noqa: S311 - reproducible sampling, not cryptography
    api, api_seconds = timed(lambda: _api(site, packages.values()))
    api_bytes = sum(map(len, api.values()))
    del api
    print(f"JSON API rendered in {api_seconds:.1f} s", flush=True)
    html = html_figures(site, packages, args.html, args.html_sample, rng)
    print(f"HTML {html.how} ({html.seconds:.1f} s)", flush=True)
    sizes = gzip_sizes(output)
    queries = make_queries(site, rng, args.queries)
    measured = [run_query(output, sizes, query) for query in queries]
    sets = [summarise(name, [m for m in measured if m.query.kind == name]) for name in SETS]
    return Report(
        packages=len(site.packages),
        seed=args.seed,
        corpus_seconds=corpus_seconds,
        stage=stage,
        api_seconds=api_seconds,
        index=index_figures(output, sizes),
        api_bytes=api_bytes,
        html=html,
        sets=[*sets, summarise("all", measured)],
        measured=measured,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    (site, packages), corpus_seconds = timed(lambda: make_model(args.packages, args.seed))
    print(f"Corpus of {len(site.packages):,} packages generated in {corpus_seconds:.1f} s")
    if args.profile:
        profile_index(site)
        return 0
    with tempfile.TemporaryDirectory(prefix="regsite-search-bench-") as work:
        stage, out = measure_stage(search_packages(site), Path(work), args.baseline, args.repeat)
        print(
            f"Search stage measured in child processes:\n\n{stage_table(len(site.packages), stage)}"
        )
        if args.index_only:
            if args.json_out:
                _write_json(args.json_out, {"packages": len(site.packages), "stage": stage})
            return 0
        output = read_tree(out)
    report = measure(args, site, packages, corpus_seconds, stage, output)
    print_index(report)
    print_queries(report)
    print("\n" + markdown_table(report))
    if args.json_out:
        _write_json(args.json_out, report_json(report))
    return 0


def _write_json(path: Path, document: dict[str, Any]) -> None:
    as_dicts = {
        key: dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
        for key, value in document.items()
    }
    path.write_text(json.dumps(as_dicts, indent=1) + "\n")
    print(f"\nWrote {path}")


if __name__ == "__main__":
    sys.exit(main())
