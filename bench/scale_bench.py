"""Scale benchmark (issue 14): ``regsite build`` beside dumb-pypi on the same registry.

Run ``python bench/scale_bench.py --packages 10000``; bench/README.md ("Scale") says what each
figure means. Both tools build the same generated registry: regsite a signed source directory
(``source.write_source``), dumb-pypi the same releases as ``--package-list-json`` lines. Every
build runs in a child process under a small launcher (``measure_child.py``), which measures its
wall and CPU time and its own peak memory.

Per repeat, regsite then dumb-pypi: a cold build of each; then one package publishes one more
release and each rebuilds in place (regsite with its output and cache, dumb-pypi with
``--previous-package-list-json``), and regsite rebuilds once more with nothing changed; then the
CI phase: a fresh copy of the source, regsite's output and cache restored as the Actions cache
restores them, another package changed, and ``regsite build`` of the copy. Medians over the
repeats are reported, with issue 14's targets. dumb-pypi is installed into bench/.venv-dumb-pypi
on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from corpus import PackageSpec, ReleaseSpec
from footprint import Comparison, Footprint, compare_sites, measure_footprint
from measure_child import ChildFailed, ChildRun, run_measured
from packaging.version import Version
from scale_report import MB, PHASES, Results, Runs, report_json, tables
from source import BenchSource, add_release, write_dumb_pypi_list, write_source

BENCH = Path(__file__).resolve().parent
DUMB_PYPI = "dumb-pypi"
DUMB_PYPI_VERSION = "1.15.0"
DUMB_PYPI_VENV = BENCH / ".venv-dumb-pypi"
PACKAGES_URL = "https://files.example.org/"
CHECK_LIMIT = 20_000  # packages: --check-identical is on by default up to here
NEW_RELEASE_SIZE = 100_000  # bytes


class BenchError(Exception):
    """A step of the benchmark failed; the message says which and why."""


# dumb-pypi


def installed_version(python: Path) -> str | None:
    if not python.exists():
        return None
    probe = f"import importlib.metadata as m; print(m.version({DUMB_PYPI!r}))"
    result = subprocess.run([python, "-c", probe], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def run_helper(command: Sequence[str]) -> None:
    """Run a command that is not measured; raise with its stderr unless it exits 0."""
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        shown = " ".join(command)
        raise BenchError(f"{shown} exited with {result.returncode}:\n{result.stderr}")


def install_dumb_pypi() -> Path:
    """dumb-pypi's executable, installed into DUMB_PYPI_VENV unless already there."""
    python = DUMB_PYPI_VENV / "bin" / "python"
    if installed_version(python) != DUMB_PYPI_VERSION:
        print(f"Installing {DUMB_PYPI}=={DUMB_PYPI_VERSION} into {DUMB_PYPI_VENV}", flush=True)
        run_helper([sys.executable, "-m", "venv", "--clear", str(DUMB_PYPI_VENV)])
        run_helper([str(python), "-m", "pip", "install", f"{DUMB_PYPI}=={DUMB_PYPI_VERSION}"])
    found = installed_version(python)
    if found != DUMB_PYPI_VERSION:
        raise BenchError(f"{DUMB_PYPI_VENV} has {DUMB_PYPI} {found}, not {DUMB_PYPI_VERSION}")
    return DUMB_PYPI_VENV / "bin" / DUMB_PYPI


# The work directory


@dataclass(frozen=True, slots=True)
class Workspace:
    """Where a run keeps its corpus, sites, caches and logs: each at its field's name, with
    ``-`` for ``_`` (``regsite_site`` is ``ROOT/regsite-site``)."""

    root: Path
    source: Path
    source_keys: Path  # where write_source puts the keys
    dumb_pypi_list: Path  # dumb-pypi's --package-list-json, before the change
    dumb_pypi_changed: Path  # and after the in-place change
    regsite_site: Path
    regsite_cache: Path
    regsite_fresh: Path  # a cold build of the changed source, for the check
    dumb_pypi_site: Path
    ci_source: Path  # the CI phase's clone
    ci_site: Path
    ci_cache: Path
    ci_fresh: Path
    logs: Path  # every build's stdout, stderr and figures

    @classmethod
    def at(cls, root: Path) -> Workspace:
        names = [field.name for field in dataclasses.fields(cls)[1:]]
        return cls(root, **{name: root / name.replace("_", "-") for name in names})

    def builds(self) -> list[Path]:
        """Everything a repeat builds from nothing."""
        return [self.regsite_site, self.regsite_cache, self.regsite_fresh, self.dumb_pypi_site]


def remove(paths: Sequence[Path]) -> None:
    """Delete what an earlier run left at these paths."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


# The corpus and the changes


def next_release(spec: PackageSpec, seed: int) -> ReleaseSpec:
    """A release newer than the package's newest: its final version if that is a pre-release,
    else its patch number plus one; a day later, with the same requirements."""
    newest = spec.releases[-1]
    version = Version(newest.version)
    number = (*version.release[:-1], version.release[-1] + (0 if version.is_prerelease else 1))
    rng = random.Random(f"new release {seed} {spec.name}")  # noqa: S311 - not cryptography
    return ReleaseSpec(
        version=".".join(map(str, number)),
        published=newest.published + timedelta(days=1),
        requires=newest.requires,
        yanked=False,
        size=NEW_RELEASE_SIZE,
        sha256=f"{rng.getrandbits(256):064x}",
    )


def in_place_index(packages: int) -> int:
    """The package that changes in place: the one in the middle of the creation order."""
    return packages // 2


def ci_index(packages: int) -> int:
    """The package a CI job's pull request changes: the next one."""
    return (in_place_index(packages) + 1) % packages


def generate(work: Workspace, args: argparse.Namespace, dumb_pypi: bool) -> BenchSource:
    """The signed source and dumb-pypi's package lists, before and after the in-place change."""
    remove([work.source, work.source_keys, work.dumb_pypi_list, work.dumb_pypi_changed])
    source = write_source(
        work.source, args.packages, args.releases, args.seed, release_pages=args.release_pages
    )
    if dumb_pypi:
        write_dumb_pypi_list(work.dumb_pypi_list, source.specs)
        index = in_place_index(args.packages)
        changed = list(source.specs)
        spec = changed[index]
        release = next_release(spec, args.seed)
        changed[index] = dataclasses.replace(spec, releases=(*spec.releases, release))
        write_dumb_pypi_list(work.dumb_pypi_changed, changed)
    return source


@contextmanager
def one_more_release(source: BenchSource, index: int, seed: int) -> Iterator[PackageSpec]:
    """Package ``index`` publishes one more release; its files and spec are put back after."""
    spec = source.specs[index]
    folder = source.directory / "packages" / spec.name
    saved = {path: path.read_bytes() for path in folder.iterdir()}
    try:
        yield add_release(source, index, next_release(spec, seed))
    finally:
        for path, content in saved.items():
            path.write_bytes(content)
        source.specs[index] = spec


def clone_source(source: Path, clone: Path) -> None:
    """A copy as ``git clone`` makes one: every file and directory new, with new times."""
    shutil.copytree(source, clone, copy_function=shutil.copyfile)


def restore(directory: Path, restored: Path) -> None:
    """A copy as the Actions cache restores one: the same bytes and modification times, new
    inodes (hard links become files of their own)."""
    shutil.copytree(directory, restored, copy_function=shutil.copy2)


# The builds


@dataclass(slots=True)
class Bench:
    work: Workspace
    args: argparse.Namespace
    source: BenchSource
    dumb_pypi: Path | None  # None: dumb-pypi is not run
    runs: Runs
    restore_seconds: list[float]
    logs: int = 0

    def regsite(self, source: Path, output: Path, cache: Path | None) -> list[str]:
        command = [sys.executable, "-m", "regsite", "build", str(source), "-o", str(output)]
        command += ["--online-key", str(self.source.online_key)]
        if cache is not None:
            command += ["--cache", str(cache)]
        if self.args.jobs is not None:
            command += ["--jobs", str(self.args.jobs)]
        return command

    def dumb_pypi_command(self, package_list: Path, previous: Path | None) -> list[str]:
        assert self.dumb_pypi is not None
        command = [str(self.dumb_pypi), "--output-dir", str(self.work.dumb_pypi_site)]
        command += ["--packages-url", PACKAGES_URL, "--no-generate-timestamp"]
        command += ["--package-list-json", str(package_list)]
        if previous is not None:
            command += ["--previous-package-list-json", str(previous)]
        return command

    def measured(self, command: Sequence[str], label: str) -> ChildRun:
        """Run a build; its output and stderr are kept under logs/ in the work directory."""
        self.logs += 1
        logs = self.work.logs / f"{self.logs:02d}-{label.replace(' ', '-')}"
        logs.parent.mkdir(exist_ok=True)
        # without SOURCE_DATE_EPOCH: the builds date the site themselves
        environment = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        try:
            return run_measured(command, logs, environment)
        except ChildFailed as error:
            raise BenchError(str(error)) from error

    def timed(self, tool: str, phase: str, command: Sequence[str]) -> None:
        run = self.measured(command, f"{tool} {phase}")
        self.runs[tool][phase].append(run)
        pss = "" if run.peak_pss is None else f" (all {run.peak_pss / MB:,.1f})"
        print(
            f"  {tool:9} {phase:7} {run.seconds:8.2f} s  CPU {run.cpu_seconds:8.2f} s"
            f"  {run.peak_rss / MB:8.1f} MB{pss}  load {run.load:.1f}",
            flush=True,
        )

    def cold(self) -> None:
        remove([*self.work.builds(), self.work.ci_source, self.work.ci_site])
        remove([self.work.ci_cache, self.work.ci_fresh])
        work = self.work
        self.timed(
            "regsite", "cold", self.regsite(work.source, work.regsite_site, work.regsite_cache)
        )
        if self.dumb_pypi is not None:
            self.timed("dumb-pypi", "cold", self.dumb_pypi_command(work.dumb_pypi_list, None))

    def fresh(self, source: Path, output: Path, built: Path) -> Comparison:
        """A cold build of ``source`` into ``output``, without cache, compared with ``built``."""
        print(f"  checking {built.name} against a cold build of {source.name}", flush=True)
        remove([output])
        self.measured(self.regsite(source, output, None), "fresh")
        return compare_sites(built, output)

    def in_place(self, check: bool) -> dict[str, Comparison | None]:
        """The rebuilds after one change in place, regsite's no-op rebuild, then the CI phase."""
        work, index = self.work, in_place_index(self.args.packages)
        with one_more_release(self.source, index, self.args.seed) as spec:
            print(f"  in place: {spec.name} {spec.releases[-1].version} published", flush=True)
            rebuild = self.regsite(work.source, work.regsite_site, work.regsite_cache)
            self.timed("regsite", "rebuild", rebuild)
            if self.dumb_pypi is not None:
                changed = self.dumb_pypi_command(work.dumb_pypi_changed, work.dumb_pypi_list)
                self.timed("dumb-pypi", "rebuild", changed)
            self.timed("regsite", "noop", rebuild)
            checks: dict[str, Comparison | None] = {"rebuild": None, "ci": None}
            if check:
                checks["rebuild"] = self.fresh(work.source, work.regsite_fresh, work.regsite_site)
            checks["ci"] = self.ci_phase(check)
        return checks

    def ci_phase(self, check: bool) -> Comparison | None:
        """As a CI job runs: a fresh clone, the site and cache restored, another change."""
        work = self.work
        remove([work.ci_source, work.ci_site, work.ci_cache, work.ci_fresh])
        started = time.perf_counter()
        clone_source(work.source, work.ci_source)
        restore(work.regsite_site, work.ci_site)
        restore(work.regsite_cache, work.ci_cache)
        self.restore_seconds.append(time.perf_counter() - started)
        clone = dataclasses.replace(self.source, directory=work.ci_source)
        with one_more_release(clone, ci_index(self.args.packages), self.args.seed) as spec:
            print(f"  CI phase: {spec.name} {spec.releases[-1].version} published", flush=True)
            self.timed("regsite", "ci", self.regsite(work.ci_source, work.ci_site, work.ci_cache))
            return self.fresh(work.ci_source, work.ci_fresh, work.ci_site) if check else None


def measure(bench: Bench) -> tuple[dict[str, Footprint], dict[str, Comparison | None]]:
    """Every repeat's builds; the footprints and the checks come from the first repeat."""
    args = bench.args
    check = (
        args.check_identical if args.check_identical is not None else args.packages <= CHECK_LIMIT
    )
    footprints: dict[str, Footprint] = {}
    checks: dict[str, Comparison | None] = {}
    for repeat in range(1, args.repeat + 1):
        print(f"Repeat {repeat} of {args.repeat}:", flush=True)
        bench.cold()
        if repeat == 1:
            footprints["regsite"] = measure_footprint(bench.work.regsite_site)
            if bench.dumb_pypi is not None:
                footprints["dumb-pypi"] = measure_footprint(bench.work.dumb_pypi_site)
        found = bench.in_place(check and repeat == 1)
        checks = found if repeat == 1 else checks
    return footprints, checks


# Running


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=10_000, help="default 10,000")
    parser.add_argument("--releases", type=int, default=10, help="of each package; default 10")
    parser.add_argument("--seed", type=int, default=1, help="picks the corpus; default 1")
    parser.add_argument("--jobs", type=int, help="regsite build --jobs (default: regsite's)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every build (median)")
    parser.add_argument("--work", type=Path, help="keep the corpus, sites and logs here")
    parser.add_argument(
        "--check-identical",
        action=argparse.BooleanOptionalAction,
        help="compare each incremental build with a cold build of the same source"
        f" (default: on up to {CHECK_LIMIT:,} packages)",
    )
    parser.add_argument(
        "--dumb-pypi",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also build with dumb-pypi (default: yes; --no-dumb-pypi needs no network)",
    )
    parser.add_argument(
        "--release-pages",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a page per release ([registry] release-pages; default: yes)",
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
            return run(args, Workspace.at(args.work.resolve()))
        with tempfile.TemporaryDirectory(prefix="regsite-scale-") as temporary:
            return run(args, Workspace.at(Path(temporary)))
    except BenchError as error:
        print(f"scale_bench: {error}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace, work: Workspace) -> int:
    dumb_pypi = install_dumb_pypi() if args.dumb_pypi else None
    print(f"dumb-pypi: {dumb_pypi or 'not run'}; cores: {os.cpu_count()}; work: {work.root}")
    started = time.perf_counter()
    source = generate(work, args, dumb_pypi is not None)
    generation = time.perf_counter() - started
    print(f"Corpus of {args.packages:,} packages x {args.releases} releases", end="")
    print(f" (seed {args.seed}) written in {generation:.1f} s", flush=True)
    runs: Runs = {tool: {phase: [] for phase in phases} for tool, phases in PHASES.items()}
    bench = Bench(work, args, source, dumb_pypi, runs, [])
    footprints, checks = measure(bench)
    results = Results(
        packages=args.packages,
        releases=args.releases,
        seed=args.seed,
        cores=os.cpu_count() or 1,
        dumb_pypi_version=DUMB_PYPI_VERSION if dumb_pypi is not None else None,
        regsite_command=bench.regsite(work.source, work.regsite_site, work.regsite_cache),
        generation_seconds=generation,
        restore_seconds=bench.restore_seconds,
        runs=runs,
        footprints=footprints,
        checks=checks,
    )
    print("\n" + tables(results))
    if args.json_out:
        args.json_out.write_text(json.dumps(report_json(results), indent=1) + "\n")
        print(f"\nWrote {args.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
