"""Portable packages' costs (issue 15's targets): the same corpus built with and without them.

Run ``python bench/portable_bench.py --packages 10000 --without REV``; docs/portable.md has the
figures.  The corpus is scale_bench's (``source.write_source``).  "Without" is regsite at git
revision REV (a commit before portable packages, checked out into a temporary worktree and run
with its ``generator/`` first on PYTHONPATH); "with" is this tree.  Each variant gets a cold
signed build (empty output, empty cache) in its own child process, alternating, ``--repeat``
times; the medians of wall time and bytes are compared.  Then "with" rebuilds after one package
publishes one more release, and its summary says how many packages were rendered and how many
closures changed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from footprint import measure_footprint
from measure_child import run_measured
from scale_bench import in_place_index, one_more_release
from source import BenchSource, write_source

ROOT = Path(__file__).resolve().parent.parent
VARIANTS = ("without", "with")
PORTABLE = ("api/v1/shards/", "api/v1/closures/")


def build(source: Path, key: Path, output: Path, cache: Path) -> list[str]:
    return [
        sys.executable, "-m", "regsite", "build", str(source), "-o", str(output),
        "--online-key", str(key), "--cache", str(cache), "--quiet",
    ]  # fmt: skip


def environment(generator: Path) -> dict[str, str]:
    # without SOURCE_DATE_EPOCH: the builds date the site themselves
    env = {name: value for name, value in os.environ.items() if name != "SOURCE_DATE_EPOCH"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(generator), env.get("PYTHONPATH")]))
    return env


def portable_bytes(site: Path) -> tuple[int, int]:
    """Bytes and files under the shards and closures directories."""
    sizes = [p.stat().st_size for prefix in PORTABLE for p in (site / prefix).rglob("*.json")]
    return sum(sizes), len(sizes)


def cold(work: Path, variant: str, generator: Path, source: BenchSource) -> dict[str, float]:
    site, cache = work / f"site-{variant}", work / f"cache-{variant}"
    for path in (site, cache):
        shutil.rmtree(path, ignore_errors=True)
    command = build(source.directory, source.online_key, site, cache)
    child = run_measured(command, work / f"log-{variant}", environment(generator))
    tree = measure_footprint(site)
    extra, files = portable_bytes(site)
    return {
        "seconds": child.seconds,
        "bytes": tree.served,
        "files": tree.files,
        "peak_rss": child.peak_rss,
        "portable_bytes": extra,
        "portable_files": files,
    }


def rebuild_summary(work: Path, source: BenchSource, seed: int) -> str:
    """'with' rebuilds after one more release of one package; its summary lines."""
    site, cache = work / "site-with", work / "cache-with"
    command = build(source.directory, source.online_key, site, cache)
    command.remove("--quiet")
    with one_more_release(source, in_place_index(len(source.specs)), seed):
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    lines = result.stdout.splitlines()
    return "\n".join(line for line in lines if "rendered" in line or "closures" in line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--releases", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--without", required=True, metavar="REV", help="regsite before portable")
    parser.add_argument("--work", type=Path, help="keep the corpus and sites here")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="portable-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    base = work / "without-tree"
    shutil.rmtree(base, ignore_errors=True)
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run(
        [*git, "add", "--detach", str(base), args.without], check=True, capture_output=True
    )
    try:
        source = write_source(work / "source", args.packages, args.releases, args.seed)
        generators = {"without": base / "generator", "with": ROOT / "generator"}
        runs: dict[str, list[dict[str, float]]] = {v: [] for v in VARIANTS}
        for _ in range(args.repeat):
            for variant in VARIANTS:
                generator = generators[variant]
                runs[variant].append(cold(work, variant, generator, source))
        summary = rebuild_summary(work, source, args.seed)
    finally:
        subprocess.run([*git, "remove", "--force", str(base)], check=False, capture_output=True)
    report(args, runs, summary, in_place_index(len(source.specs)))
    return 0


def report(
    args: argparse.Namespace, runs: dict[str, list[dict[str, float]]], summary: str, index: int
) -> None:
    median = {
        v: {k: statistics.median(r[k] for r in runs[v]) for k in runs[v][0]} for v in VARIANTS
    }
    without, with_ = median["without"], median["with"]
    figures = {
        "packages": args.packages,
        "releases_each": args.releases,
        "repeat": args.repeat,
        "without": without,
        "with": with_,
        "bytes_ratio": with_["bytes"] / without["bytes"],
        "files_ratio": with_["files"] / without["files"],
        "cold_ratio": with_["seconds"] / without["seconds"],
        "portable_share_of_bytes": with_["portable_bytes"] / with_["bytes"],
        "rebuild_after_one_release_of_package_index": index,
        "rebuild_summary": summary,
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    sys.exit(main())
