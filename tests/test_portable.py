"""Portable packages (docs/portable.md), end to end through ``main(argv)``: the build's shards,
closure manifests and consistency check; ``client lock`` recording closures and acceptable
versions; ``client vendor``; ``client lock --vendor DIR [--offline]`` with the server stopped."""

# ruff: noqa: F811 - the fixtures imported from test_client_cli are parameters by name
from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from builder import SourceBuilder, fixed_key, release
from clientsite import revalidating_server, served_release
from conftest import serving
from regsite import consistency
from regsite.keys import write_private_key
from test_client_cli import (  # noqa: F401 - pytest fixtures, used by name
    SignedRegistry,
    _isolated_client,
    build_signed,
    client,
    pin,
    registry,
    run,
)
from test_shard import MARKED_APP, marked_builder

CLOSURES = "api/v1/closures"
SHARDS = "api/v1/shards"


@pytest.fixture
def marked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[SignedRegistry]:
    """test_shard's registry of markers, extras, two entries for one name and requires-python,
    signed, its artifacts served."""
    artifacts, keys = tmp_path / "artifacts", tmp_path / "keys"
    artifacts.mkdir()
    keys.mkdir()
    for name in ("root", "online", "alice", "bob"):
        write_private_key(keys / f"{name}.key", fixed_key(name))
    with revalidating_server(artifacts) as files:
        builder = marked_builder()
        for document in builder.packages.values():
            name = document["package"]["name"]
            for entry in document["release"]:
                entry["artifact"] = served_release(
                    files, artifacts, name, entry["version"], entry["published"].day
                )["artifact"]
        source = builder.write(tmp_path / "source")
        online = str(fixed_key("online").public)
        trust = ("trust", "online-key", online, "--sign", keys / "root.key", "-C", source)
        assert run(capsys, *trust)[0] == 0
        code, _, err = build_signed(capsys, source, tmp_path / "site", keys / "online.key")
        assert code == 0, err
        yield SignedRegistry(source, tmp_path / "site", keys, artifacts, files)


def locked(path: Path) -> dict[str, dict[str, object]]:
    return {package["name"]: package for package in tomllib.loads(path.read_text())["package"]}


def document(site: Path, name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((site / f"api/v1/packages/{name}.json").read_bytes())
    return loaded


def vendored(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str], *wanted: str
) -> tuple[Path, Path, Path]:
    """Trust the registry, lock ``wanted`` and vendor the lock, then stop serving the site."""
    state, lock, vendor = tmp_path / "state", tmp_path / "app.lock", tmp_path / "vendor"
    with serving(registry.site) as url:
        pin(capsys, state, url, registry.root)
        code, _, err = client(capsys, state, "lock", *wanted, "-o", lock)
        assert code == 0, err
        code, out, err = run(capsys, "client", "vendor", lock, "-d", vendor)
        assert code == 0, err
    assert out.splitlines()[0].startswith("vendored the closures of ")
    return state, lock, vendor


def test_the_lock_keeps_closures_and_acceptable_versions(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, lock, vendor = vendored(registry, tmp_path, capsys, "beta")
    packages = locked(lock)
    assert packages["beta"]["closure"] == document(registry.site, "beta")["closure"]
    assert packages["alpha"]["closure"] == document(registry.site, "alpha")["closure"]
    # beta requires alpha>=1.0,<2: 1.2.0 is yanked, so 1.1.0 and 1.0.0 were acceptable.
    assert packages["alpha"]["acceptable"] == ["1.1.0", "1.0.0"]
    assert packages["beta"]["acceptable"] == ["0.9.0"]
    for name in ("alpha", "beta"):
        closure = vendor / "closures" / name / f"{packages[name]['closure']}.json"
        assert hashlib.sha256(closure.read_bytes()).hexdigest() == packages[name]["closure"]
    assert sorted(p.name for p in (vendor / "artifacts").iterdir()) == [
        "alpha-1.1.0.tar.gz",
        "beta-0.9.0.tar.gz",
    ]


def test_with_the_server_stopped_an_offline_lock_resolves_from_vendored_shards(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock, vendor = vendored(registry, tmp_path, capsys, "beta")
    before = lock.read_bytes()
    code, out, err = client(
        capsys, state, "lock", "beta", "alpha==1.0.0", "-o", lock, "--vendor", vendor, "--offline"
    )
    assert code == 0, err
    assert out.splitlines()[1:] == ["  alpha 1.0.0", "  beta 0.9.0"]
    assert locked(lock)["alpha"]["acceptable"] == ["1.0.0"]
    # Within the versions the lock accepted first: alpha stays where the lock put it.
    code, out, err = client(
        capsys, state, "lock", "beta", "-o", lock, "--vendor", vendor, "--offline"
    )
    assert code == 0, err
    assert out.splitlines()[1:] == ["  alpha 1.0.0", "  beta 0.9.0"]
    # A requirement the accepted versions cannot meet widens to every vendored version.
    code, out, err = client(
        capsys, state, "lock", "beta", "alpha>=1.1", "-o", lock, "--vendor", vendor, "--offline"
    )
    assert code == 0, err
    assert lock.read_bytes().replace(b'"alpha>=1.1",\n', b"") != before
    assert out.splitlines()[1:] == ["  alpha 1.1.0", "  beta 0.9.0"]


def test_a_tampered_vendored_shard_is_refused(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock, vendor = vendored(registry, tmp_path, capsys, "beta")
    (shard,) = (vendor / "shards" / "alpha").iterdir()
    shard.write_bytes(shard.read_bytes().replace(b'"1.1.0"', b'"1.9.0"'))
    before = lock.read_bytes()
    code, _, err = client(
        capsys, state, "lock", "beta", "-o", lock, "--vendor", vendor, "--offline"
    )
    assert code != 0
    assert f"{shard}: sha256 is " in err and "tampered with or corrupted; refused" in err
    assert lock.read_bytes() == before


def test_a_tampered_vendored_manifest_is_refused(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock, vendor = vendored(registry, tmp_path, capsys, "beta")
    (manifest,) = (vendor / "closures" / "beta").iterdir()
    content = manifest.read_bytes()
    assert b'"alpha":[' in content
    manifest.write_bytes(content.replace(b'"1-2"]', b'"0-2"]'))  # admit the yanked 1.2.0
    code, _, err = client(
        capsys, state, "lock", "beta", "-o", lock, "--vendor", vendor, "--offline"
    )
    assert code != 0 and f"{manifest}: sha256 is " in err


def test_offline_names_what_is_missing_and_online_fetches_only_that(
    registry: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock, vendor = tmp_path / "state", tmp_path / "app.lock", tmp_path / "vendor"
    with revalidating_server(registry.site) as site:
        pin(capsys, state, site.url, registry.root)
        assert client(capsys, state, "lock", "alpha", "-o", lock)[0] == 0
        assert run(capsys, "client", "vendor", lock, "-d", vendor)[0] == 0
        site.requests.clear()
        code, _, err = client(
            capsys, state, "lock", "alpha", "beta", "-o", lock, "--vendor", vendor, "--offline"
        )
        assert code != 0 and site.requests == []
        assert "beta: not in the closures" in err and "lock without --offline" in err
        code, out, err = client(
            capsys, state, "lock", "alpha", "beta", "-o", lock, "--vendor", vendor
        )
        assert code == 0, err
    assert out.splitlines()[1:] == ["  alpha 1.1.0", "  beta 0.9.0"]
    portable = sorted(
        r.path for r in site.requests if r.path.startswith(("/api/v1/closures", "/api/v1/shards"))
    )
    beta = locked(lock)["beta"]
    # beta's manifest and shard were fetched; alpha's were vendored already.
    assert portable == [
        f"/{CLOSURES}/beta/{beta['closure']}.json",
        *[f"/{SHARDS}/beta/{p.name}" for p in (vendor / "shards" / "beta").iterdir()],
    ]


def test_the_build_reports_a_release_whose_requirements_admit_no_consistent_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    builder = SourceBuilder()
    builder.add_package("alpha", ["alice"], [release("alpha", "1.0.0", requires={"gamma": "<2"})])
    builder.add_package(
        "gamma", ["alice"], [release("gamma", "2.0.0", 2), release("gamma", "1.0.0")]
    )
    builder.add_package(
        "beta", ["bob"], [release("beta", "1.0.0", requires={"alpha": ">=1", "gamma": ">=2"})]
    )
    source = builder.write(tmp_path / "source")
    code, out, err = run(capsys, "build", source, "-o", tmp_path / "site", "--unsigned")
    assert code == 0, err
    # Each requirement holds on its own; beta's cannot all hold at once (alpha wants gamma<2).
    said = out + err
    assert "packages/beta/package.toml: release[version=1.0.0]: its requirements" in said
    assert said.count("admit no consistent set of releases") == 1
    assert "gamma<2 (required by alpha 1.0.0" in said


def test_the_check_takes_a_share_of_the_builds_time_and_the_next_build_finishes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert consistency.check_seconds(0.0) == consistency.CHECK_FLOOR_SECONDS
    assert consistency.check_seconds(50.0) == pytest.approx(5.0)
    assert consistency.check_seconds(1e9) == consistency.CHECK_SECONDS
    builder = SourceBuilder()
    builder.add_package("alpha", ["alice"], [release("alpha", "1.0.0", requires={"gamma": "<2"})])
    builder.add_package(
        "gamma", ["alice"], [release("gamma", "2.0.0", 2), release("gamma", "1.0.0")]
    )
    builder.add_package(
        "beta", ["bob"], [release("beta", "1.0.0", requires={"alpha": ">=1", "gamma": ">=2"})]
    )
    source, site = builder.write(tmp_path / "source"), tmp_path / "site"
    argv = ("build", source, "-o", site, "--unsigned", "--cache", tmp_path / "cache")
    with monkeypatch.context() as patched:  # a build with no time left for the check
        patched.setattr(consistency, "CHECK_FLOOR_SECONDS", 0.0)
        patched.setattr(consistency, "CHECK_SHARE", 0.0)
        code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "4 releases were not checked for a consistent set" in out + err
    assert "admit no consistent set" not in out + err
    code, out, err = run(capsys, *argv)  # the next build, with the same cache, checks them
    assert code == 0, err
    assert "were not checked" not in out + err
    assert "packages/beta/package.toml: release[version=1.0.0]: its requirements" in out + err


def test_one_package_change_renders_only_the_packages_whose_closure_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    builder = SourceBuilder()
    builder.add_package("alpha", ["alice"], [release("alpha", "1.0.0")])
    builder.add_package("beta", ["bob"], [release("beta", "1.0.0", requires={"alpha": ">=1"})])
    builder.add_package("gamma", ["bob"], [release("gamma", "1.0.0")])
    source, site = builder.write(tmp_path / "source"), tmp_path / "site"
    argv = ("build", source, "-o", site, "--unsigned", "--cache", tmp_path / "cache")
    code, out, err = run(capsys, *argv)
    assert code == 0 and "closures: 3 packages' closures changed" in out, err
    old = document(site, "beta")["closure"]
    builder.add_package(
        "alpha", ["alice"], [release("alpha", "1.0.0"), release("alpha", "1.1.0", 2)]
    )
    builder.write(source)
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    # alpha changed; beta reaches alpha, so its closure changed too; gamma was not touched.
    assert "3 packages rendered" not in out and "2 packages rendered" in out
    assert "closures: 2 packages' closures changed" in out
    assert document(site, "beta")["closure"] != old
    assert (site / CLOSURES / "beta" / f"{document(site, 'beta')['closure']}.json").is_file()
    assert not (site / CLOSURES / "beta" / f"{old}.json").exists()


def test_an_offline_lock_equals_the_online_one_with_markers_extras_and_requires_python(
    marked: SignedRegistry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, lock, vendor = vendored(marked, tmp_path, capsys, "app")
    online = lock.read_bytes()
    # app 2.0.0 requires Python 2; relic and hose are behind markers that do not hold here;
    # gadget>=2 is app's entry for this Python, gadget<2 the one for Python 2.
    assert {name: package["version"] for name, package in locked(lock).items()} == MARKED_APP
    # What a requirement under a marker that does not hold admits is not a bound, and a
    # release for another Python is not acceptable.
    acceptable = {name: package["acceptable"] for name, package in locked(lock).items()}
    assert acceptable == {name: [version] for name, version in MARKED_APP.items()}
    (shard,) = (vendor / "shards" / "app").iterdir()
    assert b'"api_version":2' in shard.read_bytes()
    assert b'"marker":"python_version < \\"3\\""' in shard.read_bytes()
    code, _, err = client(capsys, state, "lock", "app", "-o", lock, "--vendor", vendor, "--offline")
    assert code == 0, err
    assert lock.read_bytes() == online
    # A v2 shard whose requires-python is changed no longer has its name's hash: refused.
    assert b'{"requires_python":"<3"}' in shard.read_bytes()
    shard.write_bytes(shard.read_bytes().replace(b'"<3"', b'">=3"'))
    code, _, err = client(capsys, state, "lock", "app", "-o", lock, "--vendor", vendor, "--offline")
    assert code != 0 and f"{shard}: sha256 is " in err and "refused" in err
    assert lock.read_bytes() == online
