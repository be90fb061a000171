#!/usr/bin/env python3
"""What the cargo flavour costs: files and bytes it adds per package, and the build time with it
on against off, on one semver corpus in one run.

    .venv/bin/python bench/flavour_bench.py                 # 10,000 packages x 10 releases
    .venv/bin/python bench/flavour_bench.py --packages 1000 # a quick check

Both sources are the same corpus (``source.write_source(..., semver=True)``), the second with
``[flavours.cargo]`` on (its crates at the artifacts' URLs, so no files are hosted: what is
measured is the index).  Each repeat builds both cold (fresh output and cache), off then on,
with ``regsite build SRC -o OUT --online-key KEY --cache DIR --quiet``.  bench/README.md has the
method and the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from scale_bench import (
    METADATA,
    build_env,
    files_under,
    measure_tree,
    regsite_flags,
    regsite_supports,
)
from source import write_source

FLAVOUR_DIRS = ("cargo/",)  # what the cargo flavour writes


@dataclass(frozen=True, slots=True)
class Footprint:
    files: int  # every file, content-addressed copies and metadata/ included
    bytes: int
    flavour_files: int  # under cargo/, copies included
    flavour_bytes: int
    metadata_bytes: int  # metadata/: TUF's signed metadata, which grows with every target


def footprint(site: Path) -> Footprint:
    tree = measure_tree(site)
    flavour_files = flavour_bytes = metadata = 0
    for relative, entry in files_under(site):
        size = entry.stat(follow_symlinks=False).st_size
        if relative.startswith(FLAVOUR_DIRS):
            flavour_files += 1
            flavour_bytes += size
        elif relative.startswith(METADATA):
            metadata += size
    return Footprint(tree.files, tree.bytes, flavour_files, flavour_bytes, metadata)


def build_seconds(source: Path, out: Path, key: Path, jobs: int | None) -> tuple[float, float]:
    """Wall and CPU seconds (user and system, the workers included) of one cold build."""
    flags = regsite_flags(regsite_supports(), out.with_name(out.name + "-cache"), jobs)
    command = [sys.executable, "-m", "regsite", "build", str(source), "-o", str(out)]
    command += ["--online-key", str(key), *flags]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=build_env())
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} exited with {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def measure(args: argparse.Namespace, work: Path) -> dict[str, object]:
    sources = {
        flavour: write_source(
            work / f"source-{flavour}",
            args.packages,
            args.releases,
            args.seed,
            semver=True,
            cargo=flavour == "on",
        )
        for flavour in ("off", "on")
    }
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    cpu: dict[str, list[float]] = {"off": [], "on": []}
    for repeat in range(args.repeat):
        for flavour, source in sources.items():
            out = work / f"site-{flavour}-{repeat}"
            wall, used = build_seconds(source.directory, out, source.online_key, args.jobs)
            seconds[flavour].append(wall)
            cpu[flavour].append(used)
    off, on = (footprint(work / f"site-{flavour}-0") for flavour in ("off", "on"))
    cold = {flavour: statistics.median(times) for flavour, times in seconds.items()}
    fastest = {flavour: min(times) for flavour, times in seconds.items()}
    return {
        "packages": args.packages,
        "releases": args.packages * args.releases,
        "cold_seconds": cold,
        "cold_fastest": fastest,
        "cold_runs": seconds,
        "cpu_runs": cpu,
        # CPU seconds count the work, not the waiting: the steadiest figure on a shared machine.
        "overhead_cpu": statistics.median(cpu["on"]) / statistics.median(cpu["off"]) - 1,
        "overhead": cold["on"] / cold["off"] - 1,
        # On a shared machine other work only ever slows a run down: the fastest runs are the
        # steadier comparison.
        "overhead_fastest": fastest["on"] / fastest["off"] - 1,
        "off": asdict(off),
        "on": asdict(on),
        "per_package": {
            "flavour_files": on.flavour_files / args.packages,
            "flavour_bytes": on.flavour_bytes / args.packages,
            "site_files_added": (on.files - off.files) / args.packages,
            "site_bytes_added": (on.bytes - off.bytes) / args.packages,
            "metadata_bytes_added": (on.metadata_bytes - off.metadata_bytes) / args.packages,
        },
    }


def table(figures: dict[str, object]) -> str:
    runs: dict[str, list[float]] = figures["cold_runs"]  # type: ignore[assignment]
    cpu: dict[str, list[float]] = figures["cpu_runs"]  # type: ignore[assignment]
    per: dict[str, float] = figures["per_package"]  # type: ignore[assignment]

    def spread(times: list[float]) -> str:
        return f"{min(times):.1f} / {statistics.median(times):.1f} / {max(times):.1f}"

    rows = [
        ("Cold build, flavour off (s: min / median / max)", spread(runs["off"])),
        ("Cold build, cargo flavour on (s: min / median / max)", spread(runs["on"])),
        ("CPU seconds, flavour off (min / median / max)", spread(cpu["off"])),
        ("CPU seconds, cargo flavour on (min / median / max)", spread(cpu["on"])),
        ("CPU time overhead (medians)", f"{figures['overhead_cpu']:+.1%}"),
        ("Build time overhead (fastest runs)", f"{figures['overhead_fastest']:+.1%}"),
        ("Build time overhead (medians)", f"{figures['overhead']:+.1%}"),
        ("Files under cargo/ per package (copies included)", f"{per['flavour_files']:.2f}"),
        ("Bytes under cargo/ per package", f"{per['flavour_bytes']:,.0f}"),
        ("Site files added per package", f"{per['site_files_added']:.2f}"),
        ("Site bytes added per package (metadata/ included)", f"{per['site_bytes_added']:,.0f}"),
        ("of which metadata/ per package", f"{per['metadata_bytes_added']:,.0f}"),
    ]
    lines = ["| figure | value |", "| --- | --- |"]
    return "\n".join(lines + [f"| {name} | {value} |" for name, value in rows])


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000, help="default 10,000")
    parser.add_argument("--releases", type=int, default=10, help="of each package; default 10")
    parser.add_argument("--seed", type=int, default=1, help="picks the corpus; default 1")
    parser.add_argument("--jobs", type=int, help="regsite build --jobs (default: regsite's)")
    parser.add_argument("--repeat", type=int, default=1, help="cold builds of each (median)")
    parser.add_argument("--work", type=Path, help="keep the sources and sites here")
    parser.add_argument("--json-out", type=Path, help="write the figures here as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="regsite-flavour-bench-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        figures = measure(args, work)
    print(table(figures))
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
