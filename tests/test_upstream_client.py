"""Registries that depend on registries: the client (trust follows a registry's upstreams, the
resolver resolves across them, the lockfile says where each package came from) and
``regsite mirror``, end to end through ``main(argv)`` against sites served on 127.0.0.1."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder import SourceBuilder, fixed_key
from clientsite import Served, revalidating_server, served_release
from conftest import serving
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.client.export import requirements_file
from regsite.client.lockfile import Lock, LockedArtifact, LockedPackage
from regsite.commands.trust import write_next_root
from regsite.keys import write_private_key
from regsite.sources import SourceTree
from regsite.versions import PEP440
from upstreamsite import base_builder, build_base, pin_base, write_downstream

ONLINE = fixed_key("online")


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@dataclass(frozen=True, slots=True)
class Registries:
    """base served at ``base_url``; the downstream's source and site, its root; the files."""

    base_site: Path
    base_url: str
    source: Path
    site: Path
    files: Served

    @property
    def root(self) -> Path:
        return self.source / "metadata" / "1.root.json"


def downstream_source(registries_dir: Path, files: Served, base_url: str, base_root: Path) -> Path:
    """app 1.0.0 requires tinyjson>=0.4.1 from base and alpha; it takes url-parse too, and
    shadows base's widget with its own."""
    builder = SourceBuilder()
    builder.registry["trust"]["online-keys"] = [str(ONLINE.public)]
    upstream = pin_base(base_url + "/", base_root, ["tinyjson", "url-parse"], shadowed=["widget"])
    builder.registry["upstream"] = [upstream]
    artifacts = registries_dir / "files"
    alpha = served_release(files, artifacts, "alpha", "1.0.0", 1)
    builder.add_package("alpha", ["alice"], [alpha])
    requires = {"tinyjson": {"version": ">=0.4.1", "upstream": "base"}, "alpha": ">=1"}
    builder.add_package(
        "app", ["alice"], [served_release(files, artifacts, "app", "1.0.0", 5, requires=requires)]
    )
    builder.add_package("widget", ["bob"], [served_release(files, artifacts, "widget", "9.0.0", 6)])
    source = write_downstream(builder, registries_dir / "source", base_root)
    write_next_root(SourceTree(source), [fixed_key("root")], datetime(2026, 1, 1, tzinfo=UTC))
    return source


@pytest.fixture
def registries(tmp_path: Path) -> Iterator[Registries]:
    (tmp_path / "files").mkdir()
    with revalidating_server(tmp_path / "files") as files:
        base = base_builder()
        tinyjson = served_release(files, tmp_path / "files", "tinyjson", "0.4.1", 2)
        base.add_package("tinyjson", ["alice"], [tinyjson])
        requires = {"tinyjson": ">=0.4", "widget": ">=1"}
        url_parse = served_release(
            files, tmp_path / "files", "url-parse", "1.0.0", 3, requires=requires
        )
        base.add_package("url-parse", ["bob"], [url_parse])
        base_site = tmp_path / "base-site"
        base_root = build_base(base, tmp_path / "base-source", base_site)
        with serving(base_site) as base_url:
            source = downstream_source(tmp_path, files, base_url, base_root)
            site = tmp_path / "site"
            build(BuildOptions(source=source, output=site, online_key=ONLINE))
            yield Registries(base_site, base_url, source, site, files)


def lock_of(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text())


def test_trust_also_trusts_the_upstreams_a_registry_declares_with_their_pinned_roots(
    registries: Registries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    with serving(registries.site) as url:
        code, out, err = run(
            capsys, "client", "trust", url, "--root", registries.root, "--state", state
        )
    assert code == 0, err
    assert out.splitlines()[-1] == (
        f"and upstream base: {registries.base_url}/ (root version 1, pinned by its registry.toml)"
    )
    (directory,) = [d for d in state.iterdir() if d.is_dir()]
    (upstream,) = (directory / "upstreams").iterdir()  # kept apart from any trust of the user's
    pinned = (registries.source / "upstream" / "base" / "1.root.json").read_bytes()
    assert (upstream / "pinned-root.json").read_bytes() == pinned


def test_the_resolver_resolves_a_dependency_that_lives_upstream(
    registries: Registries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock, vendor = tmp_path / "state", tmp_path / "app.lock", tmp_path / "vendor"
    with serving(registries.site) as url:
        assert (
            run(capsys, "client", "trust", url, "--root", registries.root, "--state", state)[0] == 0
        )
        code, out, err = run(capsys, "client", "lock", "app", "-o", lock, "--state", state)
    assert code == 0, err
    assert out.splitlines()[1:] == ["  alpha 1.0.0", "  app 1.0.0", "  tinyjson 0.4.1"]
    locked = lock_of(lock)
    assert locked["upstreams"] == {"base": registries.base_url + "/"}
    sources = {p["name"]: p.get("upstream") for p in locked["package"]}  # type: ignore[attr-defined]
    assert sources == {"alpha": None, "app": None, "tinyjson": "base"}
    code, out, err = run(capsys, "client", "download", lock, "-d", vendor)
    assert code == 0, err
    assert (vendor / "tinyjson-0.4.1.tar.gz").read_bytes() == b"tinyjson 0.4.1\n" * 12


def test_a_shadowed_name_is_this_registrys_for_the_upstreams_packages_too(
    registries: Registries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """base's url-parse requires widget; registry.toml shadows base's widget: ours is locked."""
    state, lock = tmp_path / "state", tmp_path / "L"
    with serving(registries.site) as url:
        run(capsys, "client", "trust", url, "--root", registries.root, "--state", state)
        code, _, err = run(capsys, "client", "lock", "url-parse", "-o", lock, "--state", state)
    assert code == 0, err
    locked = {p["name"]: (p["version"], p.get("upstream")) for p in lock_of(lock)["package"]}  # type: ignore[attr-defined]
    assert locked == {
        "tinyjson": ("0.4.1", "base"),
        "url-parse": ("1.0.0", "base"),
        "widget": ("9.0.0", None),
    }


def test_an_upstream_serving_a_tampered_package_is_refused_by_the_client(
    registries: Registries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock = tmp_path / "state", tmp_path / "L"
    with serving(registries.site) as url:
        run(capsys, "client", "trust", url, "--root", registries.root, "--state", state)
        sources = registries.base_site / "api" / "v1" / "sources" / "tinyjson"
        for path in sources.glob("*package.toml"):
            path.write_bytes(path.read_bytes().replace(b"0.4.1", b"0.4.2"))
        code, _, err = run(capsys, "client", "lock", "app", "-o", lock, "--state", state)
    assert code == 1
    assert "the signed metadata lists" in err and "api/v1/sources/tinyjson/package.toml" in err
    assert not lock.exists()


# regsite mirror ----------------------------------------------------------------------------------


def test_a_mirror_served_by_regsite_serve_verifies_and_resolves_as_the_original(
    registries: Registries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror, state, lock = tmp_path / "mirror", tmp_path / "state", tmp_path / "L"
    with serving(registries.site) as url:
        code, out, err = run(capsys, "mirror", url, "-o", mirror, "--root", registries.root)
    assert code == 0, err
    assert out.startswith(f"mirrored {url}/ into {mirror}: ")
    assert "fetched, 0 already there" in out
    original = {p.relative_to(registries.site) for p in registries.site.rglob("*") if p.is_file()}
    copied = {p.relative_to(mirror) for p in mirror.rglob("*") if p.is_file()}
    assert copied <= original and all(
        (mirror / path).read_bytes() == (registries.site / path).read_bytes() for path in copied
    )
    code, out, err = run(capsys, "verify-site", mirror, "--root", registries.root)
    assert code == 0 and " verified: " in out, err
    with serving(mirror) as mirror_url:
        assert (
            run(capsys, "client", "trust", mirror_url, "--root", registries.root, "--state", state)[
                0
            ]
            == 0
        )
        code, out, err = run(capsys, "client", "lock", "app", "-o", lock, "--state", state)
    assert code == 0, err
    assert lock_of(lock)["registry"] == mirror_url + "/"
    code, _, err = run(capsys, "client", "download", lock, "-d", tmp_path / "vendor")
    assert code == 0, err


def test_mirroring_again_fetches_only_what_changed(
    registries: Registries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror = tmp_path / "mirror"
    with revalidating_server(registries.site) as origin:
        assert run(capsys, "mirror", origin.url, "-o", mirror, "--root", registries.root)[0] == 0
        origin.requests.clear()
        code, out, _ = run(capsys, "mirror", origin.url, "-o", mirror)  # its own first root
        assert code == 0 and " (0 fetched, " in out
        assert {r.path for r in origin.requests} == {
            "/metadata/2.root.json",
            "/metadata/timestamp.json",
        }
        document = registries.source / "packages" / "widget" / "package.toml"
        document.write_text(document.read_text().replace("The widget package.", "Widgets."))
        run(capsys, "sign", document, "--key", _key(tmp_path, "bob"))
        build(BuildOptions(source=registries.source, output=registries.site, online_key=ONLINE))
        origin.requests.clear()
        code, out, _ = run(capsys, "mirror", origin.url, "-o", mirror)
    assert code == 0
    fetched = {r.path for r in origin.requests if not r.path.startswith("/metadata/")}
    assert {"/api/v1/packages/widget.json", "/packages/widget/index.html"} <= fetched
    unchanged = ("/alpha", "/app", "/static/")  # their files have the hashes the mirror holds
    assert not [path for path in fetched if any(part in path for part in unchanged)]
    code, out, err = run(capsys, "verify-site", mirror, "--root", registries.root)
    assert code == 0, err


def test_a_mirror_of_a_tampered_origin_is_refused_and_keeps_its_timestamp(
    registries: Registries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror = tmp_path / "mirror"
    assert run(capsys, "mirror", registries.site, "-o", mirror, "--root", registries.root)[0] == 0
    timestamp = (mirror / "metadata" / "timestamp.json").read_bytes()
    page = registries.site / "packages" / "app" / "index.html"
    page.write_bytes(page.read_bytes().replace(b"app", b"ppa"))
    (mirror / "packages" / "app" / "index.html").unlink()
    code, _, err = run(capsys, "mirror", registries.site, "-o", mirror)
    assert code == 1
    assert "packages/app/index.html: not the bytes the signed targets list" in err
    assert (mirror / "metadata" / "timestamp.json").read_bytes() == timestamp


def test_a_mirror_refuses_a_directory_that_is_not_one(
    registries: Registries, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "mirror", registries.site, "-o", home, "--root", registries.root)
    assert code == 1 and "not empty, and not a mirror" in err
    assert (home / "notes.txt").read_text() == "mine"


def _key(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.key"
    if not path.exists():
        write_private_key(path, fixed_key(name))
    return path


# Lock exports: a package taken from an upstream is found in the upstream's index -------------


def test_requirements_export_adds_each_upstreams_simple_index() -> None:
    def locked(name: str, upstream: str | None) -> LockedPackage:
        artifact = LockedArtifact(url=f"https://f.example.org/{name}.whl", sha256="a" * 64, size=1)
        return LockedPackage(
            name=name, version=PEP440.parse_version("1.0"), artifacts=(artifact,), upstream=upstream
        )

    lock = Lock(
        registry="https://main.example.org/",
        requirements=("app",),
        packages=(locked("app", None), locked("ucd", "seedbank")),
        upstreams={"seedbank": "https://seedbank.example.org/"},
    )
    lines = requirements_file(lock, "https://main.example.org/simple/").decode().splitlines()
    assert lines[2:4] == [
        "--index-url https://main.example.org/simple/",
        "--extra-index-url https://seedbank.example.org/simple/",
    ]
