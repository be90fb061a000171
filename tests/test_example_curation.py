"""examples/curation/stage_major_release.py: opam's three steps, end to end, on a copy of
example-site, through regsite's own commands."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "curation" / "stage_major_release.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("stage_major_release", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _digests(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_a_curator_stages_a_major_release_in_three_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _script()
    before = _digests(ROOT / "example-site")
    assert script.main([str(tmp_path / "demo")]) == 0
    shown = capsys.readouterr().out
    demo = tmp_path / "demo"
    staged, published, relaxed = (
        script.effective(demo / f"site-{step}", "graft")
        for step in ("1-staged", "2-published", "3-relaxed")
    )
    bounded = {"name": "hue", "specifier": "<2.0.0,>=0.3", "excluded": []}
    assert staged["0.9.0"]["requires"] == [bounded] == published["0.9.0"]["requires"]
    assert staged["1.0.0"] is None and relaxed["0.9.0"] is None
    assert "2.0.0" in script.effective(demo / "site-2-published", "hue")
    reports = [(demo / f"report-{step}.md").read_text() for step in ("1-staged", "3-relaxed")]
    line = "- `graft` (releases <=0.9.0): hue upper-bound 2.0.0 [build]"
    assert f"**Amendments added** (1)\n\n{line}" in reports[0]
    assert f"**Amendments removed** (1)\n\n{line}" in reports[1]
    assert "graft 0.9.0 requires hue >=0.3, amended to <2.0.0,>=0.3" in shown
    assert not (demo / "source/amendments/graft").exists()
    assert _digests(ROOT / "example-site") == before  # the original is never touched
