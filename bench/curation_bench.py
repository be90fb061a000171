#!/usr/bin/env python3
"""What curated constraints cost, and what one change to them renders again (issue 15).

    .venv/bin/python bench/curation_bench.py                  # 2,000 packages x 10 releases
    .venv/bin/python bench/curation_bench.py --packages 500   # a quick check

The generated corpus (bench/source.py) is built cold twice, without curators and with one
curator who has staged a new major release of the most depended-upon packages
(``regsite curate stage NAME 999.0.0``, so every dependent release gets an upper bound).  Then,
with the memo warm, one package's amendments file changes (one more amendment, signed) and the
site is built again; and, to compare, one owner's package.toml changes (a new release).  Each
row gives the build's wall-clock seconds, the packages it rendered and the site's bytes
(docs/curation.md; the render key declares a package's amendments, docs/decisions.md 24).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from source import BenchSource, add_release, bench_key, write_source

from regsite.build import BuildOptions, build
from regsite.commands.curate import AddOptions, StageOptions, curate_add, curate_stage
from regsite.commands.sign import EditOptions, sign_file
from regsite.keys import load_private_key, write_private_key
from regsite.options import BuildResult

STAGED_VERSION = "999.0.0"  # above every generated version: each bound narrows nothing away


@dataclass(frozen=True, slots=True)
class Row:
    build: str
    seconds: float
    rendered: int
    packages: int
    bytes: int


def declare_curator(source: BenchSource, seed: int) -> Path:
    """A curator of every package, declared in registry.toml and signed by the root key."""
    key = bench_key(seed, "curator")
    path = source.directory.parent / f"{source.directory.name}-keys" / "curator.key"
    if not path.exists():
        write_private_key(path, key)
    registry = source.directory / "registry.toml"
    entry = f'\n[curators.bench-ci]\nname = "Bench CI"\nkeys = ["{key.public}"]\npackages = ["*"]\n'
    registry.write_bytes(registry.read_bytes() + entry.encode())
    root = load_private_key(str(source.online_key.parent / "root.key"))
    sign_file(registry, root)
    return path


def most_depended_upon(source: BenchSource, count: int) -> list[str]:
    used: dict[str, int] = {}
    for spec in source.specs:
        for name in {name for release in spec.releases for name, _ in release.requires}:
            used[name] = used.get(name, 0) + 1
    return sorted(used, key=lambda name: (-used[name], name))[:count]


def stage(source: BenchSource, curator: Path, names: Sequence[str]) -> int:
    """Stage a major release of each of ``names``; the number of amendments added."""
    edit = EditOptions(source=source.directory, sign=(str(curator),))
    return sum(len(curate_stage(StageOptions(edit=edit, name=n, version=STAGED_VERSION)).ranges)
               for n in names)  # fmt: skip


def amend_once_more(source: BenchSource, curator: Path, name: str) -> str:
    """One more amendment on package ``name``'s first dependency: the amended package's name."""
    spec = next(s for s in source.specs if s.releases[-1].requires and s.name != name)
    dependency = spec.releases[-1].requires[0][0]
    options = AddOptions(
        edit=EditOptions(source=source.directory, sign=(str(curator),)),
        name=spec.name,
        releases="*",
        dependency=dependency,
        upper_bound="998.0.0",
        kind="build",
        reason="one more bound, for the benchmark",
    )
    curate_add(options)
    return spec.name


def timed(name: str, source: BenchSource, out: Path, cache: Path, jobs: int | None) -> Row:
    key = load_private_key(str(source.online_key))
    options = BuildOptions(source=source.directory, output=out, online_key=key, cache=cache,
                           jobs=jobs)  # fmt: skip
    started = time.perf_counter()
    result: BuildResult = build(options)
    seconds = time.perf_counter() - started
    return Row(name, seconds, result.rendered, len(result.site.packages), result.bytes)


def measure(args: argparse.Namespace, work: Path) -> list[Row]:
    plain = write_source(work / "plain", args.packages, args.releases)
    rows = [timed("cold, no curators", plain, work / "out-plain", work / "c-plain", args.jobs)]
    curated = write_source(work / "curated", args.packages, args.releases)
    curator = declare_curator(curated, 1)
    staged = most_depended_upon(curated, args.staged)
    added = stage(curated, curator, staged)
    print(f"staged {', '.join(staged)}: {added} amendments", file=sys.stderr)
    out, cache = work / "out-curated", work / "c-curated"
    rows.append(timed(f"cold, {added} amendments", curated, out, cache, args.jobs))
    rows.append(timed("warm, nothing changed", curated, out, cache, args.jobs))
    amended = amend_once_more(curated, curator, staged[0])
    rows.append(timed(f"warm, {amended}'s amendments changed", curated, out, cache, args.jobs))
    newest = curated.specs[0].releases[-1]
    spec = add_release(curated, 0, replace(newest, version="500.0.0"))
    rows.append(timed(f"warm, {spec.name} got a release", curated, out, cache, args.jobs))
    return rows


def table(rows: Sequence[Row]) -> str:
    base = rows[0]
    lines = [
        "| build | seconds | vs cold, none | packages rendered | site bytes | vs none |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row.build} | {row.seconds:.1f} | {row.seconds / base.seconds:.2f}x"
            f" | {row.rendered} of {row.packages} | {row.bytes:,} | {row.bytes / base.bytes:.4f}x |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", type=int, default=2000)
    parser.add_argument("--releases", type=int, default=10)
    parser.add_argument("--staged", type=int, default=5, help="packages with a staged release")
    parser.add_argument("-j", "--jobs", type=int, default=None)
    parser.add_argument("--work", type=Path, help="keep the sources and sites here")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="curation-bench-"))
    try:
        print(table(measure(args, work)))
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
