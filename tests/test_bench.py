"""The benchmarks stay runnable and measure what they say: each runs end to end on a tiny corpus
(figures are not checked), and the scale benchmark's measuring parts are checked on their own."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

import flavour_bench
import scale_bench
import search_bench
from footprint import kind_of, measure_footprint
from measure_child import ChildRun, run_measured, stage_seconds
from scale_report import MB, Results, targets


@pytest.mark.slow
def test_search_bench_runs_on_a_small_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "figures.json"
    argv = ["--packages", "400", "--queries", "5", "--html", "sample", "--html-sample", "20"]
    assert search_bench.main([*argv, "--json-out", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures  # the table's figures, also printed
    assert "Search index build" in capsys.readouterr().out


def _scale_bench(tmp_path: Path, *extra: str) -> dict[str, object]:
    out = tmp_path / "figures.json"
    argv = ["--packages", "12", "--releases", "2", "--work", str(tmp_path / "work")]
    assert scale_bench.main([*argv, "--json-out", str(out), *extra]) == 0
    figures: dict[str, object] = json.loads(out.read_text())
    return figures


@pytest.mark.slow
def test_scale_bench_ci_phase_renders_one_package_and_equals_a_cold_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = _scale_bench(tmp_path, "--no-dumb-pypi")
    runs = figures["runs"]
    assert isinstance(runs, dict)
    assert {phase: len(found) for phase, found in runs["regsite"].items()} == {
        "cold": 1,
        "rebuild": 1,
        "noop": 1,
        "ci": 1,
    }
    rendered = {phase: found[0]["rendered"] for phase, found in runs["regsite"].items()}
    # the memo held across new inodes: the CI phase renders its changed package only
    assert rendered == {"cold": 12, "rebuild": 1, "noop": 0, "ci": 1}
    for found in runs["regsite"].values():
        assert 10 * MB < found[0]["peak_rss"] < 1000 * MB  # the build's own, from its launcher
        assert {"scan", "render", "sign", "commit"} <= set(found[0]["stages"])
    assert figures["checks"] == {
        "rebuild": {"differing": [], "kept": 2},
        "ci": {"differing": [], "kept": 4},
    }
    assert "incremental == cold, CI phase: yes" in capsys.readouterr().out


@pytest.mark.slow
def test_scale_bench_builds_with_dumb_pypi_side_by_side(tmp_path: Path) -> None:
    python = scale_bench.DUMB_PYPI_VENV / "bin" / "python"
    if scale_bench.installed_version(python) != scale_bench.DUMB_PYPI_VERSION:
        pytest.skip(f"needs {scale_bench.DUMB_PYPI_VENV} (the benchmark's first run makes it)")
    figures = _scale_bench(tmp_path)
    runs = figures["runs"]
    assert isinstance(runs, dict)
    assert [len(runs["dumb-pypi"][phase]) for phase in ("cold", "rebuild")] == [1, 1]
    footprints = figures["footprints"]
    assert isinstance(footprints, dict)
    assert footprints["dumb-pypi"]["flavours"]["files"] == 12 + 1  # simple/ and its index


def test_scale_bench_clone_has_new_times_and_restore_keeps_them_on_new_inodes(
    tmp_path: Path,
) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "file").write_bytes(b"content")
    os.link(tree / "sub" / "file", tree / "link")
    os.utime(tree / "sub" / "file", ns=(10**18, 10**18))
    scale_bench.clone_source(tree, tmp_path / "clone")
    scale_bench.restore(tree, tmp_path / "restored")
    before = (tree / "sub" / "file").stat()
    cloned = (tmp_path / "clone" / "sub" / "file").stat()
    restored = (tmp_path / "restored" / "sub" / "file").stat()
    assert cloned.st_mtime_ns != before.st_mtime_ns
    assert restored.st_mtime_ns == before.st_mtime_ns
    assert restored.st_ino != before.st_ino
    assert (tmp_path / "restored" / "link").stat().st_ino != restored.st_ino
    assert (tmp_path / "restored" / "link").read_bytes() == b"content"


_ALLOCATE = "x = bytearray({size}); x[::4096] = b'1' * len(x[::4096])"


def test_child_peak_memory_is_its_own_not_the_benchmarks(tmp_path: Path) -> None:
    """Linux starts a child's ru_maxrss at its parent's peak: the launcher keeps the
    benchmark's own memory (here 300 MB) out of the figure."""
    held = bytearray(300 * MB)
    held[::4096] = b"1" * len(held[::4096])
    small = run_measured([sys.executable, "-c", "pass"], tmp_path / "small")
    large = run_measured(
        [sys.executable, "-c", _ALLOCATE.format(size=150 * MB)], tmp_path / "large"
    )
    assert small.peak_rss < 100 * MB
    assert 150 * MB < large.peak_rss < 250 * MB
    assert small.seconds > 0 and small.cpu_seconds > 0
    del held


def test_child_stage_times_are_read_from_regsite_stderr() -> None:
    stderr = "load: 0.23s\nscan: 10,000 packages, 18.47s\nsite pages: 0.14s\nwarning: x 1s\n"
    assert stage_seconds(stderr) == {"load": 0.23, "scan": 18.47, "site pages": 0.14}


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("packages/foo/index.html", "pages"),
        ("index.html", "pages"),
        ("search/index.html", "pages"),
        ("changelog/page1.html", "pages"),  # dumb-pypi
        ("api/v1/packages/foo.json", "package JSON"),
        ("pypi/foo/1.0/json", "package JSON"),  # dumb-pypi
        ("api/v1/sources/foo/package.toml", "signed sources"),
        ("api/v1/sources/foo/package.toml.sig", "signed sources"),
        ("api/v1/sources/registry.toml", "signed sources"),
        (f"api/v1/sources/foo/{'ab' * 32}.package.toml", "signed source copies"),
        ("api/v1/sources/foo/README.md", "READMEs"),
        ("metadata/1.bin-0a.json", "metadata"),
        ("search/terms/0001.json", "search"),
        ("simple/foo/index.html", "flavours"),
        ("cargo/3/f/foo", "flavours"),
        ("api/v1/names.json", "other"),
        ("packages.json", "other"),  # dumb-pypi
    ],
)
def test_footprint_kind_of_each_output_path(path: str, kind: str) -> None:
    assert kind_of(path) == kind


def test_footprint_serves_hard_links_twice_and_stores_them_once(tmp_path: Path) -> None:
    source = tmp_path / "api" / "v1" / "sources" / "foo"
    source.mkdir(parents=True)
    (source / "package.toml").write_bytes(b"x" * 100)
    os.link(source / "package.toml", source / f"{'ab' * 32}.package.toml")
    found = measure_footprint(tmp_path)
    assert (found.files, found.served, found.stored) == (2, 200, 100)
    assert found.kinds["signed sources"].stored == 100
    assert found.kinds["signed source copies"].served == 100


def _results(packages: int, seconds: float, peak: int) -> Results:
    def run(time: float) -> ChildRun:
        return ChildRun(seconds=time, cpu_seconds=time, peak_rss=peak, peak_pss=None, load=1.0)

    phases = {"cold": [run(seconds)], "rebuild": [run(0.5)], "noop": [run(0.4)], "ci": [run(3)]}
    return Results(
        packages=packages,
        releases=10,
        seed=1,
        cores=2,
        dumb_pypi_version=None,
        regsite_command=[],
        generation_seconds=0.0,
        restore_seconds=[],
        runs={"regsite": phases, "dumb-pypi": {"cold": [], "rebuild": []}},
        footprints={},
        checks={"rebuild": None, "ci": None},
    )


def test_scale_targets_at_crates_io_scale_apply_only_from_200000_packages() -> None:
    def marks(results: Results) -> dict[str, bool | None]:
        return {target.name.split(" (")[0]: target.met for target in targets(results)}

    small = marks(_results(10_000, 700.0, 2000 * MB))
    large = marks(_results(200_000, 700.0, 2000 * MB))
    assert small["One-package change in place <= 1 s"] is True
    assert small["One-package change in the CI phase <= 2 s"] is False
    assert small["Cold build <= 600 s"] is None
    assert large["Cold build <= 600 s"] is False
    assert large["Peak memory, largest process, <= 1.5 GB"] is False
    assert large["One-package change in the CI phase <= 10 s"] is True
    assert large["One-package change in place <= 1 s"] is None
    assert large["Cold build <= 0.5x dumb-pypi's"] is None  # dumb-pypi not run


@pytest.mark.slow
def test_flavour_bench_measures_both_flavours_side_by_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "figures.json"
    argv = ["--packages", "12", "--releases", "2", "--work", str(tmp_path / "work")]
    assert flavour_bench.main([*argv, "--json-out", str(out)]) == 0
    figures = json.loads(out.read_text())
    python, cargo = figures["python"], figures["cargo"]
    # simple/index.html and .json, and each package's two pages, listed once each (no copies)
    assert python["on"]["flavour_files"] == 2 * (12 + 1) and python["off"]["flavour_files"] == 0
    # cargo/config.json, and each package's index file
    assert cargo["on"]["flavour_files"] == 12 + 1 and cargo["off"]["flavour_files"] == 0
    assert python["per_package"]["site_files_added"] == (2 * 13) / 12
    assert set(figures["both"]) == {"overhead_median", "overhead_fastest", "overhead_cpu"}
    assert len(figures["wall_runs"]["cargo on"]) == 1
    shown = capsys.readouterr().out
    assert "| figure | python | cargo | both |" in shown
    assert "Build time overhead (fastest runs)" in shown
