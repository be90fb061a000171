"""The write stage's file creation: a staged file that is a hard link is replaced, never written
through (the content-addressed copy it links to keeps its bytes)."""

from __future__ import annotations

import os
from pathlib import Path

from regsite.write import _write


def test_write_replaces_a_hard_link_instead_of_writing_through(tmp_path: Path) -> None:
    addressed = tmp_path / "abc.index.json"
    addressed.write_bytes(b"old")
    staged = tmp_path / "index.json"
    os.link(addressed, staged)
    _write(staged, b"new")
    assert (staged.read_bytes(), addressed.read_bytes()) == (b"new", b"old")
    assert staged.stat().st_nlink == 1


def test_write_creates_missing_directories(tmp_path: Path) -> None:
    target = tmp_path / "packages" / "a" / "1.0" / "index.html"
    _write(target, b"page")
    assert target.read_bytes() == b"page"
