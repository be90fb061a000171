"""Flavour benchmark (issue 13): what the Python flavour adds to a build, in files, bytes and time.

    python bench/flavour_bench.py --packages 10000 --releases 10

One generated registry (bench/source.py: signed, every artifact external) is built twice in the
same run, cold each time (empty output, no cache), in child processes, alternating: as generated,
and with ``[flavours] python = true`` in its registry.toml (re-signed with the bench root key).
Reported: the files and bytes each build writes (TUF's content-addressed copies included, as a
host stores them), what the flavour adds per package, and the build time with it on over off
(median over --repeats).  bench/README.md says how to read the figures.
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
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from source import bench_key, write_source

from regsite.signatures import FileKind, dump_signature_file, sign_bytes

FLAVOUR_TABLE = b"\n[flavours]\npython = true\n"
TARGET_TIME_RATIO = 1.15  # issue 13: both flavours on cost at most 15% more build time


@dataclass(frozen=True, slots=True)
class Tree:
    files: int
    bytes: int
    simple_files: int  # under simple/, content-addressed copies included
    simple_bytes: int


def measure_tree(root: Path) -> Tree:
    files = size = simple_files = simple_size = 0
    for directory, _, names in os.walk(root):
        inside = Path(directory).relative_to(root).parts[:1] == ("simple",)
        for name in names:
            length = (Path(directory) / name).stat().st_size
            files, size = files + 1, size + length
            if inside:
                simple_files, simple_size = simple_files + 1, simple_size + length
    return Tree(files, size, simple_files, simple_size)


def enable_python(source: Path, seed: int) -> None:
    """Turn the flavour on and sign registry.toml again with the bench's root key."""
    registry = source / "registry.toml"
    content = registry.read_bytes() + FLAVOUR_TABLE
    registry.write_bytes(content)
    key = bench_key(seed, "root")
    signature = sign_bytes(key, FileKind.REGISTRY, content)
    (source / "registry.toml.sig").write_bytes(dump_signature_file((signature,)))


def cold_build(source: Path, output: Path, online_key: Path, jobs: int | None) -> float:
    shutil.rmtree(output, ignore_errors=True)
    command = [sys.executable, "-m", "regsite", "build", str(source), "-o", str(output)]
    command += ["--online-key", str(online_key), "--quiet"]
    command += [] if jobs is None else ["--jobs", str(jobs)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}):\n{result.stderr}")
    return seconds


def run(args: argparse.Namespace, work: Path) -> dict[str, object]:
    off = work / "source"
    generated = write_source(off, args.packages, args.releases, args.seed)
    on = work / "source-python"
    shutil.copytree(off, on)
    enable_python(on, args.seed)
    times: dict[str, list[float]] = {"off": [], "on": []}
    for _ in range(args.repeats):
        for label, source in (("off", off), ("on", on)):
            output = work / f"site-{label}"
            times[label].append(cold_build(source, output, generated.online_key, args.jobs))
    trees = {label: measure_tree(work / f"site-{label}") for label in ("off", "on")}
    return report(args, times, trees)


def report(
    args: argparse.Namespace, times: dict[str, list[float]], trees: dict[str, Tree]
) -> dict[str, object]:
    off, on = trees["off"], trees["on"]
    seconds = {label: statistics.median(values) for label, values in times.items()}
    return {
        "packages": args.packages,
        "releases_each": args.releases,
        "repeats": args.repeats,
        "seconds": seconds,
        "runs": times,  # every cold build's seconds, in the order run
        "time_ratio": seconds["on"] / seconds["off"],
        "target_time_ratio": TARGET_TIME_RATIO,
        "files": {"off": off.files, "on": on.files},
        "bytes": {"off": off.bytes, "on": on.bytes},
        "simple": {"files": on.simple_files, "bytes": on.simple_bytes},
        "added_per_package": {
            "files": (on.files - off.files) / args.packages,
            "bytes": (on.bytes - off.bytes) / args.packages,
        },
    }


def show(figures: dict[str, object]) -> str:
    seconds = figures["seconds"]
    added = figures["added_per_package"]
    assert isinstance(seconds, dict) and isinstance(added, dict)
    lines = [
        f"{figures['packages']:,} packages x {figures['releases_each']} releases,"
        f" median of {figures['repeats']} cold build(s) each",
        f"build without flavours: {seconds['off']:.1f} s; with python: {seconds['on']:.1f} s"
        f" (x{figures['time_ratio']:.3f}; target at most x{TARGET_TIME_RATIO})",
        f"files: {figures['files']}; bytes: {figures['bytes']}",
        f"the python flavour adds per package: {added['files']:.2f} files,"
        f" {added['bytes']:,.0f} bytes (content-addressed copies included)",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000, help="default 10,000")
    parser.add_argument("--releases", type=int, default=10, help="per package; default 10")
    parser.add_argument("--repeats", type=int, default=1, help="cold builds of each; default 1")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, help="regsite build --jobs (default: every core)")
    parser.add_argument("--work", type=Path, help="keep the sources and sites here")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="regsite-flavour-bench-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        figures = run(args, work)
    print(show(figures))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
