"""The cargo flavour: cargo's fields in the source, the sparse index it renders, its pages, API
and headers, hosted crates, and the demo registry.  Reading crates and ``--from-crate`` are in
test_crate_file.py; real cargo runs in test_cargo_real.py."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from builder import SourceBuilder
from cargosite import DEMO_ONLINE_KEY, cargo_builder, make_demo_source
from cargosite import run_cli as run
from conftest import serving
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.errors import BuildError
from regsite.headers import IMMUTABLE, REVALIDATE, response_headers
from regsite.keys import load_private_key
from regsite.render.flavours.cargo import index_path
from test_build import read_tree
from test_render import validate_json_outputs

BASE = "https://crates.example.org/reg/"


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo registry's source, made once; tests that change it copy it first."""
    return make_demo_source(tmp_path_factory.mktemp("cargo") / "source")


@pytest.fixture(scope="session")
def demo_site(demo_source: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("cargo-site") / "site"
    key = load_private_key(str(DEMO_ONLINE_KEY))
    build(BuildOptions(source=demo_source, output=out, base_url=BASE, online_key=key))
    return read_tree(out)


def index_lines(site: dict[str, bytes], name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in site[index_path(name)].decode().splitlines()]


def problems(builder: SourceBuilder, tmp_path: Path, base_url: str | None = BASE) -> str:
    source = builder.write(tmp_path / "source")
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(source=source, output=tmp_path / "site", base_url=base_url))
    return str(caught.value)


# The index --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("a", "1/a"),
        ("ab", "2/ab"),
        ("abc", "3/a/abc"),
        ("abcd", "ab/cd/abcd"),
        ("cargo", "ca/rg/cargo"),
    ],
)
def test_index_files_sit_at_cargos_path_layout(name: str, path: str) -> None:
    assert index_path(name) == f"cargo/{path}"


def test_index_line_says_what_cargo_needs_of_each_version(demo_site: dict[str, bytes]) -> None:
    leaf = index_lines(demo_site, "leaf")
    assert [line["vers"] for line in leaf] == ["0.1.0", "1.0.0", "1.1.0", "1.2.0"]
    assert [line["yanked"] for line in leaf] == [False, False, False, True]
    assert leaf[1]["rust_version"] == "1.70" and "rust_version" not in leaf[0]
    (bloom,) = index_lines(demo_site, "bloom")
    assert list(bloom) == [
        "name", "vers", "deps", "cksum", "features", "yanked", "links", "rust_version",
        "features2", "v",
    ]  # fmt: skip
    assert bloom["features"] == {"default": ["scent"], "scent": []}
    assert (bloom["features2"], bloom["v"]) == ({"tall": ["dep:stem"]}, 2)
    leaf_dep, stem_dep = bloom["deps"]
    assert leaf_dep == {
        "name": "leaf", "req": "^1.1", "features": [], "optional": False,
        "default_features": True, "target": None, "kind": "dev", "registry": None,
        "package": None,
    }  # fmt: skip
    assert (stem_dep["name"], stem_dep["optional"], stem_dep["kind"]) == ("stem", True, "normal")


def test_config_json_dl_reaches_every_hosted_crate_with_its_cksum(
    demo_site: dict[str, bytes],
) -> None:
    config = json.loads(demo_site["cargo/config.json"])
    assert list(config) == ["dl"]  # no api: a static site takes no cargo publish
    for name in ("leaf", "stem", "bloom"):
        for line in index_lines(demo_site, name):
            url = config["dl"].replace("{crate}", name).replace("{version}", line["vers"])
            url = url.replace("{sha256-checksum}", line["cksum"])
            crate = demo_site[url.removeprefix(BASE)]
            assert hashlib.sha256(crate).hexdigest() == line["cksum"]


def test_registry_json_and_package_json_say_where_the_index_is(
    demo_site: dict[str, bytes],
) -> None:
    validate_json_outputs(demo_site)
    registry = json.loads(demo_site["api/v1/registry.json"])
    assert registry["flavours"]["cargo"] == {
        "index": "../../cargo/",
        "config": "../../cargo/config.json",
        "sparse": f"sparse+{BASE}cargo/",
    }
    bloom = json.loads(demo_site["api/v1/packages/bloom.json"])["releases"][0]
    assert bloom["requires"][0] == {"name": "leaf", "specifier": "^1.1", "kind": "dev"}
    assert bloom["features"]["tall"] == ["dep:stem"] and bloom["rust_version"] == "1.70"
    artifact = bloom["artifacts"][0]
    assert artifact["url"] == f"../../../files/bloom/{artifact['sha256']}/bloom-0.3.0.crate"


def test_package_page_shows_cargo_add_and_the_registry_config(demo_site: dict[str, bytes]) -> None:
    page = demo_site["packages/stem/index.html"].decode()
    assert "<code>cargo add stem --registry demo-crates</code>" in page
    assert f"[registries.demo-crates]\nindex = &#34;sparse+{BASE}cargo/&#34;" in page
    bloom = demo_site["packages/bloom/index.html"].decode()
    assert (
        '<a href="../../packages/stem/index.html">stem</a> <code>^1</code> <span class="muted">optional</span>'
        in bloom
    )


def test_pep440_registry_publishes_no_cargo_index(tmp_path: Path) -> None:
    build(BuildOptions(source=SourceBuilder().write(tmp_path / "s"), output=tmp_path / "site"))
    assert not (tmp_path / "site" / "cargo").exists()
    assert "flavours" not in json.loads((tmp_path / "site/api/v1/registry.json").read_text())


def test_index_files_are_revalidated_and_hosted_crates_are_immutable() -> None:
    assert response_headers("/cargo/le/af/leaf", "leaf")["Cache-Control"] == REVALIDATE
    assert response_headers("/cargo/config.json", "config.json")["Cache-Control"] == REVALIDATE
    crate = response_headers(f"/files/leaf/{'0' * 64}/leaf-1.0.0.crate", "leaf-1.0.0.crate")
    assert crate["Cache-Control"] == IMMUTABLE
    assert response_headers("/index.html", "index.html")["Cache-Control"] != IMMUTABLE


# What the flavour refuses -----------------------------------------------------------------------


def test_cargo_flavour_without_the_semver_scheme_is_refused(tmp_path: Path) -> None:
    builder = SourceBuilder()
    builder.registry["flavours"] = {"cargo": True}
    assert 'version-scheme = "semver"' in problems(builder, tmp_path)


def test_hosted_crates_without_a_base_url_are_refused_with_the_fix(
    demo_source: Path, tmp_path: Path
) -> None:
    source = shutil.copytree(demo_source, tmp_path / "source")
    registry = tomlkit.parse((source / "registry.toml").read_text())
    del registry["registry"]["base-url"]  # type: ignore[union-attr]
    (source / "registry.toml").write_text(tomlkit.dumps(registry))
    key = Path(__file__).parents[1] / "examples/cargo-registry/demo-keys/root.key"
    assert main(["sign", str(source / "registry.toml"), "--key", str(key)]) == 0
    with pytest.raises(BuildError, match="set \\[registry\\] base-url, pass --base-url"):
        build(BuildOptions(source=source, output=tmp_path / "site"))


def test_release_without_its_crate_at_the_dl_url_is_refused(tmp_path: Path) -> None:
    builder = cargo_builder()
    builder.packages["delta"]["release"][0]["artifact"][0]["url"] = "https://elsewhere.org/x"
    assert (
        "release[0]: the cargo flavour needs the release's crate: expected an artifact at"
        " https://dl.example.org/delta/0.1.0" in problems(builder, tmp_path)
    )


def test_hosted_crate_changed_after_signing_is_refused(demo_source: Path, tmp_path: Path) -> None:
    source = shutil.copytree(demo_source, tmp_path / "source")
    (source / "packages/stem/files/stem-1.0.0.crate").write_bytes(b"not the crate")
    match = r"packages/stem/files/stem-1.0.0.crate is 13 bytes, but package.toml records \d+"
    with pytest.raises(BuildError, match=match):
        build(BuildOptions(source=source, output=tmp_path / "site"))
    (source / "packages/stem/files/stem-1.0.0.crate").unlink()
    with pytest.raises(
        BuildError, match=r"hosted file not found: looked for packages/stem/files/stem-1\.0\.0"
    ):
        build(BuildOptions(source=source, output=tmp_path / "site"))


# Cargo's fields in the source -------------------------------------------------------------------


def built_lines(builder: SourceBuilder, tmp_path: Path, name: str) -> list[dict[str, Any]]:
    source = builder.write(tmp_path / "source")
    build(BuildOptions(source=source, output=tmp_path / "site"))
    return index_lines(read_tree(tmp_path / "site"), name)


def test_every_dependency_form_reaches_the_index(tmp_path: Path) -> None:
    builder = cargo_builder()
    requires = {
        "gamma": "1.0",  # today's form
        "alpha": [{"version": "1", "features": ["x"]}, {"version": "1", "kind": "build"}],
        "gam": {"version": "=1.0.1", "package": "gamma", "target": "cfg(windows)"},
        "serde_json": {"version": "1", "registry": "https://github.com/rust-lang/crates.io-index"},
    }
    builder.packages["delta"]["release"][0]["requires"] = requires
    deps = built_lines(builder, tmp_path, "delta")[0]["deps"]
    assert [(d["name"], d["req"], d["kind"], d["target"], d["package"]) for d in deps] == [
        ("alpha", "^1", "normal", None, None),
        ("alpha", "^1", "build", None, None),
        ("gam", "=1.0.1", "normal", "cfg(windows)", "gamma"),
        ("gamma", "^1.0", "normal", None, None),
        ("serde_json", "^1", "normal", None, None),
    ]
    assert deps[0]["features"] == ["x"]
    assert deps[4]["registry"] == "https://github.com/rust-lang/crates.io-index"
    site = read_tree(tmp_path / "site")
    assert json.loads(site["api/v1/packages/gamma.json"])["dependents"] == ["delta"]


@pytest.mark.parametrize(
    ("requires", "message"),
    [
        (
            {"gamma": [{"version": "1"}, {"version": "1.0"}]},
            "two entries of kind 'normal' for every target",
        ),
        ({"gamma": {"version": "1", "kind": "dev", "optional": True}}, "cannot be optional"),
        ({"gamma": {"version": "1", "kind": "test"}}, "expected one of 'normal', 'dev', 'build'"),
        ({"serde_json": {"version": "1"}}, "with registry = '<index URL>'"),
        ({"gamma": {"version": "1", "registry": "ftp://x"}}, "another registry's index URL"),
        ({"gamma": {"version": "1", "target": "cfg(unix"}}, "expected 'cfg(…)'"),
        ({"gamma": {"versoin": "1"}}, "unknown key; expected one of"),
        ({"gamma": 3}, "expected a requirement string ('^1.2'), a table"),
        ({"gamma": {"version": "1.2.3.4"}}, "not a valid cargo version requirement"),
    ],
    ids=["same-kind-twice", "optional-dev", "unknown-kind", "foreign-name", "bad-registry",
         "bad-target", "typo", "not-a-table", "bad-requirement"],
)  # fmt: skip
def test_bad_cargo_dependency_is_refused(
    requires: dict[str, Any], message: str, tmp_path: Path
) -> None:
    builder = cargo_builder()
    builder.packages["delta"]["release"][0]["requires"] = requires
    assert message in problems(builder, tmp_path)


def test_feature_that_names_nothing_is_refused_as_cargo_would(tmp_path: Path) -> None:
    builder = cargo_builder()
    entry = builder.packages["delta"]["release"][0]
    entry["requires"] = {"gamma": {"version": "1", "optional": True}, "alpha": "1"}
    entry["features"] = {"a": ["dep:alpha"], "b": ["gamma/x", "c"], "d": ["dep:gamma", "gamma"]}
    found = problems(builder, tmp_path)
    assert "features.a: 'dep:alpha' names no an optional dependency" in found
    assert "features.b: 'c' names no another feature" in found
    assert "features.d: 'gamma' names no another feature or an optional dependency" in found
    assert "'gamma/x'" not in found


def test_cargo_fields_are_refused_in_a_pep440_registry(tmp_path: Path) -> None:
    builder = SourceBuilder()
    builder.packages["alpha"]["release"][0]["rust-version"] = "1.70"
    requires = {"alpha": {"version": ">=1", "kind": "dev"}}
    builder.packages["beta"]["release"][0]["requires"] = requires
    found = problems(builder, tmp_path)
    assert 'rust-version: cargo\'s field: only under version-scheme = "semver"' in found
    assert 'requires.alpha.kind: cargo\'s field: only under version-scheme = "semver"' in found


def test_external_dl_template_publishes_no_hosted_path(tmp_path: Path) -> None:
    lines = built_lines(cargo_builder(), tmp_path, "gamma")
    config = json.loads((tmp_path / "site/cargo/config.json").read_text())
    assert config == {"dl": "https://dl.example.org/{crate}/{version}"}
    by_publish_time = ["1.0.1", "1.0.0-beta", "1.0.0-alpha", "1.0.0", "1.0.0-alpha.1"]
    assert [line["vers"] for line in lines] == by_publish_time


def test_regsite_client_locks_and_downloads_hosted_crates(
    demo_source: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REGSITE_CLIENT_DIR", str(tmp_path / "client"))
    site, lock, vendor = tmp_path / "site", tmp_path / "demo.lock", tmp_path / "vendor"
    key = load_private_key(str(DEMO_ONLINE_KEY))
    build(BuildOptions(source=demo_source, output=site, online_key=key))
    root = demo_source / "metadata" / "1.root.json"
    with serving(site) as url:
        assert run(capsys, "client", "trust", url, "--root", root)[0] == 0
        code, out = run(capsys, "client", "lock", "bloom", "stem", "-o", lock)
        assert code == 0, out
        # bloom's optional stem and dev-dependency leaf are not installed with it; stem's leaf
        # is, and 1.2.0 is yanked.
        assert out.splitlines()[1:] == ["  bloom 0.3.0", "  leaf 1.1.0", "  stem 1.0.0"]
        code, out = run(capsys, "client", "download", lock, "-d", vendor)
        assert code == 0, out
    crate = (demo_source / "packages/leaf/files/leaf-1.1.0.crate").read_bytes()
    assert (vendor / "leaf-1.1.0.crate").read_bytes() == crate
    assert (
        f"{url}/files/leaf/{hashlib.sha256(crate).hexdigest()}/leaf-1.1.0.crate" in lock.read_text()
    )


def test_demo_registry_is_made_byte_for_byte_the_same_twice(
    demo_source: Path, tmp_path: Path
) -> None:
    again = make_demo_source(tmp_path / "again")
    # metadata/1.root.json alone counts its expiry from the clock.
    first, second = (
        {p: c for p, c in read_tree(root).items() if not p.startswith("metadata/")}
        for root in (demo_source, again)
    )
    assert first == second
    assert len([path for path in first if path.endswith(".crate")]) == 6
