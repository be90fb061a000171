"""The benchmarks stay runnable: each runs end to end on a tiny corpus (figures are not checked)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

import flavour_bench
import search_bench


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
