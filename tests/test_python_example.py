"""examples/python-registry: made reproducibly by its make.py, built signed, every file verified."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from regsite.build import BuildOptions, build, build_files
from regsite.commands.verify_site import verify_site
from regsite.fetch import UrlFetcher
from regsite.keys import load_private_key
from test_build import tree_digest
from test_python_clients import EXAMPLE, ONLINE_KEY
from test_release_from_files import MAKE
from test_render import validate_json_outputs


def test_make_writes_the_committed_example_byte_for_byte(tmp_path: Path) -> None:
    MAKE.make_registry(tmp_path)
    made = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(EXAMPLE) for p in EXAMPLE.rglob("*") if p.is_file()}
    ours = {Path("make.py"), Path("README.md")}
    assert made == committed - ours - {p for p in committed if "__pycache__" in p.parts}
    for path in made:
        assert (tmp_path / path).read_bytes() == (EXAMPLE / path).read_bytes(), path


def test_example_builds_signed_and_every_file_verifies_hosted_ones_included(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    build(BuildOptions(source=EXAMPLE, output=site, online_key=load_private_key(str(ONLINE_KEY))))
    root = (EXAMPLE / "metadata" / "1.root.json").read_bytes()
    result = verify_site(site.resolve().as_uri() + "/", root, UrlFetcher())
    assert result.problems == []
    hosted = sorted(p.relative_to(site) for p in (site / "files").rglob("*") if p.is_file())
    # seven wheels with their core metadata, and one sdist; each once: a hosted file's path
    # names its sha256 already, so it has no content-addressed copy (decisions 25 and 26)
    assert len(hosted) == 2 * 7 + 1
    assert not [p for p in hosted if re.match(r"[0-9a-f]{64}\.", p.name)]
    wheels = [p for p in hosted if p.suffix == ".whl"]
    assert all(hashlib.sha256((site / p).read_bytes()).hexdigest() == p.parts[2] for p in wheels)
    assert result.files > len(hosted)  # they are among the targets checked


def test_example_builds_the_same_twice(tmp_path: Path) -> None:
    for name in ("one", "two"):
        build(BuildOptions(source=EXAMPLE, output=tmp_path / name, source_date_epoch=0))
    assert tree_digest(tmp_path / "one") == tree_digest(tmp_path / "two")


def test_example_json_documents_follow_the_published_schemas(tmp_path: Path) -> None:
    output = build_files(BuildOptions(source=EXAMPLE, output=tmp_path / "out"))
    checked = validate_json_outputs({p: c for p, c in output.items() if p.startswith("api/")})
    assert checked["package"] == len(list((EXAMPLE / "packages").iterdir()))
    assert checked["registry"] == 1
    assert json.loads(output["api/v1/registry.json"])["flavours"]["python"]["index"]
