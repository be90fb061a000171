"""Reading ``.crate`` files (:mod:`regsite.crate_file`) and ``regsite release add --from-crate``
(:mod:`regsite.commands.release`)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import tomlkit

from cargosite import DEMO_OWNER_KEY, cargo_builder, crate_bytes, make_demo_source
from cargosite import manifest_crate as crate_of
from cargosite import run_cli as run
from regsite.build import BuildOptions, build
from regsite.crate_file import CrateLimits, read_crate
from regsite.errors import SourceEditError


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo registry's source, made once; tests that change it copy it first."""
    return make_demo_source(tmp_path_factory.mktemp("cargo") / "source")


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
