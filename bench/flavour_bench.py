#!/usr/bin/env python3
"""What the flavours cost: the files and bytes each adds per package, and the build time with
them on against off, both flavours side by side in one run (issue 13).

    .venv/bin/python bench/flavour_bench.py                  # 10,000 packages x 10 releases
    .venv/bin/python bench/flavour_bench.py --packages 1000  # a quick check

A registry has one version scheme, and each flavour needs its own (python: "pep440", cargo:
"semver"), so "both flavours on" is two registries built from the same generated corpus
(bench/source.py, every artifact external, so what is measured is the flavours' own files):

    python  the PEP 440 corpus, without flavours and with ``[flavours] python = true``
    cargo   the same corpus in SemVer, without flavours and with ``[flavours.cargo]`` (its crates
            at the artifacts' URLs through a ``dl`` template)

Each repeat builds the four sources cold (fresh output and cache), in one fixed interleaved
order, with ``regsite build SRC -o OUT --online-key KEY --cache DIR --quiet``, each in its own
process.  Reported per flavour: files and bytes under its directory and added to the whole site
per package (signed metadata included), and wall-clock and CPU seconds (the workers included) of
its builds; and "both": the two registries' builds summed, on against off.  bench/README.md
("Flavours") has the method and the figures.
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
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from footprint import METADATA, files_under, measure_footprint
from source import BenchSource, write_source

TARGET_OVERHEAD = 0.15  # issue 13: both flavours on cost at most 15% more build time
FLAVOURS = {"python": "simple/", "cargo": "cargo/"}  # each flavour and where its files live
SIDES = ("off", "on")
Pick = Callable[[list[float]], float]  # min, or the median


@dataclass(frozen=True, slots=True)
class Footprint:
    files: int  # every file, content-addressed copies and metadata/ included
    bytes: int
    flavour_files: int  # under the flavour's directory
    flavour_bytes: int
    metadata_bytes: int  # metadata/: TUF's signed metadata, which grows with every target


def footprint(site: Path, directory: str) -> Footprint:
    tree = measure_footprint(site)
    flavour_files = flavour_bytes = metadata = 0
    for relative, entry in files_under(site):
        size = entry.stat(follow_symlinks=False).st_size
        if relative.startswith(directory):
            flavour_files += 1
            flavour_bytes += size
        elif relative.startswith(METADATA):
            metadata += size
    return Footprint(tree.files, tree.served, flavour_files, flavour_bytes, metadata)


def build_seconds(source: Path, out: Path, key: Path, jobs: int | None) -> tuple[float, float]:
    """Wall and CPU seconds (user and system, the workers included) of one cold build."""
    command = [sys.executable, "-m", "regsite", "build", str(source), "-o", str(out)]
    command += ["--online-key", str(key), "--cache", str(out.with_name(out.name + "-cache"))]
    command += ["--quiet", *([] if jobs is None else ["--jobs", str(jobs)])]
    start = time.perf_counter()
    # without SOURCE_DATE_EPOCH: the builds date the site themselves
    environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=environment)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} exited with {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime


def write_sources(args: argparse.Namespace, work: Path) -> dict[tuple[str, str], BenchSource]:
    def write(flavour: str, side: str) -> BenchSource:
        on = side == "on"
        return write_source(
            work / f"source-{flavour}-{side}",
            args.packages,
            args.releases,
            args.seed,
            semver=flavour == "cargo",
            cargo=flavour == "cargo" and on,
            python=flavour == "python" and on,
        )

    return {(flavour, side): write(flavour, side) for flavour in FLAVOURS for side in SIDES}


def measure(args: argparse.Namespace, work: Path) -> dict[str, object]:
    sources = write_sources(args, work)
    wall: dict[str, list[float]] = {f"{f} {side}": [] for f in FLAVOURS for side in SIDES}
    cpu: dict[str, list[float]] = {label: [] for label in wall}
    for repeat in range(args.repeat):
        for (flavour, side), source in sources.items():
            out = work / f"site-{flavour}-{side}-{repeat}"
            seconds, used = build_seconds(source.directory, out, source.online_key, args.jobs)
            wall[f"{flavour} {side}"].append(seconds)
            cpu[f"{flavour} {side}"].append(used)
    figures: dict[str, object] = {"packages": args.packages, "releases": args.releases}
    figures["wall_runs"], figures["cpu_runs"] = wall, cpu
    for flavour, directory in FLAVOURS.items():
        off, on = (footprint(work / f"site-{flavour}-{side}-0", directory) for side in SIDES)
        figures[flavour] = flavour_figures(args.packages, off, on, wall, cpu, [flavour])
    figures["both"] = flavour_figures(args.packages, None, None, wall, cpu, list(FLAVOURS))
    return figures


def flavour_figures(
    packages: int,
    off: Footprint | None,
    on: Footprint | None,
    wall: dict[str, list[float]],
    cpu: dict[str, list[float]],
    flavours: list[str],
) -> dict[str, object]:
    """The time overheads of ``flavours``' builds summed, on against off, and the footprint."""

    def summed(runs: dict[str, list[float]], side: str, pick: Pick) -> float:
        return sum(pick(runs[f"{flavour} {side}"]) for flavour in flavours)

    found: dict[str, object] = {
        "overhead_median": summed(wall, "on", statistics.median)
        / summed(wall, "off", statistics.median)
        - 1,
        # On a shared machine other work only ever slows a run down: the fastest runs are the
        # steadier comparison, and CPU seconds (the work, not the waiting) the steadiest.
        "overhead_fastest": summed(wall, "on", min) / summed(wall, "off", min) - 1,
        "overhead_cpu": summed(cpu, "on", statistics.median) / summed(cpu, "off", statistics.median)
        - 1,
    }
    if off is not None and on is not None:
        found |= {
            "off": asdict(off),
            "on": asdict(on),
            "per_package": {
                "flavour_files": on.flavour_files / packages,
                "flavour_bytes": on.flavour_bytes / packages,
                "site_files_added": (on.files - off.files) / packages,
                "site_bytes_added": (on.bytes - off.bytes) / packages,
                "metadata_bytes_added": (on.metadata_bytes - off.metadata_bytes) / packages,
            },
        }
    return found


def table(figures: dict[str, object]) -> str:
    wall: dict[str, list[float]] = figures["wall_runs"]  # type: ignore[assignment]
    cpu: dict[str, list[float]] = figures["cpu_runs"]  # type: ignore[assignment]
    header = ["| figure | " + " | ".join(FLAVOURS) + " | both |", "| --- | --- | --- | --- |"]
    rows = [
        *(
            (f"Cold build, flavour {side} (wall s: min / median / max)", spread_row(wall, side))
            for side in SIDES
        ),
        *(
            (f"Cold build, flavour {side} (CPU s: min / median / max)", spread_row(cpu, side))
            for side in SIDES
        ),
        ("Build time overhead (fastest runs)", overhead_row(figures, "overhead_fastest")),
        ("Build time overhead (medians)", overhead_row(figures, "overhead_median")),
        ("CPU time overhead (medians)", overhead_row(figures, "overhead_cpu")),
        ("Files under the flavour's directory per package", per_row(figures, "flavour_files")),
        ("Bytes under the flavour's directory per package", per_row(figures, "flavour_bytes")),
        ("Site files added per package", per_row(figures, "site_files_added")),
        ("Site bytes added per package (metadata/ included)", per_row(figures, "site_bytes_added")),
        ("of which metadata/ per package", per_row(figures, "metadata_bytes_added")),
    ]
    lines = [f"| {name} | {' | '.join(cells)} |" for name, cells in rows]
    target = f"target: both flavours on cost at most {TARGET_OVERHEAD:.0%} more build time"
    return "\n".join([*header, *lines, "", target])


def spread_row(runs: dict[str, list[float]], side: str) -> list[str]:
    cells = []
    for flavour in FLAVOURS:
        times = runs[f"{flavour} {side}"]
        cells.append(_spread(times))
    summed = [sum(group) for group in zip(*(runs[f"{f} {side}"] for f in FLAVOURS), strict=True)]
    return [*cells, _spread(summed)]


def _spread(times: list[float]) -> str:
    return f"{min(times):.1f} / {statistics.median(times):.1f} / {max(times):.1f}"


def overhead_row(figures: dict[str, object], key: str) -> list[str]:
    return [f"{figures[name][key]:+.1%}" for name in (*FLAVOURS, "both")]  # type: ignore[index]


def per_row(figures: dict[str, object], key: str) -> list[str]:
    cells = []
    for flavour in FLAVOURS:
        value = figures[flavour]["per_package"][key]  # type: ignore[index]
        cells.append(f"{value:.2f}" if key.endswith("files") else f"{value:,.0f}")
    return [*cells, "-"]


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
