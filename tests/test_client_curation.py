"""The verifying client and curators' amendments, end to end through ``main(argv)``: a
resolution changes when an amendment is added and returns with ``--ignore-amendments-on``;
amendments that do not verify are refused, never ignored."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from builder import SourceBuilder, fixed_key, release
from conftest import DEMO_ONLINE_KEY
from regsite.build import BuildOptions, build, build_files, read_site
from regsite.cli import main
from regsite.commands.trust import write_next_root
from regsite.keys import write_private_key
from regsite.site_outputs import write_output
from regsite.sources import SourceTree

AMENDMENTS = "api/v1/sources/beta/amendments.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


@pytest.fixture(autouse=True)
def _isolated_client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REGSITE_CLIENT_DIR", str(tmp_path / "default-client"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1772366400")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """alpha 1.0.0, 1.1.0 and 2.0.0; beta 0.9.0 requiring alpha>=1.0; curator carol may amend
    every package; signed metadata with the demo online key."""
    builder = SourceBuilder()
    alpha = [release("alpha", v, day) for day, v in enumerate(["1.0.0", "1.1.0", "2.0.0"], 1)]
    builder.add_package("alpha", ["alice"], alpha)
    builder.add_package("beta", ["bob"], [release("beta", "0.9.0", 4, requires={"alpha": ">=1.0"})])
    builder.add_curator("carol", "Carol Curator", ["*"])
    builder.registry["trust"]["online-keys"] = [str(DEMO_ONLINE_KEY.public)]
    source = builder.write(tmp_path / "source")
    write_next_root(SourceTree(source), [fixed_key("root")], datetime.now(UTC))
    write_private_key(tmp_path / "carol.key", fixed_key("carol"))
    return source


def publish(source: Path, site: Path) -> None:
    build(BuildOptions(source=source, output=site, online_key=DEMO_ONLINE_KEY))


def lock(capsys: pytest.CaptureFixture[str], state: Path, tmp_path: Path, *argv: str) -> list[str]:
    """``regsite client lock ARGV``: the locked 'name version' lines."""
    code, _, err = run(capsys, "client", "lock", *argv, "-o", tmp_path / "L", "--state", state)
    assert code == 0, err
    return [
        f"{p['name']} {p['version']}"
        for p in tomllib.loads((tmp_path / "L").read_text())["package"]
    ]


def test_resolution_changes_with_an_amendment_and_returns_with_ignore_amendments_on(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, state = tmp_path / "site", tmp_path / "state"
    publish(source, site)
    code, _, err = run(
        capsys, "client", "trust", site, "--root", source / "metadata/1.root.json", "--state", state
    )
    assert code == 0, err
    assert lock(capsys, state, tmp_path, "beta") == ["alpha 2.0.0", "beta 0.9.0"]
    staged = ("curate", "stage", "alpha", "2.0.0", "--sign", tmp_path / "carol.key", "-C", source)
    assert run(capsys, *staged)[0] == 0
    publish(source, site)
    assert lock(capsys, state, tmp_path, "beta") == ["alpha 1.1.0", "beta 0.9.0"]
    ignoring = lock(capsys, state, tmp_path, "beta", "--ignore-amendments-on", "alpha")
    assert ignoring == ["alpha 2.0.0", "beta 0.9.0"]
    code, out, err = run(capsys, "client", "show", "beta", "--state", state)
    assert code == 0, err
    assert "      amended: alpha>=1.0 (amended: <2.0.0)" in out
    assert "amended by curators (signatures verified: carol):" in out
    assert "  amendment[0] alpha <2.0.0 on releases <=0.9.0 (build, 2026-03-01): alpha 2.0.0" in out
    code, out, err = run(capsys, "client", "show", "beta", "--json", "--state", state)
    assert code == 0, err
    assert json.loads(out)["amendments"]["signed_by"] == ["carol"]
    relax = (
        "curate",
        "relax",
        "--dependency",
        "alpha",
        "--sign",
        tmp_path / "carol.key",
        "-C",
        source,
    )
    assert run(capsys, *relax)[0] == 0
    publish(source, site)
    assert lock(capsys, state, tmp_path, "beta") == ["alpha 2.0.0", "beta 0.9.0"]


def tampered_site(source: Path, site: Path, path: str, change: bytes) -> None:
    """What a compromised build (or its online key) can publish: ``path`` with ``change``
    appended, listed in freshly signed metadata."""
    options = BuildOptions(source=source, output=site)
    output = dict(build_files(options))
    output[path] = output[path] + change
    registry = read_site(options).registry
    write_output(output, site, signed=(registry, DEMO_ONLINE_KEY, datetime.now(UTC)))


def test_client_refuses_amendments_tampered_after_the_curator_signed_them(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staged = ("curate", "stage", "alpha", "2.0.0", "--sign", tmp_path / "carol.key", "-C", source)
    assert run(capsys, *staged)[0] == 0
    site, state = tmp_path / "site", tmp_path / "state"
    tampered_site(source, site, AMENDMENTS, b'\n[[amendment]]\nreleases = "*"\n')
    code, _, err = run(
        capsys, "client", "trust", site, "--root", source / "metadata/1.root.json", "--state", state
    )
    assert code == 0, err
    code, _, err = run(capsys, "client", "lock", "beta", "-o", tmp_path / "L", "--state", state)
    assert code == 1
    assert err.startswith(
        "error: beta's amendments did not verify: amendments/beta/amendments.toml.sig:"
    )
    assert "does not match the bytes of amendments.toml" in err
    assert not (tmp_path / "L").exists()


def test_client_refuses_a_package_document_that_hides_its_amendments(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    staged = ("curate", "stage", "alpha", "2.0.0", "--sign", tmp_path / "carol.key", "-C", source)
    assert run(capsys, *staged)[0] == 0
    site, state = tmp_path / "site", tmp_path / "state"
    options = BuildOptions(source=source, output=site)
    output = dict(build_files(options))
    document = json.loads(output["api/v1/packages/beta.json"])
    del document["amendments"]
    output["api/v1/packages/beta.json"] = json.dumps(document).encode()
    write_output(
        output, site, signed=(read_site(options).registry, DEMO_ONLINE_KEY, datetime.now(UTC))
    )
    assert (
        run(
            capsys,
            "client",
            "trust",
            site,
            "--root",
            source / "metadata/1.root.json",
            "--state",
            state,
        )[0]
        == 0
    )
    code, _, err = run(capsys, "client", "show", "beta", "--json", "--state", state)
    assert code == 1
    assert "api/v1/packages/beta.json: its amendments disagree with the curator-signed" in err
