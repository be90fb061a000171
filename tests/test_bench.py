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
def test_flavour_bench_runs_on_a_small_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import flavour_bench

    out = tmp_path / "figures.json"
    argv = ["--packages", "40", "--releases", "2", "--work", str(tmp_path / "work")]
    assert flavour_bench.main([*argv, "--json-out", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["on"]["flavour_files"] > 0 == figures["off"]["flavour_files"]
    assert "Build time overhead (fastest runs)" in capsys.readouterr().out
