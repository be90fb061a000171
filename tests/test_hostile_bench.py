"""bench/hostile_bench.py stays runnable: a few shapes end to end at a small size."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "bench"))

import hostile_bench


def test_every_shape_fills_the_size_it_is_given() -> None:
    for shape, make in hostile_bench.SHAPES.items():
        assert len(make(100_000).encode()) == 100_000, shape


@pytest.mark.slow
def test_hostile_bench_runs_on_small_readmes(tmp_path: Path) -> None:
    out = tmp_path / "figures.json"
    argv = ["--shape", "issue-brackets", "--shape", "prose", "--size", "40000"]
    assert hostile_bench.main([*argv, "--json-out", str(out)]) == 0
    figures = {figure["shape"]: figure for figure in json.loads(out.read_text())}
    assert figures["prose"]["outcome"] == "built"
    assert "line 1: more than 16,384 '[' and '<'" in figures["issue-brackets"]["outcome"]
