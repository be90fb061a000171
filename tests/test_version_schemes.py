"""Version schemes: cargo's vectors through regsite and through real cargo, and a registry with
``version-scheme = "semver"`` end to end (build, edits, client).  PEP 440 registries are covered
by every other test and the golden files, which did not change."""

from __future__ import annotations

import itertools
import json
import pickle
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from builder import SEMVER_ORDER, SourceBuilder, fixed_key, release, semver_builder
from conftest import require_tool, serving
from regsite.build import BuildOptions, build
from regsite.cli import main
from regsite.client.lockfile import read_lock
from regsite.errors import BuildError
from regsite.keys import write_private_key
from regsite.versions import PEP440, SEMVER, VersionScheme, VersionSyntaxError, scheme_named
from test_build import read_tree
from test_render import validate_json_outputs

VECTORS_FILE = Path(__file__).parent / "data" / "semver_vectors.toml"
DATA: dict[str, Any] = tomllib.loads(VECTORS_FILE.read_text(encoding="utf-8"))
VECTORS = [
    (section, vector["requirement"], vector["version"], vector["matches"])
    for section, body in DATA.items()
    for vector in body.get("vectors", [])
]


def vector_id(vector: tuple[str, str, str, bool]) -> str:
    section, requirement, version, matches = vector
    return f"{section}: {requirement!r} {'admits' if matches else 'rejects'} {version}"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def problems(builder: SourceBuilder, tmp_path: Path) -> str:
    """The build's report of every problem in the builder's source."""
    source = builder.write(tmp_path / "source")
    with pytest.raises(BuildError) as caught:
        build(BuildOptions(source=source, output=tmp_path / "site"))
    return str(caught.value)


# The vectors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "requirement", "version", "matches"), VECTORS, ids=[vector_id(v) for v in VECTORS]
)
def test_semver_scheme_matches_each_cargo_vector(
    section: str, requirement: str, version: str, matches: bool
) -> None:
    parsed = SEMVER.parse_specifier(requirement)
    assert parsed.admits(SEMVER.parse_version(version)) is matches, DATA[section]["source"]


def test_vectors_cover_every_requirement_form_of_the_cargo_book() -> None:
    sections = {section for section, *_ in VECTORS}
    assert {"default", "caret", "tilde", "wildcard", "comparison", "multiple"} <= sections
    assert {"pre-release", "metadata"} <= sections
    assert all(DATA[section]["source"] for section in sections)


@pytest.mark.parametrize("chain", DATA["ordering"]["ascending"], ids=" < ".join)
def test_semver_versions_sort_by_precedence(chain: list[str]) -> None:
    versions = [SEMVER.parse_version(text) for text in chain]
    shuffled = versions[1::2] + versions[::2]
    assert [str(v) for v in sorted(shuffled)] == chain
    assert all(lower < higher for lower, higher in itertools.pairwise(versions))


@pytest.mark.parametrize("pair", DATA["ordering"]["same-precedence"], ids=" = ".join)
def test_build_metadata_does_not_count_for_precedence(pair: list[str]) -> None:
    first, second = (SEMVER.parse_version(text) for text in pair)
    assert first == second and hash(first) == hash(second)
    assert [str(first), str(second)] == pair  # each keeps its own spelling


@pytest.mark.parametrize(
    "entry", DATA["normal-form"]["requirements"], ids=lambda entry: entry["written"]
)
def test_requirements_print_in_cargos_normal_form(entry: dict[str, str]) -> None:
    parsed = SEMVER.parse_specifier(entry["written"])
    assert str(parsed) == entry["normal"]
    assert SEMVER.parse_specifier(entry["normal"]) == parsed


@pytest.mark.parametrize("text", DATA["invalid"]["versions"])
def test_invalid_semver_version_is_refused_naming_the_scheme(text: str) -> None:
    with pytest.raises(VersionSyntaxError, match=r"not a valid SemVer 2\.0\.0 version \(version-"):
        SEMVER.parse_version(text)


@pytest.mark.parametrize("text", DATA["invalid"]["requirements"])
def test_invalid_cargo_requirement_is_refused_with_examples(text: str) -> None:
    with pytest.raises(VersionSyntaxError, match="not a valid cargo version requirement") as caught:
        SEMVER.parse_specifier(text)
    assert "'^1.2.3'" in str(caught.value)


@pytest.mark.parametrize(
    "text",
    ["1" * 21 + ".0.0", "18446744073709551616.0.0", "9" * 5000 + ".0.0"],
    ids=["21-digits", "2^64", "5000-digits"],
)
def test_semver_numbers_beyond_cargos_u64_are_refused(text: str) -> None:
    with pytest.raises(VersionSyntaxError):
        SEMVER.parse_version(text)
    with pytest.raises(VersionSyntaxError, match="larger than 2\\^64-1"):
        SEMVER.parse_specifier("^" + text)


def test_more_than_32_comparators_are_refused_as_cargo_does() -> None:
    assert len(SEMVER.parse_specifier(", ".join([">=1"] * 32)).comparators) == 32
    with pytest.raises(VersionSyntaxError, match="more than 32 comparators"):
        SEMVER.parse_specifier(", ".join([">=1"] * 33))


def run_cargo_vector(cargo: str, work: Path, requirement: str, version: str) -> str | None:
    """The version real cargo locks for ``probe = "<requirement>"`` when ``version`` is probe's only
    release in a local registry, or None if cargo finds no match.  Offline: the registry is a
    directory (source replacement of crates.io), and resolving needs only its index."""
    index = work / "registry" / "index" / "pr" / "ob" / "probe"  # cargo's path for "probe"
    entry = {"name": "probe", "vers": version, "deps": [], "cksum": "0" * 64, "features": {}}
    index.write_text(json.dumps({**entry, "yanked": False}) + "\n")
    manifest = '[package]\nname = "consumer"\nversion = "0.1.0"\nedition = "2021"\n\n'
    manifest += f"[dependencies]\nprobe = {json.dumps(requirement)}\n"
    (work / "consumer" / "Cargo.toml").write_text(manifest)
    (work / "consumer" / "Cargo.lock").unlink(missing_ok=True)
    result = subprocess.run(
        [cargo, "generate-lockfile", "--offline"],
        cwd=work / "consumer",
        env={"CARGO_HOME": str(work / "home"), "PATH": str(Path(cargo).parent)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        assert "failed to select a version" in result.stderr, result.stderr
        return None
    locked = tomllib.loads((work / "consumer" / "Cargo.lock").read_text())
    return next(p["version"] for p in locked["package"] if p["name"] == "probe")


@pytest.fixture
def cargo_workspace(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cargo = require_tool("cargo", str(Path.home() / ".cargo" / "bin" / "cargo"))
    (tmp_path / "registry" / "index" / "pr" / "ob").mkdir(parents=True)
    (tmp_path / "consumer" / "src").mkdir(parents=True)
    (tmp_path / "consumer" / "src" / "lib.rs").write_text("")
    (tmp_path / "consumer" / ".cargo").mkdir()
    (tmp_path / "consumer" / ".cargo" / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "vectors"\n\n'
        f"[source.vectors]\nlocal-registry = {json.dumps(str(tmp_path / 'registry'))}\n"
    )
    yield cargo, tmp_path


@pytest.mark.slow
def test_real_cargo_agrees_with_every_vector(cargo_workspace: tuple[str, Path]) -> None:
    cargo, work = cargo_workspace
    disagreements = []
    for section, requirement, version, matches in VECTORS:
        locked = run_cargo_vector(cargo, work, requirement, version)
        if (locked is not None) is not matches:
            disagreements.append(f"{section}: cargo locked {locked} for {requirement!r}")
    assert disagreements == []


# The scheme objects ------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", [PEP440, SEMVER], ids=lambda scheme: scheme.name)
def test_scheme_comes_back_from_the_cache_as_the_same_object(scheme: VersionScheme) -> None:
    assert pickle.loads(pickle.dumps(scheme)) is scheme is scheme_named(scheme.name)
    version = scheme.parse_version("1.0.0")
    assert pickle.loads(pickle.dumps(version)) == version


def test_only_pep440_falls_back_to_pre_releases_when_nothing_else_matches() -> None:
    def chosen(scheme: VersionScheme, requirement: str, versions: list[str]) -> list[str]:
        parsed = [scheme.parse_version(text) for text in versions]
        return [str(v) for v in scheme.select([scheme.parse_specifier(requirement)], parsed)]

    assert chosen(PEP440, ">=1", ["2.0.0rc1"]) == ["2.0.0rc1"]  # PEP 440: nothing else matches
    assert chosen(SEMVER, ">=1", ["2.0.0-rc.1"]) == []  # cargo: never unless named
    assert chosen(SEMVER, ">=2.0.0-rc.1", ["2.0.0", "2.0.0-rc.2"]) == ["2.0.0", "2.0.0-rc.2"]


@pytest.mark.parametrize(
    ("requirement", "pins"),
    [("=1.2.3", True), ("=1.2", False), ("^1.2.3", False), ("=1.2.3, <2", False)],
)
def test_only_an_exact_full_version_pins_a_semver_release(requirement: str, pins: bool) -> None:
    assert SEMVER.parse_specifier(requirement).pins(SEMVER.parse_version("1.2.3")) is pins


@pytest.mark.parametrize(
    ("text", "name", "normal"),
    [
        ("gamma", "gamma", "*"),
        ("gamma@1.2", "gamma", "^1.2"),
        ("Gamma >=1, <2", "Gamma", ">=1, <2"),
    ],
)
def test_semver_requirements_are_typed_as_cargo_add_takes_them(
    text: str, name: str, normal: str
) -> None:
    parsed_name, specifier = SEMVER.parse_requirement(text)
    assert (parsed_name, str(specifier)) == (name, normal)


# A semver registry, end to end ------------------------------------------------------------------


def test_unknown_version_scheme_is_reported_with_the_choices(tmp_path: Path) -> None:
    builder = SourceBuilder()
    builder.registry["registry"]["version-scheme"] = "calver"
    assert (
        "registry.toml: registry.version-scheme: expected 'pep440' or 'semver', found 'calver'"
        in problems(builder, tmp_path)
    )


def test_semver_registry_builds_from_the_cli_with_normal_form_versions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = semver_builder().write(tmp_path / "source")
    code, _, err = run(capsys, "build", source, "-o", tmp_path / "site")
    assert code == 0, err
    output = read_tree(tmp_path / "site")
    validate_json_outputs(output)
    gamma = json.loads(output["api/v1/packages/gamma.json"])
    assert [entry["version"] for entry in gamma["releases"]] == SEMVER_ORDER[::-1]
    assert gamma["latest"] == "1.0.1"
    delta = json.loads(output["api/v1/packages/delta.json"])
    (requires,) = [entry["requires"] for entry in delta["releases"]]
    assert requires == [
        {"name": "alpha", "specifier": "^1.0"},  # written "1.0": cargo's normal form
        {"name": "gamma", "specifier": "~1.0.0-alpha"},
    ]
    assert json.loads(output["api/v1/packages/alpha.json"])["dependents"] == ["beta", "delta"]
    page = output["packages/gamma/index.html"].decode()
    assert (
        '<th scope="row"><a href="1.0.0-alpha.1/">1.0.0-alpha.1</a> <span class="badge">pre-release</span></th>'
        in page
    )


def test_unsatisfiable_cargo_requirement_is_reported_with_file_and_key(tmp_path: Path) -> None:
    builder = semver_builder()
    builder.packages["delta"]["release"][0]["requires"]["gamma"] = "^2"
    assert (
        "packages/delta/package.toml: release[version=0.1.0].requires.gamma:"
        " no release of 'gamma' satisfies ^2 (releases: 1.0.1, 1.0.0, 1.0.0-beta,"
        " 1.0.0-alpha.1, 1.0.0-alpha)"
    ) in problems(builder, tmp_path)


@pytest.mark.parametrize(
    ("scheme", "version", "ok"), [("semver", "1.5.0-rc.1", False), ("pep440", "1.5.0rc1", True)]
)
def test_a_requirement_naming_no_pre_release_matches_one_only_under_pep440(
    tmp_path: Path, scheme: str, version: str, ok: bool
) -> None:
    builder = SourceBuilder()
    builder.registry["registry"]["version-scheme"] = scheme
    builder.packages["alpha"]["release"] = [release("alpha", version)]
    source = builder.write(tmp_path / "source")
    if ok:
        build(BuildOptions(source=source, output=tmp_path / "site"))
        return
    with pytest.raises(BuildError, match=r"no release of 'alpha' satisfies >=1\.0, <2"):
        build(BuildOptions(source=source, output=tmp_path / "site"))


def test_invalid_semver_version_is_reported_with_file_key_and_scheme(tmp_path: Path) -> None:
    builder = semver_builder()
    builder.packages["gamma"]["release"][0]["version"] = "1.0"
    assert (
        "packages/gamma/package.toml: release[0].version: '1.0' is not a valid SemVer 2.0.0"
        " version (version-scheme 'semver'): expected MAJOR.MINOR.PATCH"
    ) in problems(builder, tmp_path)


def test_invalid_cargo_requirement_is_reported_with_file_key_and_scheme(tmp_path: Path) -> None:
    builder = semver_builder()
    builder.packages["delta"]["release"][0]["requires"]["gamma"] = ">=1.0 <2"
    assert (
        "packages/delta/package.toml: release[0].requires.gamma: '>=1.0 <2' is not a valid cargo"
        " version requirement (version-scheme 'semver')"
    ) in problems(builder, tmp_path)


def test_versions_that_differ_only_in_build_metadata_are_duplicates(tmp_path: Path) -> None:
    builder = semver_builder()
    builder.packages["gamma"]["release"].append(release("gamma", "1.0.1+rebuild.2", 20))
    assert (
        "packages/gamma/package.toml: release[5].version: duplicate version 1.0.1+rebuild.2"
        " (the same version as 1.0.1)"
    ) in problems(builder, tmp_path)


def test_release_add_reads_versions_and_requirements_in_the_registry_scheme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = semver_builder().write(tmp_path / "source")
    write_private_key(tmp_path / "alice.key", fixed_key("alice"))
    common = ["--artifact", "https://e.org/g.tgz", "--sha256", "0" * 64, "--size", "1"]
    common += ["--sign", str(tmp_path / "alice.key"), "-C", str(source)]
    add = ("release", "add", "gamma")
    code, _, err = run(capsys, *add, "2.0.0-rc.1", *common, "--requires", "alpha@1.1")
    assert code == 0, err
    added = tomllib.loads((source / "packages/gamma/package.toml").read_text())["release"][-1]
    assert (added["version"], added["requires"]) == ("2.0.0-rc.1", {"alpha": "^1.1"})
    code, _, err = run(capsys, *add, "2.0", *common)
    assert code == 1 and "'2.0' is not a valid SemVer 2.0.0 version" in err
    code, _, err = run(capsys, *add, "1.0.1+rebuild", *common)
    assert code == 1 and "version 1.0.1+rebuild already exists" in err
    code, _, err = run(capsys, *add, "3.0.0", *common, "--requires", "alpha ^7")
    assert code == 1 and "no release of 'alpha' satisfies ^7" in err


@pytest.fixture
def signed_semver_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """The semver registry with signed metadata, built: (site, root clients pin)."""
    for name in ("root", "online"):
        write_private_key(tmp_path / f"{name}.key", fixed_key(name))
    source = semver_builder().write(tmp_path / "source")
    online = str(fixed_key("online").public)
    trust = ("trust", "online-key", online, "--sign", tmp_path / "root.key", "-C", source)
    assert run(capsys, *trust)[0] == 0
    site = tmp_path / "site"
    code, _, err = run(capsys, "build", source, "-o", site, "--online-key", tmp_path / "online.key")
    assert code == 0, err
    return site, source / "metadata" / "1.root.json"


def test_client_resolves_against_a_semver_registry(
    signed_semver_site: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site, root = signed_semver_site
    state, lock = tmp_path / "state", tmp_path / "cargo.lock"

    def client(*argv: str | Path) -> tuple[int, str, str]:
        return run(capsys, "client", *argv, "--state", state)

    with serving(site) as url:
        assert client("trust", url, "--root", root)[0] == 0
        code, out, err = client("lock", "delta", "gamma <1.0.1", "-o", lock)
        assert code == 0, err
        assert out.splitlines()[1:] == ["  alpha 1.1.0", "  delta 0.1.0", "  gamma 1.0.0"]
        code, out, err = client("lock", "gamma@=1.0.0-beta", "-o", tmp_path / "beta.lock")
        assert code == 0 and out.splitlines()[1:] == ["  gamma 1.0.0-beta"], err
        code, _, err = client("lock", "delta", "gamma ^2", "-o", tmp_path / "none.lock")
        assert code == 1 and "gamma ^2 (required by your requirements)" in err
        assert "gamma has versions 1.0.1, 1.0.0, 1.0.0-beta, 1.0.0-alpha.1, 1.0.0-alpha" in err
    locked = read_lock(lock)
    assert locked.scheme is SEMVER
    assert locked.requirements == ("delta", "gamma <1.0.1")
    assert [(p.name, p.version) for p in locked.packages] == [
        ("alpha", SEMVER.parse_version("1.1.0")),
        ("delta", SEMVER.parse_version("0.1.0")),
        ("gamma", SEMVER.parse_version("1.0.0")),
    ]
    assert 'version-scheme = "semver"' in lock.read_text()
