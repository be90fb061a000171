"""Each validation error has its own fixture: one mutation of a valid source."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from builder import SourceBuilder, release
from regsite.build import BuildOptions, read_site
from regsite.errors import BuildError
from regsite.load import SourceLimits

Mutation = Callable[[SourceBuilder], None]


def problems_of(source: Path, limits: SourceLimits | None = None) -> list[str]:
    options = BuildOptions(
        source=source, output=source.parent / "out", limits=limits or SourceLimits()
    )
    with pytest.raises(BuildError) as caught:
        read_site(options)
    return [str(problem) for problem in caught.value.problems]


def build_with(builder: SourceBuilder, tmp_path: Path, mutate: Mutation) -> list[str]:
    mutate(builder)
    return problems_of(builder.write(tmp_path / "source"))


def test_valid_source_has_no_problems(source: Path) -> None:
    site = read_site(BuildOptions(source=source, output=source.parent / "out"))
    assert list(site.packages) == ["alpha", "beta"]
    assert site.dependents["alpha"] == ("beta",)


def _set_version(version: str) -> Mutation:
    def mutate(builder: SourceBuilder) -> None:
        builder.packages["alpha"]["release"][0]["version"] = version

    return mutate


def _requires(spec: dict[str, str]) -> Mutation:
    def mutate(builder: SourceBuilder) -> None:
        builder.packages["beta"]["release"][0]["requires"] = spec

    return mutate


def _package_key(key: str, value: object) -> Mutation:
    def mutate(builder: SourceBuilder) -> None:
        builder.packages["alpha"]["package"][key] = value

    return mutate


def _registry_key(key: str, value: object) -> Mutation:
    def mutate(builder: SourceBuilder) -> None:
        builder.registry["registry"][key] = value

    return mutate


def _delegate(*names: str) -> Mutation:
    def mutate(builder: SourceBuilder) -> None:
        for name in names:
            builder.registry["packages"][name] = {"owners": ["alice"]}

    return mutate


def _add_package_named(name: str) -> Mutation:
    def mutate(builder: SourceBuilder) -> None:
        builder.add_package(name, ["alice"], [release(name, "1.0.0")])

    return mutate


CASES: dict[str, tuple[Mutation, str, str]] = {
    # name: (mutation, file in the message, expected fragment)
    "invalid_version": (
        _set_version("1.0.x"),
        "packages/alpha/package.toml: release[0].version",
        "not a valid PEP 440 version",
    ),
    "duplicate_version": (
        _set_version("1.1"),
        "packages/alpha/package.toml: release[1].version",
        "duplicate version 1.1",
    ),
    "invalid_specifier": (
        _requires({"alpha": ">>1"}),
        "packages/beta/package.toml: release[0].requires.alpha",
        "not a valid PEP 440 version specifier",
    ),
    "dependency_on_missing_package": (
        _requires({"gamma": ">=1"}),
        "packages/beta/package.toml: release[version=0.9.0].requires.gamma",
        "not a package of this registry",
    ),
    "dependency_unsatisfiable": (
        _requires({"alpha": ">=2"}),
        "packages/beta/package.toml: release[version=0.9.0].requires.alpha",
        "no release of 'alpha' satisfies >=2",
    ),
    "dependency_on_itself": (
        _requires({"beta": "*"}),
        "packages/beta/package.toml: release[0].requires.beta",
        "may not depend on itself",
    ),
    "name_not_normalised_in_registry": (
        _delegate("Alpha_Two"),
        "registry.toml: packages.Alpha_Two",
        "expected 'alpha-two'",
    ),
    "name_collision_in_registry": (
        _delegate("alpha-two", "alpha_two"),
        "registry.toml: packages.alpha_two",
        "collides with 'alpha-two'",
    ),
    "name_too_long": (_delegate("a" * 65), "registry.toml: packages." + "a" * 65, "at most 64"),
    "name_not_ascii": (_delegate("аlpha"), "registry.toml: packages.аlpha", "ASCII"),
    "windows_device_name": (_add_package_named("con"), "packages/con", "reserved by Windows"),
    "delegation_without_package": (
        _delegate("ghost"),
        "registry.toml: packages.ghost",
        "packages/ghost/package.toml does not exist",
    ),
    "package_name_mismatch": (
        _package_key("name", "beta"),
        "packages/alpha/package.toml: package.name",
        "expected 'alpha' (the directory name)",
    ),
    "homepage_not_http": (
        _package_key("homepage", "javascript:alert(1)"),
        "packages/alpha/package.toml: package.homepage",
        "absolute http(s) URL",
    ),
    "unknown_key": (
        _package_key("homepgae", "https://example.org"),
        "packages/alpha/package.toml: package.homepgae",
        "unknown key",
    ),
    "status_without_reason": (
        _package_key("status", "deprecated"),
        "packages/alpha/package.toml: package.status-reason",
        "required when status is 'deprecated'",
    ),
    "reason_without_status": (
        _package_key("status-reason", "Old."),
        "packages/alpha/package.toml: package.status-reason",
        "status is 'active'",
    ),
    "description_not_one_line": (
        _package_key("description", "One.\nTwo."),
        "packages/alpha/package.toml: package.description",
        "must be one line",
    ),
    "install_template_with_format_spec": (
        _registry_key("install", "get {name!r}"),
        "registry.toml: registry.install",
        "no conversions or formats",
    ),
    "install_template_unknown_placeholder": (
        _registry_key("install", "get {pkg}"),
        "registry.toml: registry.install",
        "unknown placeholder {pkg}",
    ),
    "readme_hash_mismatch": (
        _package_key("readme", {"file": "README.md", "sha256": "0" * 64}),
        "packages/alpha/package.toml: package.readme",
        "README.md",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validation_error(case: str, builder: SourceBuilder, tmp_path: Path) -> None:
    mutate, where, fragment = CASES[case]
    if case == "readme_hash_mismatch":
        builder.readmes["alpha"] = b"# alpha\n"
    problems = build_with(builder, tmp_path, mutate)
    assert any(p.startswith(where) and fragment in p for p in problems), problems


def test_readme_hash_mismatch_names_both_hashes(builder: SourceBuilder, tmp_path: Path) -> None:
    source = builder.write(tmp_path / "source")
    (source / "packages/beta/README.md").write_text("# changed after signing\n")
    problems = problems_of(source)
    assert any(
        "packages/beta/package.toml: package.readme.sha256: README.md has sha256" in p
        for p in problems
    )


def test_directory_names_colliding_after_normalisation(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    source = builder.write(tmp_path / "source")
    for name in ("Foo.Bar", "foo_bar"):
        (source / "packages" / name).mkdir()
    problems = problems_of(source)
    assert (
        "packages/Foo.Bar: directory name 'Foo.Bar' is not normalised: expected 'foo-bar'"
        in problems
    )
    assert "packages/foo_bar: collides with packages/Foo.Bar: both normalise alike" in problems


def test_path_trick_names_never_reach_the_filesystem(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.registry["packages"]["../x"] = {"owners": ["alice"]}
    builder.packages["beta"]["release"][0]["requires"] = {"../../etc": "*"}
    problems = problems_of(builder.write(tmp_path / "source"))
    assert any(
        p.startswith("registry.toml: packages.../x: name '../x' may only contain") for p in problems
    )
    assert any("requires.../../etc: dependency name" in p for p in problems)


def test_file_over_size_limit(source: Path) -> None:
    problems = problems_of(source, SourceLimits(package_bytes=100))
    assert any(
        p.startswith("packages/alpha/package.toml: file is") and "the limit is 100 bytes" in p
        for p in problems
    )


def test_every_problem_is_reported_together(builder: SourceBuilder, tmp_path: Path) -> None:
    builder.packages["alpha"]["release"][0]["version"] = "bad version"
    builder.packages["beta"]["package"]["homepage"] = "ftp://example.org"
    source = builder.write(tmp_path / "source")
    (source / "registry.toml.sig").unlink()
    problems = problems_of(source)
    assert len(problems) == 3, problems


def test_invalid_toml_is_reported_with_its_file(source: Path) -> None:
    (source / "packages/alpha/package.toml").write_text("format = 1\n[package\n")
    problems = problems_of(source)
    assert any(p.startswith("packages/alpha/package.toml: not valid TOML") for p in problems)


def test_symbolic_links_are_refused(source: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("secret")
    readme = source / "packages/beta/README.md"
    readme.unlink()
    os.symlink(secret, readme)
    problems = problems_of(source)
    assert (
        "packages/beta/README.md: expected a regular file (symbolic links are refused)" in problems
    )


def test_missing_registry_file(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (problem,) = problems_of(tmp_path / "empty")
    assert problem.startswith("registry.toml: file is missing: ")
    assert f"start one with 'regsite init {tmp_path / 'empty'} --name NAME" in problem


def test_unsupported_format_version(builder: SourceBuilder, tmp_path: Path) -> None:
    builder.registry["format"] = 2
    problems = build_with(builder, tmp_path, lambda b: None)
    assert "registry.toml: format: source format 2 is not supported; expected 1" in problems


def test_keys_format_1_once_reserved_are_read_and_checked_field_by_field(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    """[curators] and [[upstream]] were reserved; both are format 1 now (docs/curation.md,
    docs/upstreams.md): an incomplete table is checked, key by key, not refused whole."""
    builder.registry["curators"] = {"other": {}}
    builder.registry["upstream"] = [{"name": "other"}]
    problems = build_with(builder, tmp_path, lambda b: None)
    assert not [problem for problem in problems if "reserved" in problem]
    assert (
        "registry.toml: curators.other.packages: missing; expected the package names (or"
        " 'prefix-*') it amends" in problems
    )
    assert [problem for problem in problems if problem.startswith("registry.toml: upstream[0].url")]


def test_package_without_releases_builds(builder: SourceBuilder, tmp_path: Path) -> None:
    builder.add_package("empty", ["alice"], [])
    site = read_site(BuildOptions(source=builder.write(tmp_path / "source"), output=tmp_path / "o"))
    assert site.packages["empty"].latest is None
