"""Incremental builds: a warm cache gives the same bytes as no cache, and rewrites nothing else."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from tests.conftest import DEMO_ONLINE_KEY
from tests.test_publish import T0, copy_example, edit_description

from regsite.build import BuildOptions, BuildResult, build
from regsite.errors import BuildError


def _build(source: Path, out: Path, cache: Path | None, jobs: int = 2) -> BuildResult:
    options = BuildOptions(
        source=source,
        output=out,
        online_key=DEMO_ONLINE_KEY,
        signing_time=T0,
        cache=cache,
        jobs=jobs,
    )
    return build(options)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _stamps(root: Path) -> dict[str, tuple[int, int]]:
    return {
        path.relative_to(root).as_posix(): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file()
    }


@pytest.mark.parametrize("jobs", [1, 2])
def test_warm_cache_build_equals_a_build_without_cache(tmp_path: Path, jobs: int) -> None:
    source, cache = copy_example(tmp_path), tmp_path / "cache"
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    _build(source, warm, cache, jobs)
    shutil.copytree(warm, cold)
    edit_description(source, "hue", "Colours for terminals, described anew.")
    result = _build(source, warm, cache, jobs)
    assert result.rendered == 1  # hue alone: its dependents list did not change
    assert result.reused == len(result.site.packages) - 1
    _build(source, cold, None, jobs)
    assert _tree(warm) == _tree(cold)
    assert "described anew" in (warm / "api/v1/packages/hue.json").read_text()


def test_unchanged_files_keep_their_inode_and_time(tmp_path: Path) -> None:
    source, cache, out = copy_example(tmp_path), tmp_path / "cache", tmp_path / "site"
    _build(source, out, cache)
    before = _stamps(out)
    result = _build(source, out, cache)
    assert result.written == 0 and result.rendered == 0
    assert _stamps(out) == before
    edit_description(source, "hue", "Colours for terminals, described anew.")
    _build(source, out, cache)
    after = _stamps(out)
    changed = {path for path in before if path in after and after[path] != before[path]}
    assert "api/v1/packages/hue.json" in changed
    assert "packages/hue/index.html" in changed
    assert "packages/sundial/index.html" not in changed
    assert "api/v1/packages/sundial.json" not in changed
    assert not any(path.startswith("api/v1/sources/") and "hue" not in path for path in changed)


def test_output_deleted_but_cache_kept_rebuilds_every_file(tmp_path: Path) -> None:
    source, cache, out = copy_example(tmp_path), tmp_path / "cache", tmp_path / "site"
    _build(source, out, cache)
    expected = _tree(out)
    shutil.rmtree(out)
    (out / "api/v1").mkdir(parents=True)
    (out / "api/v1/registry.json").write_text("{}")  # a damaged previous site, still a site
    shutil.rmtree(out)
    _build(source, out, cache)
    assert set(_tree(out)) == set(expected)


def test_failed_build_with_a_warm_cache_changes_nothing(tmp_path: Path) -> None:
    source, cache, out = copy_example(tmp_path), tmp_path / "cache", tmp_path / "site"
    _build(source, out, cache)
    before, stamps = _tree(out), _stamps(out)
    signature = source / "packages/hue/package.toml.sig"
    text = signature.read_text()
    start = text.index('sig = "') + len('sig = "')
    flipped = "B" if text[start] == "A" else "A"
    signature.write_text(text[:start] + flipped + text[start + 1 :])  # a signature that fails
    with pytest.raises(BuildError):
        _build(source, out, cache)
    assert _tree(out) == before and _stamps(out) == stamps
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.new-")]


def test_damaged_cache_entries_are_recomputed(tmp_path: Path) -> None:
    source, cache, out = copy_example(tmp_path), tmp_path / "cache", tmp_path / "site"
    _build(source, out, cache)
    expected = _tree(out)
    for entry in cache.rglob("*"):
        if entry.is_file():
            entry.write_bytes(b"not a pickle")
    shutil.rmtree(out)
    _build(source, out, cache)
    assert _tree(out) == expected
    assert os.listdir(cache)
