"""The cargo flavour: cargo's fields in the source, the sparse index it renders, the headers it
is served with, and ``release add --from-crate``.  Real cargo runs in test_cargo_real.py."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from builder import SourceBuilder, semver_builder
from cargosite import DEMO_ONLINE_KEY, DEMO_OWNER_KEY, crate_bytes, make_demo_source
from cargosite import manifest_crate as crate_of
from conftest import serving
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.crate_file import CrateLimits, read_crate
from regsite.errors import BuildError, SourceEditError
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


def cargo_builder(dl: str = "https://dl.example.org/{crate}/{version}") -> SourceBuilder:
    """semver_builder's registry with the cargo flavour, every crate at the dl template's URL."""
    builder = semver_builder()
    builder.registry["flavours"] = {"cargo": {"dl": dl}}
    for name, document in builder.packages.items():
        for entry in document["release"]:
            url = dl.replace("{crate}", name).replace("{version}", entry["version"])
            entry["artifact"] = [{"url": url, "sha256": "ab" * 32, "size": 10}]
    return builder


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out + captured.err


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
        '<a href="../../packages/stem/index.html">stem</a> <code>^1</code> <span class="muted">(optional)</span>'
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
    with pytest.raises(BuildError, match=r"file: stem-1.0.0.crate has 13 bytes, \d+ recorded"):
        build(BuildOptions(source=source, output=tmp_path / "site"))
    (source / "packages/stem/files/stem-1.0.0.crate").unlink()
    with pytest.raises(
        BuildError, match=r"files/stem-1\.0\.0\.crate is missing beside package\.toml"
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
    builder.packages["beta"]["release"][0]["requires"] = {"alpha": {"version": ">=1"}}
    found = problems(builder, tmp_path)
    assert 'rust-version: cargo\'s field: only under version-scheme = "semver"' in found
    assert "requires.alpha: expected a version specifier string" in found


def test_external_dl_template_publishes_no_hosted_path(tmp_path: Path) -> None:
    lines = built_lines(cargo_builder(), tmp_path, "gamma")
    config = json.loads((tmp_path / "site/cargo/config.json").read_text())
    assert config == {"dl": "https://dl.example.org/{crate}/{version}"}
    by_publish_time = ["1.0.1", "1.0.0-beta", "1.0.0-alpha", "1.0.0", "1.0.0-alpha.1"]
    assert [line["vers"] for line in lines] == by_publish_time


# Reading crates ---------------------------------------------------------------------------------


def write_crate(tmp_path: Path, content: bytes, name: str = "x.crate") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"a-1.0.0/../../evil": b""}, "outside its directory"),
        ({"/etc/a-1.0.0": b""}, "outside its directory"),
        ({"a-1.0.0/Cargo.toml": b"", "b-1.0.0/src": b""}, "entries under both"),
        ({"a-1.0.0/src/lib.rs": b""}, "no NAME-VERSION/Cargo.toml"),
    ],
    ids=["dot-dot", "absolute", "two-tops", "no-manifest"],
)
def test_crate_with_a_path_trick_is_refused(
    entries: dict[str, bytes], message: str, tmp_path: Path
) -> None:
    with pytest.raises(SourceEditError, match=message):
        read_crate(write_crate(tmp_path, crate_bytes(entries)))


def test_crate_with_a_link_is_refused(tmp_path: Path) -> None:
    content = crate_bytes({"a-1.0.0/Cargo.toml": b""}, links={"a-1.0.0/x": "/etc/passwd"})
    with pytest.raises(SourceEditError, match="is a link or a device"):
        read_crate(write_crate(tmp_path, content))


def test_crate_that_inflates_past_the_limit_is_refused(tmp_path: Path) -> None:
    bomb = crate_bytes({"a-1.0.0/Cargo.toml": b"", "a-1.0.0/zeros": bytes(2_000_000)})
    assert len(bomb) < 10_000
    with pytest.raises(SourceEditError, match="unpacks to more bytes than allowed"):
        read_crate(write_crate(tmp_path, bomb), CrateLimits(unpacked_bytes=1_000_000))


def test_crate_whose_directory_is_not_its_name_and_version_is_refused(tmp_path: Path) -> None:
    content = crate_bytes({"a-1.0.0/Cargo.toml": b'[package]\nname = "a"\nversion = "2.0.0"\n'})
    with pytest.raises(SourceEditError, match="cargo would refuse it"):
        read_crate(write_crate(tmp_path, content))


def test_not_a_gzip_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceEditError, match="not a gzip-compressed tarball"):
        read_crate(write_crate(tmp_path, b"PK\x03\x04 a zip file"))


# release add --from-crate -----------------------------------------------------------------------


OWN_INDEX = "sparse+http://127.0.0.1:8000/cargo/"
MANIFEST = f"""
[package]
name = "stem"
version = "2.0.0"
links = "z"
rust-version = "1.74"

[features]
serde = ["dep:serde", "leaf?/std"]

[dependencies]
serde = {{ version = "1.0.100", optional = true, default-features = false }}
leaf = {{ version = "1.1", registry-index = "{OWN_INDEX}", optional = true }}
twig = {{ version = "1", package = "leaf", registry-index = "{OWN_INDEX}" }}

[build-dependencies]
cc = "1"

[target.'cfg(windows)'.dependencies]
leaf = {{ version = "1", registry-index = "{OWN_INDEX}" }}
windows = {{ version = "0.52", registry-index = "sparse+https://other.example.org/" }}
"""


def test_from_crate_records_every_dependency_kind_and_target(
    demo_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = shutil.copytree(demo_source, tmp_path / "source")
    crate = write_crate(tmp_path, crate_of("stem", "2.0.0", MANIFEST), "stem-2.0.0.crate")
    code, out = run(capsys, "release", "add", "stem", "--from-crate", crate, "-C", source,
                    "--sign", DEMO_OWNER_KEY)  # fmt: skip
    assert code == 0, out
    entry = tomlkit.parse((source / "packages/stem/package.toml").read_text())["release"][-1]
    assert entry["links"] == "z" and entry["rust-version"] == "1.74"
    assert entry["artifact"][0]["file"] == "stem-2.0.0.crate"
    requires = entry["requires"].unwrap()
    crates_io = "https://github.com/rust-lang/crates.io-index"
    assert requires == {
        "cc": {"version": "1", "registry": crates_io, "kind": "build"},
        "leaf": [
            {"version": "1.1", "optional": True},
            {"version": "1", "target": "cfg(windows)"},
        ],
        "serde": {
            "version": "1.0.100", "optional": True, "default-features": False,
            "registry": crates_io,
        },
        "twig": {"version": "1", "package": "leaf"},
        "windows": {
            "version": "0.52", "registry": "sparse+https://other.example.org/",
            "target": "cfg(windows)",
        },
    }  # fmt: skip
    assert (source / "packages/stem/files/stem-2.0.0.crate").read_bytes() == crate.read_bytes()
    build(BuildOptions(source=source, output=tmp_path / "site"))


def test_from_crate_with_an_artifact_url_records_it_instead_of_hosting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    builder = cargo_builder()
    source = builder.write(tmp_path / "source")
    crate = write_crate(
        tmp_path, crate_of("alpha", "1.5.0", '[package]\nname = "alpha"\nversion = "1.5.0"\n')
    )
    code, out = run(capsys, "release", "add", "alpha", "1.5.0", "--from-crate", crate,
                    "--artifact", "https://dl.example.org/alpha/1.5.0", "-C", source)  # fmt: skip
    assert code == 0, out
    entry = tomlkit.parse((source / "packages/alpha/package.toml").read_text())["release"][-1]
    assert entry["artifact"][0]["url"] == "https://dl.example.org/alpha/1.5.0"
    assert entry["artifact"][0]["sha256"] == hashlib.sha256(crate.read_bytes()).hexdigest()
    assert not (source / "packages/alpha/files").exists()


@pytest.mark.parametrize(
    ("name", "version", "crate_name", "message"),
    [
        ("stem", "", "leaf", "a crate of 'leaf', not 'stem'"),
        ("stem", "3.0.0", "stem", "Cargo.toml says version 2.0.0, not 3.0.0"),
        ("stem", "", "Stem_x", "a crate of 'Stem_x'"),
    ],
)
def test_from_crate_refuses_a_crate_of_another_name_or_version(
    name: str,
    version: str,
    crate_name: str,
    message: str,
    demo_source: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = shutil.copytree(demo_source, tmp_path / "source")
    manifest = f'[package]\nname = "{crate_name}"\nversion = "2.0.0"\n'
    crate = write_crate(tmp_path, crate_of(crate_name, "2.0.0", manifest))
    before = (source / "packages/stem/package.toml").read_bytes()
    argv = ["release", "add", name, *([version] if version else []), "--from-crate", crate]
    code, out = run(capsys, *argv, "-C", source)
    assert code != 0 and message in out
    assert (source / "packages/stem/package.toml").read_bytes() == before


def test_from_crate_with_an_underscore_name_says_how_to_rename_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    builder = cargo_builder()
    source = builder.write(tmp_path / "source")
    manifest = '[package]\nname = "my_crate"\nversion = "1.0.0"\n'
    builder.registry["packages"]["my-crate"] = {"owners": ["alice"]}
    crate = write_crate(tmp_path, crate_of("my_crate", "1.0.0", manifest))
    code, out = run(capsys, "release", "add", "my-crate", "--from-crate", crate, "-C", source)
    assert code != 0
    assert "name the crate 'my-crate' in its Cargo.toml (Rust code still writes it with '_')" in out


def test_from_crate_whose_dependency_build_would_refuse_writes_nothing(
    demo_source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = shutil.copytree(demo_source, tmp_path / "source")
    manifest = f'[package]\nname = "stem"\nversion = "2.0.0"\n[dependencies]\nleaf = {{ version = "9", registry-index = "{OWN_INDEX}" }}\n'
    crate = write_crate(tmp_path, crate_of("stem", "2.0.0", manifest))
    code, out = run(capsys, "release", "add", "stem", "--from-crate", crate, "-C", source)
    assert code != 0 and "no release of 'leaf' satisfies ^9" in out
    assert not (source / "packages/stem/files/stem-2.0.0.crate").exists()


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
