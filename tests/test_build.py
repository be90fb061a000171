"""End-to-end builds: example-site, determinism, and a failed build leaving the output intact."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder import SourceBuilder
from conftest import DEMO_ONLINE_KEY, EXAMPLE_SITE
from regsite.build import BuildOptions, build, source_date_epoch
from regsite.errors import BuildError, OutputError, RegistryError
from regsite.search.format import RECORDS_PER_SHARD
from test_render import validate_json_outputs


def tree_digest(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_example_site_builds_and_every_json_matches_its_schema(example_build: Path) -> None:
    output = read_tree(example_build)
    registry = json.loads(output["api/v1/registry.json"])
    assert registry["counts"]["packages"] >= 15
    assert len({owner["id"] for owner in registry["owners"]}) >= 3
    checked = validate_json_outputs(output)
    assert checked["package"] == registry["counts"]["packages"]
    assert checked["search-manifest"] == 1
    assert checked["search-records"] == -(-registry["counts"]["packages"] // RECORDS_PER_SHARD)
    for name in json.loads(output["api/v1/names.json"])["packages"]:
        assert f"packages/{name['name']}/index.html" in output


def test_example_site_has_yanked_deprecated_and_deep_dependencies(example_build: Path) -> None:
    packages = [
        json.loads(content)
        for path, content in read_tree(example_build).items()
        if path.startswith("api/v1/packages/")
    ]
    statuses = {release["status"] for package in packages for release in package["releases"]}
    assert {"yanked", "active"} <= statuses
    assert any(package["status"] == "deprecated" for package in packages)
    requires = {
        p["name"]: {d["name"] for r in p["releases"] for d in r["requires"]} for p in packages
    }

    def depth(name: str) -> int:
        return 1 + max((depth(dep) for dep in requires[name]), default=0)

    assert max(depth(name) for name in requires) >= 3


def test_build_is_byte_identical_twice(tmp_path: Path) -> None:
    signed_at = datetime(2026, 11, 1, tzinfo=UTC)  # metadata expiry counts from the signing time
    trees = []
    for name in ("first", "again"):
        options = BuildOptions(
            source=EXAMPLE_SITE,
            output=tmp_path / name,
            online_key=DEMO_ONLINE_KEY,
            signing_time=signed_at,
        )
        build(options)
        trees.append(tree_digest(tmp_path / name))
    assert trees[0] == trees[1]
    assert any(path.startswith("metadata/") for path in trees[0])


def test_source_date_epoch_sets_the_registry_date(source: Path, tmp_path: Path) -> None:
    build(BuildOptions(source=source, output=tmp_path / "out", source_date_epoch=1_700_000_000))
    registry = json.loads((tmp_path / "out/api/v1/registry.json").read_text())
    assert registry["updated"] == "2023-11-14T22:13:20Z"
    assert source_date_epoch({"SOURCE_DATE_EPOCH": "1700000000"}) == 1_700_000_000
    with pytest.raises(RegistryError, match="SOURCE_DATE_EPOCH"):
        source_date_epoch({"SOURCE_DATE_EPOCH": "yesterday"})


def test_failed_build_leaves_the_previous_output_untouched(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    source = builder.write(tmp_path / "source")
    out = tmp_path / "out"
    build(BuildOptions(source=source, output=out))
    before = tree_digest(out)
    (source / "packages/alpha/package.toml").write_text("format = 1\n")
    with pytest.raises(BuildError):
        build(BuildOptions(source=source, output=out))
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "source"]  # no staging left


def test_rebuild_replaces_files_that_are_gone(builder: SourceBuilder, tmp_path: Path) -> None:
    source = builder.write(tmp_path / "source")
    out = tmp_path / "out"
    build(BuildOptions(source=source, output=out))
    (out / "stale.html").write_text("old")
    build(BuildOptions(source=source, output=out))
    assert not (out / "stale.html").exists()


def test_refuses_to_replace_a_directory_that_is_not_a_site(source: Path, tmp_path: Path) -> None:
    precious = tmp_path / "home"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(OutputError, match="not a previous regsite output"):
        build(BuildOptions(source=source, output=precious))
    assert (precious / "thesis.txt").read_text() == "years of work"
    with pytest.raises(OutputError):
        build(BuildOptions(source=source, output=source))


def test_base_url_option_overrides_registry_toml(source: Path, tmp_path: Path) -> None:
    build(
        BuildOptions(
            source=source, output=tmp_path / "out", base_url="https://user.github.io/repo/"
        )
    )
    page = (tmp_path / "out/packages/alpha/index.html").read_text()
    assert '<link rel="canonical" href="https://user.github.io/repo/packages/alpha/">' in page
    assert 'href="/repo/browse/name/1.html"' in (tmp_path / "out/404.html").read_text()
    with pytest.raises(BuildError, match="--base-url"):
        build(BuildOptions(source=source, output=tmp_path / "out2", base_url="ftp://x"))


def test_theme_override_replaces_one_template(source: Path, tmp_path: Path) -> None:
    theme = tmp_path / "theme"
    (theme / "static").mkdir(parents=True)
    (theme / "404.html").write_text(
        "{% extends 'base.html' %}{% block main %}<p>Custom 404</p>{% endblock %}"
    )
    (theme / "static/style.css").write_text("body { color: red; }")
    build(BuildOptions(source=source, output=tmp_path / "out", theme=theme))
    assert "<p>Custom 404</p>" in (tmp_path / "out/404.html").read_text()
    assert "Test Registry" in (tmp_path / "out/index.html").read_text()
    styles = list((tmp_path / "out/static").glob("style.*.css"))
    assert [path.read_text() for path in styles] == ["body { color: red; }"]
