"""``regsite curate`` and ``regsite curator`` from the command line: opam's staged release in
three steps, and every refusal with the file, the key and the fix."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from builder import SourceBuilder, fixed_key, release
from regsite.cli import main
from regsite.keys import write_private_key

EPOCH = "1772366400"  # 2026-03-01


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    directory = tmp_path / "keys"
    directory.mkdir()
    for name in ("root", "alice", "bob", "carol", "dave", "carol-new"):
        write_private_key(directory / f"{name}.key", fixed_key(name))
    return directory


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """alpha 1.0.0, 1.1.0 and 2.0.0rc1, about to release 2.0.0; its dependents: beta 0.9.0 and
    1.0.0 (alpha>=1.0), gamma 0.5.0 (alpha>=1.0,<1.1: 2.0.0 does not reach it) and 1.0.0
    (alpha>=1.0), delta 3.0.0 (alpha>=2.0.0rc1, made for 2.0.0). Curator carol may amend every
    package, dave only beta."""
    builder = SourceBuilder()
    alpha = [release("alpha", v, d) for v, d in [("1.0.0", 1), ("1.1.0", 2), ("2.0.0rc1", 3)]]
    builder.add_package("alpha", ["alice"], alpha)
    beta = [
        release("beta", v, d, requires={"alpha": ">=1.0"}) for v, d in [("0.9.0", 3), ("1.0.0", 4)]
    ]
    builder.add_package("beta", ["bob"], beta)
    gamma = [
        release("gamma", "0.5.0", 5, requires={"alpha": ">=1.0,<1.1"}),
        release("gamma", "1.0.0", 6, requires={"alpha": ">=1.0"}),
    ]
    builder.add_package("gamma", ["bob"], gamma)
    builder.add_package(
        "delta", ["bob"], [release("delta", "3.0.0", 7, requires={"alpha": ">=2.0.0rc1"})]
    )
    builder.add_curator("carol", "Carol Curator", ["*"])
    builder.add_curator("dave", "Dave Curator", ["beta"])
    return builder.write(tmp_path / "source")


def curate(
    capsys: pytest.CaptureFixture[str], source: Path, *argv: str | Path
) -> tuple[int, str, str]:
    return run(capsys, "curate", *argv, "-C", source)


def built(capsys: pytest.CaptureFixture[str], source: Path, tmp_path: Path) -> tuple[int, str, str]:
    return run(capsys, "build", source, "-o", tmp_path / "site", "--unsigned", "-q")


# opam's three steps ------------------------------------------------------------------------------


def test_stage_then_relax_round_trip_leaves_the_source_as_it_was(
    source: Path, keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(source)
    # Step 1: stage alpha 2.0.0, as one change signed by the curator.
    code, out, err = curate(capsys, source, "stage", "alpha", "2.0.0", "--sign", keys / "carol.key")
    assert code == 0, err
    assert out.splitlines() == [
        "staged alpha 2.0.0: an upper bound <2.0.0 on",
        "  beta releases <=1.0.0 (0.9.0, 1.0.0)",
        "  gamma releases ==1.0.0 (1.0.0)",
        "left as they are:",
        "  delta 3.0.0: requires alpha >=2.0.0rc1, which no release before 2.0.0 satisfies",
        f"updated {source / 'amendments/beta/amendments.toml'} and signed",
        f"updated {source / 'amendments/gamma/amendments.toml'} and signed",
    ]
    staged = tomllib.loads((source / "amendments/beta/amendments.toml").read_text())
    assert staged == {
        "format": 1,
        "package": "beta",
        "amendment": [
            {
                "releases": "<=1.0.0",
                "dependency": "alpha",
                "upper-bound": "2.0.0",
                "kind": "build",
                "reason": "alpha 2.0.0 is not known to work with these releases yet (staged)",
                "date": tomllib.loads("d = 2026-03-01")["d"],
            }
        ],
    }
    assert {path: tree(source)[path] for path in before} == before  # owners' files untouched
    assert built(capsys, source, tmp_path)[0] == 0
    # Step 2: the owner publishes alpha 2.0.0 (nothing for the curator to do).
    # Step 3: dependents build with it: relax the bounds on alpha.
    code, out, err = curate(
        capsys, source, "relax", "--dependency", "alpha", "--sign", keys / "carol.key"
    )
    assert code == 0, err
    assert "removed beta amendment[0]: alpha <2.0.0 (releases <=1.0.0, build)" in out
    assert "removed gamma amendment[0]: alpha <2.0.0 (releases ==1.0.0, build)" in out
    assert tree(source) == before  # the files left empty are gone, with their signatures
    assert built(capsys, source, tmp_path)[0] == 0


def test_stage_refuses_keys_that_cannot_sign_every_file_and_changes_nothing(
    source: Path, keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree(source)
    code, _, err = curate(capsys, source, "stage", "alpha", "2.0.0", "--sign", keys / "dave.key")
    assert code == 1
    assert "the --sign keys cannot sign every file of the change, so nothing was changed:" in err
    assert "amendments/gamma/amendments.toml: key" in err
    assert "only curators whose packages hold 'gamma' may: carol (" in err
    assert tree(source) == before


def test_stage_with_nothing_to_bound_says_so(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = curate(capsys, source, "stage", "alpha", "0.5.0")
    assert code == 1
    assert err.startswith("error: no release of any dependent would take alpha 0.5.0: nothing")


def test_relax_never_removes_runtime_amendments_and_says_why(
    source: Path, keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = ["add", "beta", "--releases", "*", "--dependency", "alpha", "--exclude", "1.1.0"]
    runtime += ["--kind", "runtime", "--reason", "alpha 1.1.0 corrupts beta's cache"]
    assert curate(capsys, source, *runtime, "--sign", keys / "carol.key")[0] == 0
    code, _, err = curate(
        capsys, source, "relax", "--package", "beta", "--sign", keys / "carol.key"
    )
    assert code == 1
    assert "error: nothing to relax: the amendments selected are runtime ones" in err
    assert "beta amendment[0] alpha !=1.1.0 (releases *): runtime: alpha 1.1.0 corrupts" in err
    build_one = ["add", "beta", "--releases", "<=0.9.0", "--dependency", "alpha"]
    build_one += ["--upper-bound", "1.1.0", "--kind", "build", "--reason", "Fails to compile."]
    assert curate(capsys, source, *build_one, "--sign", keys / "carol.key")[0] == 0
    code, out, err = curate(capsys, source, "relax", "--all-build", "--sign", keys / "carol.key")
    assert code == 0, err
    assert "removed beta amendment[1]: alpha <1.1.0 (releases <=0.9.0, build)" in out
    assert (
        "warning: kept beta amendment[0]: alpha !=1.1.0: a runtime amendment, never relaxed" in err
    )
    left = tomllib.loads((source / "amendments/beta/amendments.toml").read_text())["amendment"]
    assert [entry["kind"] for entry in left] == ["runtime"]


def test_relax_without_a_selection_removes_nothing(
    source: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = curate(capsys, source, "relax")
    assert code == 1
    assert "say which amendments to relax: --package NAME, --dependency NAME or --all-build" in err


# regsite curate add ------------------------------------------------------------------------------


def test_add_refuses_an_amendment_that_widens_and_writes_nothing(
    tmp_path: Path, keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    builder = SourceBuilder()
    builder.add_package("alpha", ["alice"], [release("alpha", "1.0"), release("alpha", "0.9a1", 2)])
    builder.add_package("beta", ["bob"], [release("beta", "0.9.0", 3, requires={"alpha": ">=0.1"})])
    builder.add_curator("carol", "Carol Curator", ["*"])
    source = builder.write(tmp_path / "source")
    widening = ["add", "beta", "--releases", "*", "--dependency", "alpha", "--upper-bound", "1.0"]
    code, _, err = curate(capsys, source, *widening, "--kind", "build", "--reason", "r")
    assert code == 1
    assert (
        "amendments/beta/amendments.toml: amendment[0].upper-bound: on release 0.9.0: widens" in err
    )
    assert not (source / "amendments").exists()


def test_add_with_a_key_out_of_scope_leaves_the_file_unsigned_and_names_who_may_sign(
    source: Path, keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["add", "gamma", "--releases", "*", "--conflict", "beta<1", "--kind", "runtime"]
    code, out, err = curate(
        capsys, source, *argv, "--reason", "Both write ~/.cache/x.", "--sign", keys / "dave.key"
    )
    assert code == 0, err
    assert out.startswith("amendment[0] of gamma: conflicts with beta <1\n")
    assert "sign it: regsite sign" in out
    assert "--sign: " in err and "only curators whose packages hold 'gamma' may: carol (" in err
    code, out, err = run(
        capsys, "sign", source / "amendments/gamma/amendments.toml", "--key", keys / "bob.key"
    )
    assert code == 1 and "may not sign it; only curators whose packages hold 'gamma'" in err
    code, out, err = run(
        capsys, "sign", source / "amendments/gamma/amendments.toml", "--key", keys / "carol.key"
    )
    assert code == 0, err
    entry = tomllib.loads((source / "amendments/gamma/amendments.toml").read_text())["amendment"][0]
    assert (entry["conflict"], entry["versions"]) == ("beta", "<1")


def test_list_shows_each_amendment_and_fails_on_one_that_does_not_verify(
    source: Path, keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["add", "beta", "--releases", "*", "--dependency", "alpha", "--exclude", "1.0.0"]
    argv += [
        "--kind",
        "runtime",
        "--reason",
        "Corrupts the cache.",
        "--link",
        "https://example.org/7",
    ]
    assert curate(capsys, source, *argv, "--sign", keys / "carol.key")[0] == 0
    code, out, _ = run(capsys, "curate", "list", "-C", source)
    assert code == 0
    assert out.splitlines() == [
        "beta amendment[0]  alpha !=1.0.0  releases *  runtime  2026-03-01  signed by carol",
        "  reason: Corrupts the cache.",
        "  link: https://example.org/7",
    ]
    path = source / "amendments/beta/amendments.toml"
    path.write_text(path.read_text().replace("Corrupts", "Eats"))
    code, out, _ = run(capsys, "curate", "list", "beta", "-C", source)
    assert code == 1
    assert "signed by nobody  NOT VERIFIED (regsite verify says why)" in out


# regsite curator ---------------------------------------------------------------------------------


def test_curator_key_rotation_and_revocation_as_for_owners(
    source: Path, keys: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new_key = str(fixed_key("carol-new").public)
    root = ["--sign", keys / "root.key", "-C", source]
    assert run(capsys, "curator", "add-key", "carol", new_key, *root)[0] == 0
    argv = ["add", "beta", "--releases", "*", "--dependency", "alpha", "--exclude", "1.0.0"]
    argv += ["--kind", "runtime", "--reason", "r", "--sign", keys / "carol.key"]
    assert curate(capsys, source, *argv)[0] == 0
    old_key = str(fixed_key("carol").public)
    code, out, err = run(capsys, "curator", "revoke-key", "carol", old_key, *root)
    assert code == 0, err
    assert (
        f"removed the revoked key's signature from {source / 'amendments/beta/amendments.toml.sig'}"
        in out
    )
    code, _, err = built(capsys, source, tmp_path)
    assert code == 1 and "amendments.toml.sig: threshold not met: 0 of the required 1" in err
    signed = run(
        capsys, "sign", source / "amendments/beta/amendments.toml", "--key", keys / "carol-new.key"
    )
    assert signed[0] == 0
    code, _, err = built(capsys, source, tmp_path)
    assert code == 0, err
    registry = tomllib.loads((source / "registry.toml").read_text())
    assert registry["curators"]["carol"]["keys"] == [new_key]
    assert old_key in registry["trust"]["revoked-keys"]


def test_curator_add_declares_a_curator_and_refuses_an_owners_key(
    source: Path, keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = ["--sign", keys / "root.key", "-C", source]
    erin = ["curator", "add", "erin", "--name", "Erin", "--package", "http-*", "--package", "beta"]
    code, _, err = run(capsys, *erin, "--key", str(fixed_key("bob").public), *root)
    assert code == 1 and "is a key of owner 'bob'; a curator signs with a key of its own" in err
    code, _, err = run(capsys, *erin, "--key", str(fixed_key("erin").public), *root)
    assert code == 0, err
    registry = tomllib.loads((source / "registry.toml").read_text())
    assert registry["curators"]["erin"] == {
        "name": "Erin",
        "keys": [str(fixed_key("erin").public)],
        "packages": ["http-*", "beta"],
    }
