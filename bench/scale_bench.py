"""Scale benchmark (issue 5): ``regsite build`` against dumb-pypi on the same registry.

Run ``python bench/scale_bench.py --packages 10000``; bench/README.md says what each figure means.
Both tools build the same generated registry: regsite a signed source directory
(``source.write_source``), dumb-pypi the same releases as ``--package-list-json`` lines. Each build
runs in its own child process, and a build's figures are that child's wall time and peak RSS
(``os.wait4``), and the bytes and count of the regular files in its output tree.

Per repeat, alternating the tools: a cold build of each (an empty output directory, and an empty
cache for regsite); then one package publishes one more release and each rebuilds into the same
output (regsite reads its previous output and its cache, dumb-pypi gets
``--previous-package-list-json``); then regsite rebuilds once more with nothing changed. Medians
over the repeats are reported. dumb-pypi is installed into bench/.venv-dumb-pypi on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
import filecmp
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from corpus import PackageSpec, ReleaseSpec
from packaging.version import Version
from source import BenchSource, add_release, dumb_pypi_lines, write_source

BENCH = Path(__file__).resolve().parent
DUMB_PYPI = "dumb-pypi"
DUMB_PYPI_VERSION = "1.15.0"
DUMB_PYPI_VENV = BENCH / ".venv-dumb-pypi"
PACKAGES_URL = "https://files.example.org/"
OPTIONAL_FLAGS = ("--cache", "--quiet", "--jobs")  # new in regsite build: used when listed
CHECK_LIMIT = 20_000  # packages: --check-identical is on by default up to here
NEW_RELEASE_SIZE = 100_000  # bytes
CONTENT_ADDRESSED = re.compile(r"[0-9a-f]{64}\.")  # TUF's <sha256>.<name> copies
METADATA = "metadata/"
# Says what changed since the previous build, so a rebuild's differs from a fresh build's.
BUILD_REPORT = "api/v1/build-report.json"
MB = 1000 * 1000
TOOLS = ("regsite", "dumb-pypi")
PHASES = ("cold", "rebuild", "noop")
TARGET_SCALE = 200_000  # packages: the absolute targets apply from here on
TARGETS = {
    "cold_ratio": 0.5,
    "rebuild_seconds": 1.0,
    "rebuild_ratio": 1 / 15,
    "bytes_ratio": 1 / 3,
    "cold_seconds_at_scale": 600.0,
    "peak_rss_at_scale": 2000 * MB,
}


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


# Child processes


@dataclass(frozen=True, slots=True)
class ChildRun:
    seconds: float  # wall time
    peak_rss: int  # bytes: ru_maxrss, the largest process of the child's tree
    status: int  # exit code


def failure(command: Sequence[str], status: int, stderr: str) -> str:
    return f"{shlex.join(command)} exited with {status}; its stderr:\n{stderr.rstrip()}"


def run_child(command: Sequence[str], env: dict[str, str] | None = None) -> ChildRun:
    """Run ``command`` to its end and measure it; raise with its stderr unless it exits 0."""
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=env)
        _, wait_status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        if process.returncode != 0:
            stderr.seek(0)
            text = stderr.read().decode(errors="replace")
            raise BenchError(failure(command, process.returncode, text))
    return ChildRun(seconds, usage.ru_maxrss * 1024, process.returncode)  # KiB on Linux


def run_captured(command: Sequence[str]) -> str:
    """Run a helper command (not measured); its stdout."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BenchError(failure(command, result.returncode, result.stderr))
    return result.stdout


def build_env() -> dict[str, str]:
    """This environment without SOURCE_DATE_EPOCH: the builds date the site themselves."""
    return {name: value for name, value in os.environ.items() if name != "SOURCE_DATE_EPOCH"}


# The tools


def installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = f"import importlib.metadata as m; print(m.version({DUMB_PYPI!r}))"
    result = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def install_dumb_pypi() -> Path:
    """dumb-pypi's executable, installed into DUMB_PYPI_VENV unless already there."""
    python = DUMB_PYPI_VENV / "bin" / "python"
    if installed_version(python) != DUMB_PYPI_VERSION:
        print(f"Installing {DUMB_PYPI}=={DUMB_PYPI_VERSION} into {DUMB_PYPI_VENV}", flush=True)
        run_captured([sys.executable, "-m", "venv", "--clear", str(DUMB_PYPI_VENV)])
        run_captured([str(python), "-m", "pip", "install", f"{DUMB_PYPI}=={DUMB_PYPI_VERSION}"])
    found = installed_version(python)
    if found != DUMB_PYPI_VERSION:
        raise BenchError(f"{DUMB_PYPI_VENV} has {DUMB_PYPI} {found}, not {DUMB_PYPI_VERSION}")
    return DUMB_PYPI_VENV / "bin" / DUMB_PYPI


def regsite_supports() -> frozenset[str]:
    """Which of OPTIONAL_FLAGS ``regsite build --help`` lists."""
    usage = run_captured([sys.executable, "-m", "regsite", "build", "--help"])
    return frozenset(
        flag for flag in OPTIONAL_FLAGS if re.search(rf"(?<![\w-]){flag}(?![\w-])", usage)
    )


def regsite_flags(supported: frozenset[str], cache: Path, jobs: int | None) -> list[str]:
    flags: list[str] = []
    if "--cache" in supported:
        flags += ["--cache", str(cache)]
    if "--quiet" in supported:
        flags.append("--quiet")
    if jobs is not None and "--jobs" in supported:
        flags += ["--jobs", str(jobs)]
    return flags


# The work directory and the commands


@dataclass(frozen=True, slots=True)
class Workspace:
    root: Path

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def keys(self) -> Path:
        return self.root / "source-keys"  # where write_source puts the keys

    @property
    def package_list(self) -> Path:
        return self.root / "dumb-pypi-packages.jsonl"

    @property
    def changed_list(self) -> Path:
        return self.root / "dumb-pypi-packages-changed.jsonl"

    @property
    def regsite_site(self) -> Path:
        return self.root / "regsite-site"

    @property
    def regsite_cache(self) -> Path:
        return self.root / "regsite-cache"

    @property
    def regsite_fresh(self) -> Path:
        return self.root / "regsite-fresh"

    @property
    def dumb_pypi_site(self) -> Path:
        return self.root / "dumb-pypi-site"

    def builds(self) -> tuple[Path, ...]:
        return (self.regsite_site, self.regsite_cache, self.regsite_fresh, self.dumb_pypi_site)


def remove(paths: Sequence[Path]) -> None:
    """Delete what an earlier run left at these paths."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


@dataclass(frozen=True, slots=True)
class Commands:
    regsite: list[str]  # the cold build, the rebuild and the no-op rebuild alike
    regsite_fresh: list[str]  # a cold build without cache, to check the rebuild against
    dumb_pypi_cold: list[str]
    dumb_pypi_rebuild: list[str]


def make_commands(
    work: Workspace, online_key: Path, flags: Sequence[str], dumb_pypi: Path, quiet: bool
) -> Commands:
    def regsite(output: Path, *extra: str) -> list[str]:
        build = [sys.executable, "-m", "regsite", "build", str(work.source), "-o", str(output)]
        return [*build, "--online-key", str(online_key), *extra]

    dumb = [str(dumb_pypi), "--output-dir", str(work.dumb_pypi_site)]
    dumb += ["--packages-url", PACKAGES_URL, "--no-generate-timestamp"]
    return Commands(
        regsite=regsite(work.regsite_site, *flags),
        regsite_fresh=regsite(work.regsite_fresh, *(["--quiet"] if quiet else [])),
        dumb_pypi_cold=[*dumb, "--package-list-json", str(work.package_list)],
        dumb_pypi_rebuild=[
            *dumb,
            "--package-list-json",
            str(work.changed_list),
            "--previous-package-list-json",
            str(work.package_list),
        ],
    )


# The corpus and the change


def next_release(spec: PackageSpec, seed: int) -> ReleaseSpec:
    """A release newer than the package's newest: its final version if that is a pre-release,
    else its patch number plus one; a day later, with the same requirements."""
    newest = spec.releases[-1]
    version = Version(newest.version)
    number = (*version.release[:-1], version.release[-1] + (0 if version.is_prerelease else 1))
    rng = random.Random(f"new release {seed}")  # noqa: S311 - reproducible, not cryptography
    return ReleaseSpec(
        version=".".join(map(str, number)),
        published=newest.published + timedelta(days=1),
        requires=newest.requires,
        yanked=False,
        size=NEW_RELEASE_SIZE,
        sha256=f"{rng.getrandbits(256):064x}",
    )


def generate(work: Workspace, args: argparse.Namespace) -> BenchSource:
    """The signed source and dumb-pypi's package lists, before and after the change."""
    remove([work.source, work.keys, work.package_list, work.changed_list])
    source = write_source(work.source, args.packages, args.releases, args.seed)
    work.package_list.write_text(dumb_pypi_lines(source.specs))
    index = changed_index(source)
    changed = list(source.specs)
    spec = changed[index]
    release = next_release(spec, args.seed)
    changed[index] = dataclasses.replace(spec, releases=(*spec.releases, release))
    work.changed_list.write_text(dumb_pypi_lines(changed))
    return source


def changed_index(source: BenchSource) -> int:
    return len(source.specs) // 2


@contextmanager
def one_more_release(source: BenchSource, seed: int) -> Iterator[PackageSpec]:
    """The package in the middle publishes one more release; its files are put back after."""
    index = changed_index(source)
    spec = source.specs[index]
    folder = source.directory / "packages" / spec.name
    saved = {path: path.read_bytes() for path in folder.iterdir()}
    try:
        yield add_release(source, index, next_release(spec, seed))
    finally:
        for path, content in saved.items():
            path.write_bytes(content)
        source.specs[index] = spec


# Output trees


@dataclass(frozen=True, slots=True)
class Tree:
    files: int
    bytes: int  # the sum of the regular files' sizes
    content_bytes: int  # the same without metadata/ and the content-addressed copies
    stored_bytes: int  # each file once however many hard links it has: what the disk holds


def files_under(root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every regular file under ``root``, with its path relative to it, ``/``-separated."""
    folders = [""]
    while folders:
        folder = folders.pop()
        with os.scandir(root / folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(f"{folder}{entry.name}/")
                elif entry.is_file(follow_symlinks=False):
                    yield folder + entry.name, entry


def is_tuf_file(relative: str) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return relative.startswith(METADATA) or CONTENT_ADDRESSED.match(name) is not None


def measure_tree(root: Path) -> Tree:
    files = total = content = stored = 0
    inodes = set()
    for relative, entry in files_under(root):
        found = entry.stat(follow_symlinks=False)
        files += 1
        total += found.st_size
        content += 0 if is_tuf_file(relative) else found.st_size
        if found.st_ino not in inodes:
            inodes.add(found.st_ino)
            stored += found.st_size
    return Tree(files, total, content, stored)


def depends_on_history(relative: str) -> bool:
    """metadata/ (its versions) and the build report (and its copies) depend on earlier builds."""
    folder, _, name = relative.rpartition("/")
    plain = f"{folder}/{CONTENT_ADDRESSED.sub('', name, count=1)}"
    return relative.startswith(METADATA) or plain == BUILD_REPORT


@dataclass(frozen=True, slots=True)
class Comparison:
    differing: list[str]  # only in one site, or other bytes; history and `kept` aside
    kept: int  # content-addressed copies only the rebuilt site has: the replaced versions


def compare_sites(rebuilt: Path, fresh: Path) -> Comparison:
    """Compare two sites file by file, leaving out what legitimately depends on earlier builds.

    A rebuild keeps the content-addressed copies of the files it replaced, for TUF clients that
    still hold the previous snapshot, so those are counted apart rather than as differences.
    """

    def listing(root: Path) -> dict[str, str]:
        return {rel: e.path for rel, e in files_under(root) if not depends_on_history(rel)}

    ours, theirs = listing(rebuilt), listing(fresh)
    kept = {rel for rel in ours.keys() - theirs.keys() if is_tuf_file(rel)}
    differing = sorted(
        relative
        for relative in (ours.keys() | theirs.keys()) - kept
        if relative not in ours
        or relative not in theirs
        or not filecmp.cmp(ours[relative], theirs[relative], shallow=False)
    )
    return Comparison(differing, len(kept))


# Running the builds

Runs = dict[str, dict[str, list[ChildRun]]]  # tool -> phase -> one run per repeat


def timed_build(runs: Runs, tool: str, phase: str, command: Sequence[str]) -> None:
    run = run_child(command, build_env())
    runs[tool][phase].append(run)
    print(f"  {tool:9} {phase:7} {run.seconds:8.2f} s {run.peak_rss / MB:8.1f} MB", flush=True)


def cold_builds(work: Workspace, commands: Commands, runs: Runs) -> None:
    remove(work.builds())
    timed_build(runs, "regsite", "cold", commands.regsite)
    timed_build(runs, "dumb-pypi", "cold", commands.dumb_pypi_cold)


def rebuilds(
    work: Workspace, commands: Commands, source: BenchSource, seed: int, runs: Runs, check: bool
) -> Comparison | None:
    """Both rebuilds after the change and regsite's no-op rebuild; with ``check``, the rebuilt
    site compared with a fresh build of the changed source."""
    with one_more_release(source, seed) as spec:
        print(f"  {spec.name} {spec.releases[-1].version} published", flush=True)
        timed_build(runs, "regsite", "rebuild", commands.regsite)
        timed_build(runs, "dumb-pypi", "rebuild", commands.dumb_pypi_rebuild)
        timed_build(runs, "regsite", "noop", commands.regsite)
        if not check:
            return None
        print("  checking the rebuilt site against a fresh build", flush=True)
        run_child(commands.regsite_fresh, build_env())
        return compare_sites(work.regsite_site, work.regsite_fresh)


@dataclass(frozen=True, slots=True)
class Results:
    packages: int
    releases: int
    seed: int
    cores: int
    dumb_pypi_version: str
    regsite_flags: list[str]
    generation_seconds: float
    runs: Runs
    trees: dict[str, Tree]  # tool -> its output after the first cold build
    check: Comparison | None  # rebuilt vs fresh regsite site; None when not checked

    def median(self, tool: str, phase: str, figure: str) -> float:
        values: list[float] = [getattr(run, figure) for run in self.runs[tool][phase]]
        return statistics.median(values)

    def ratio(self, phase: str, figure: str) -> float:
        """regsite's median over dumb-pypi's."""
        return self.median("regsite", phase, figure) / self.median("dumb-pypi", phase, figure)


def measure(
    args: argparse.Namespace, work: Workspace, source: BenchSource, commands: Commands
) -> tuple[Runs, dict[str, Tree], Comparison | None]:
    """Every repeat's builds; the trees and the check come from the first repeat."""
    runs: Runs = {tool: {phase: [] for phase in PHASES} for tool in TOOLS}
    check = args.check_identical
    if check is None:
        check = args.packages <= CHECK_LIMIT
    print(f"Repeat 1 of {args.repeat}:", flush=True)
    cold_builds(work, commands, runs)
    sites = {"regsite": work.regsite_site, "dumb-pypi": work.dumb_pypi_site}
    trees = {tool: measure_tree(site) for tool, site in sites.items()}
    comparison = rebuilds(work, commands, source, args.seed, runs, check)
    for repeat in range(2, args.repeat + 1):
        print(f"Repeat {repeat} of {args.repeat}:", flush=True)
        cold_builds(work, commands, runs)
        rebuilds(work, commands, source, args.seed, runs, check=False)
    return runs, trees, comparison


# Reporting


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    value: str
    met: bool | None  # None: does not apply at this size


def targets(results: Results) -> list[Target]:
    cold_ratio, rebuild_ratio = (results.ratio(phase, "seconds") for phase in ("cold", "rebuild"))
    rebuild = results.median("regsite", "rebuild", "seconds")
    cold = results.median("regsite", "cold", "seconds")
    peak = max(results.median("regsite", phase, "peak_rss") for phase in ("cold", "rebuild"))
    size = results.trees["regsite"].bytes / results.trees["dumb-pypi"].bytes
    at_scale = results.packages >= TARGET_SCALE
    scale = f" (at >= {TARGET_SCALE:,} packages)"
    return [
        Target(
            "Cold build <= 0.5x dumb-pypi's",
            f"{cold_ratio:.2f}x",
            cold_ratio <= TARGETS["cold_ratio"],
        ),
        Target("Rebuild <= 1 s", f"{rebuild:.2f} s", rebuild <= TARGETS["rebuild_seconds"]),
        Target(
            "Rebuild <= 1/15 of dumb-pypi's",
            f"{rebuild_ratio:.3f}x",
            rebuild_ratio <= TARGETS["rebuild_ratio"],
        ),
        Target(
            "Output bytes <= 1/3 of dumb-pypi's", f"{size:.2f}x", size <= TARGETS["bytes_ratio"]
        ),
        Target(
            "Cold build <= 600 s" + scale,
            f"{cold:.1f} s",
            cold <= TARGETS["cold_seconds_at_scale"] if at_scale else None,
        ),
        Target(
            "Peak memory <= 2 GB" + scale,
            f"{peak / MB:,.0f} MB",
            peak <= TARGETS["peak_rss_at_scale"] if at_scale else None,
        ),
    ]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return "\n".join([_row(header), _row(("---",) * len(header)), *map(_row, rows)])


def seconds(value: float) -> str:
    return f"{value:,.2f}"


def megabytes(value: float) -> str:
    return f"{value / MB:,.1f}"


def count(value: float) -> str:
    return f"{value:,.0f}"


def _compared(
    label: str, ours: float, theirs: float, shown: Callable[[float], str]
) -> tuple[str, ...]:
    return (label, shown(ours), shown(theirs), f"{ours / theirs:.2f}" if theirs else "")


def figures_table(results: Results) -> str:
    def compared(
        label: str, phase: str, figure: str, shown: Callable[[float], str]
    ) -> tuple[str, ...]:
        ours, theirs = (results.median(tool, phase, figure) for tool in TOOLS)
        return _compared(label, ours, theirs, shown)

    ours, theirs = results.trees["regsite"], results.trees["dumb-pypi"]
    noop = results.median("regsite", "noop", "seconds")
    rows = [
        compared("Cold build (s)", "cold", "seconds", seconds),
        compared("Rebuild after one package changes (s)", "rebuild", "seconds", seconds),
        ("No-op rebuild (s)", seconds(noop), "", ""),
        compared("Peak memory, cold (MB)", "cold", "peak_rss", megabytes),
        compared("Peak memory, rebuild (MB)", "rebuild", "peak_rss", megabytes),
        _compared("Output bytes (MB)", ours.bytes, theirs.bytes, megabytes),
        _compared(
            "Output bytes stored, hard links once (MB)",
            ours.stored_bytes,
            theirs.stored_bytes,
            megabytes,
        ),
        _compared(
            "Output bytes without metadata/ and content-addressed copies (MB)",
            ours.content_bytes,
            theirs.content_bytes,
            megabytes,
        ),
        _compared("Output files", ours.files, theirs.files, count),
    ]
    return _table(("Figure", "regsite", "dumb-pypi", "ratio regsite/dumb-pypi"), rows)


def targets_table(results: Results) -> str:
    met = {True: "yes", False: "**no**", None: "n/a"}
    rows = [(target.name, target.value, met[target.met]) for target in targets(results)]
    return _table(("Target (issue 5)", "regsite", "Met"), rows)


def check_line(comparison: Comparison | None) -> str:
    if comparison is None:
        return "incremental == cold: not checked"
    aside = f"{METADATA} and {BUILD_REPORT} left out, {comparison.kept:,} replaced copies kept"
    differing = comparison.differing
    if not differing:
        return f"incremental == cold: yes (0 files differ; {aside})"
    listed = "".join(f"\n  {path}" for path in differing[:10])
    more = f"\n  ... and {len(differing) - 10:,} more" if len(differing) > 10 else ""
    return f"incremental == cold: no ({len(differing):,} files differ; {aside}){listed}{more}"


def report_json(results: Results) -> dict[str, Any]:
    medians = {
        tool: {
            phase: {
                figure: results.median(tool, phase, figure) for figure in ("seconds", "peak_rss")
            }
            for phase in PHASES
            if results.runs[tool][phase]
        }
        for tool in TOOLS
    }
    return {
        **{
            field.name: getattr(results, field.name)
            for field in dataclasses.fields(results)
            if field.name not in {"runs", "trees", "check"}
        },
        "runs": {
            tool: {phase: [dataclasses.asdict(run) for run in runs] for phase, runs in by.items()}
            for tool, by in results.runs.items()
        },
        "medians": medians,
        "trees": {tool: dataclasses.asdict(tree) for tool, tree in results.trees.items()},
        "check": None if results.check is None else dataclasses.asdict(results.check),
        "rebuild_identical": None if results.check is None else not results.check.differing,
        "targets": [dataclasses.asdict(target) for target in targets(results)],
        "target_limits": TARGETS,
    }


# Running


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000, help="default 10,000")
    parser.add_argument("--releases", type=int, default=10, help="of each package; default 10")
    parser.add_argument("--seed", type=int, default=1, help="picks the corpus; default 1")
    parser.add_argument("--jobs", type=int, help="regsite build --jobs (default: regsite's)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every build (median)")
    parser.add_argument("--work", type=Path, help="keep the corpus and sites here (default: temp)")
    parser.add_argument(
        "--check-identical",
        action=argparse.BooleanOptionalAction,
        help=f"compare the rebuilt site with a fresh build (default: on up to {CHECK_LIMIT:,})",
    )
    parser.add_argument("--json-out", type=Path, help="also write every figure as JSON here")
    args = parser.parse_args(argv)
    if args.packages < 2 or args.releases < 1 or args.repeat < 1:
        parser.error("--packages must be at least 2, --releases and --repeat at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.work is not None:
            args.work.mkdir(parents=True, exist_ok=True)
            return run(args, Workspace(args.work.resolve()))
        with tempfile.TemporaryDirectory(prefix="regsite-scale-") as temporary:
            return run(args, Workspace(Path(temporary)))
    except BenchError as error:
        print(f"scale_bench: {error}", file=sys.stderr)
        return 1


def setup(args: argparse.Namespace, work: Workspace) -> tuple[Path, frozenset[str], list[str]]:
    """dumb-pypi's executable, the flags regsite build supports and the ones used."""
    dumb_pypi = install_dumb_pypi()
    supported = regsite_supports()
    flags = regsite_flags(supported, work.regsite_cache, args.jobs)
    print(f"dumb-pypi {DUMB_PYPI_VERSION} ({dumb_pypi})")
    print(f"regsite build flags used: {shlex.join(flags) or '(none)'}", end="")
    missing = [flag for flag in OPTIONAL_FLAGS if flag not in supported]
    print(f"; not supported yet: {' '.join(missing)}" if missing else "")
    if args.jobs is not None and "--jobs" not in supported:
        print(f"  --jobs {args.jobs} ignored: regsite build has no --jobs")
    print(f"Cores: {os.cpu_count()}; work directory: {work.root}", flush=True)
    return dumb_pypi, supported, flags


def run(args: argparse.Namespace, work: Workspace) -> int:
    dumb_pypi, supported, flags = setup(args, work)
    start = time.perf_counter()
    source = generate(work, args)
    generation = time.perf_counter() - start
    print(f"Corpus of {args.packages:,} packages x {args.releases} releases", end="")
    print(f" (seed {args.seed}) written in {generation:.1f} s", flush=True)
    commands = make_commands(work, source.online_key, flags, dumb_pypi, "--quiet" in supported)
    runs, trees, comparison = measure(args, work, source, commands)
    results = Results(
        packages=args.packages,
        releases=args.releases,
        seed=args.seed,
        cores=os.cpu_count() or 1,
        dumb_pypi_version=DUMB_PYPI_VERSION,
        regsite_flags=flags,
        generation_seconds=generation,
        runs=runs,
        trees=trees,
        check=comparison,
    )
    print(f"\n{check_line(comparison)}")
    print(f"\nMedians of {args.repeat} run(s); MB = 1,000,000 bytes.\n")
    print(figures_table(results) + "\n\n" + targets_table(results))
    if args.json_out:
        args.json_out.write_text(json.dumps(report_json(results), indent=1) + "\n")
        print(f"\nWrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
