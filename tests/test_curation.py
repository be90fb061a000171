"""Curated constraints in the build: curators' signed amendments, verified, proved to narrow,
published beside the owners' untouched files (docs/curation.md)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import tomlkit

from builder import SourceBuilder, amendment, fixed_key, release, semver_builder
from cargosite import cargo_builder, run_cli
from conftest import DEMO_ONLINE_KEY
from regsite.build import BuildOptions, build, build_files
from regsite.commands.sign import sign_file
from regsite.commands.trust import write_next_root
from regsite.errors import BuildError
from regsite.metadata.layout import content_addressed_path
from regsite.render.flavours.cargo import index_path
from regsite.report import report_markdown
from regsite.sources import SourceTree
from test_render import validate_json_outputs

AMENDMENTS = "amendments/beta/amendments.toml"
SIGNATURES = f"{AMENDMENTS}.sig"


def curated(*entries: dict[str, Any], signers: tuple[str, ...] = ("carol",)) -> SourceBuilder:
    """alpha 1.0.0, 1.1.0 and 2.0.0; beta 0.9.0 and 1.0.0 requiring alpha>=1.0; curator carol
    may amend beta (and any 'be*' package), dave may amend gamma; beta amended by ``entries``."""
    builder = SourceBuilder()
    alpha = [release("alpha", v, day) for day, v in enumerate(["1.0.0", "1.1.0", "2.0.0"], 1)]
    builder.add_package("alpha", ["alice"], alpha)
    beta = [
        release("beta", v, day, requires={"alpha": ">=1.0"})
        for v, day in [("0.9.0", 4), ("1.0.0", 5)]
    ]
    builder.add_package("beta", ["bob"], beta)
    builder.add_package("gamma", ["bob"], [release("gamma", "0.1.0", 6)])
    builder.add_curator("carol", "Carol Curator", ["be*"])
    builder.add_curator("dave", "Dave Curator", ["gamma"])
    if entries:
        builder.amend("beta", *entries, signers=signers)
    return builder


def problems(builder: SourceBuilder, tmp_path: Path) -> list[str]:
    """Every problem the build reports, as 'file: key: message' relative to the source."""
    source = builder.write(tmp_path / "source")
    with pytest.raises(BuildError) as raised:
        build_files(BuildOptions(source=source, output=tmp_path / "out"))
    return [problem.display() for problem in raised.value.problems]


def built(builder: SourceBuilder, tmp_path: Path) -> dict[str, bytes]:
    source = builder.write(tmp_path / "source")
    return build_files(BuildOptions(source=source, output=tmp_path / "out"))


def document(output: dict[str, bytes], name: str = "beta") -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(output[f"api/v1/packages/{name}.json"])
    return loaded


BOUND = amendment("<=0.9.0", dependency="alpha", upper_bound="2.0.0")


# Refused amendments, each with its file, key and fix ----------------------------------------------


def test_amendment_that_widens_the_owners_requirement_is_refused(tmp_path: Path) -> None:
    """A bound that leaves PEP 440 no final release makes it choose a pre-release the owner's
    requirement alone never chooses: that widens what the owner allowed."""
    builder = curated(amendment("*", dependency="alpha", upper_bound="1.0"))
    builder.add_package("alpha", ["alice"], [release("alpha", "1.0"), release("alpha", "0.9a1", 2)])
    beta = [release("beta", "0.9.0", 4, requires={"alpha": ">=0.1"})]
    builder.add_package("beta", ["bob"], beta)
    (found,) = problems(builder, tmp_path)
    assert found.startswith(f"{AMENDMENTS}: amendment[0].upper-bound: on release 0.9.0: widens")
    assert "choose 0.9a1, which the owner's requirement alone never chooses" in found
    assert "an amendment may only narrow: exclude versions instead, or remove it" in found


def test_amendment_signed_by_a_curator_outside_its_scope_is_refused(tmp_path: Path) -> None:
    found = problems(curated(BOUND, signers=("dave",)), tmp_path)
    dave = fixed_key("dave").public
    assert found == [
        f"{SIGNATURES}: threshold not met: 0 of the required 1 curators who may amend it signed",
        f"{SIGNATURES}: signature[0]: key {dave} ({dave.fingerprint}) belongs to curator 'dave',"
        " whose scope ([curators.dave] packages = gamma) does not hold 'beta': a curator in"
        " scope must sign, or a root key holder widens the scope",
    ]


def test_amendment_tampered_after_signing_is_refused(tmp_path: Path) -> None:
    source = curated(BOUND).write(tmp_path / "source")
    path = source / AMENDMENTS
    path.write_bytes(path.read_bytes().replace(b'upper-bound = "2.0.0"', b'upper-bound = "3.0.0"'))
    with pytest.raises(BuildError) as raised:
        build_files(BuildOptions(source=source, output=tmp_path / "out"))
    carol = fixed_key("carol").public
    assert [problem.display() for problem in raised.value.problems] == [
        f"{SIGNATURES}: threshold not met: 0 of the required 1 curators who may amend it signed",
        f"{SIGNATURES}: signature[0]: signature by key {carol} ({carol.fingerprint}) does not"
        " match the bytes of amendments.toml: the file changed after it was signed, or the"
        " signature belongs to another file; sign it again",
    ]


def test_amendment_signed_by_an_owner_is_refused(tmp_path: Path) -> None:
    found = problems(curated(BOUND, signers=("bob",)), tmp_path)
    assert any("is a key of owner 'bob'; owners do not sign amendments" in line for line in found)


def test_amendment_signed_by_a_revoked_curator_key_is_refused(tmp_path: Path) -> None:
    source = curated(BOUND, signers=("carol-old",)).write(tmp_path / "source")
    registry = tomlkit.parse((source / "registry.toml").read_text())
    registry["trust"]["revoked-keys"] = [str(fixed_key("carol-old").public)]  # type: ignore[index]
    (source / "registry.toml").write_text(tomlkit.dumps(registry))
    sign_file(source / "registry.toml", fixed_key("root"))
    with pytest.raises(BuildError) as raised:
        build_files(BuildOptions(source=source, output=tmp_path / "out"))
    revoked = "is revoked ([trust] revoked-keys); sign with a curator's new key"
    assert any(revoked in problem.message for problem in raised.value.problems)


def test_amendment_that_leaves_a_requirement_unsatisfiable_is_refused(tmp_path: Path) -> None:
    builder = curated(
        amendment("*", dependency="alpha", upper_bound="1.0.0"),
        amendment("*", dependency="alpha", exclude="2.0.0", kind="runtime"),
    )
    (found,) = problems(builder, tmp_path)
    assert found == (
        f"{AMENDMENTS}: amendment[1]: on release 1.0.0, 0.9.0: with amendment[0], amendment[1],"
        " no release of 'alpha' satisfies the requirement >=1.0 any more (releases: 2.0.0, 1.1.0,"
        " 1.0.0); loosen the bound or drop the exclusion (to take a release out of use, its"
        " owners yank it)"
    )


def test_conflict_with_a_package_the_release_requires_is_refused(tmp_path: Path) -> None:
    """beta requires alpha: a conflict with alpha would take beta out of use unseen."""
    (found,) = problems(curated(amendment("<1.0", conflict="alpha", versions=">=2")), tmp_path)
    assert found == (
        f"{AMENDMENTS}: amendment[0].conflict: on release 0.9.0: conflicts with 'alpha', which"
        " the release itself requires; narrow that requirement with upper-bound or exclude"
        " instead (the build checks those only narrow)"
    )


def test_amendments_files_with_problems_of_every_kind_list_them_all(tmp_path: Path) -> None:
    bad = {**BOUND, "kind": "sometimes", "link": "ftp://example.org/x", "exclude": "1.0.0"}
    del bad["reason"]
    builder = curated(bad, amendment("*", conflict="nothere"), BOUND | {"dependency": "alpah"})
    builder.amend("gamma", BOUND, signers=("carol",))
    source = builder.write(tmp_path / "source")
    (source / "amendments" / "stray.toml").write_text("format = 1\n")
    (source / "amendments" / "delta").mkdir()
    with pytest.raises(BuildError) as raised:
        build_files(BuildOptions(source=source, output=tmp_path / "out"))
    found = {(p.file, p.key): p.message for p in raised.value.problems}
    assert set(found) >= {
        (AMENDMENTS, "amendment[0]"),  # both exclude and upper-bound
        (AMENDMENTS, "amendment[0].kind"),
        (AMENDMENTS, "amendment[0].link"),
        (AMENDMENTS, "amendment[0].reason"),
        (AMENDMENTS, "amendment[1]"),  # a conflict with no such package
        (AMENDMENTS, "amendment[2]"),  # a dependency no release has
        ("amendments/gamma/amendments.toml.sig", "signature[0]"),  # out of carol's scope
        ("amendments/stray.toml", ""),
        ("amendments/delta", ""),
    }
    assert (
        "expected exactly one of upper-bound, exclude or conflict"
        in found[AMENDMENTS, "amendment[0]"]
    )
    assert (
        found[AMENDMENTS, "amendment[1]"] == "conflict 'nothere' is not a package of this registry"
    )
    assert "'delta', which is not a package of this registry" in found["amendments/delta", ""]


def test_a_source_with_problems_of_every_stage_lists_them_all_in_one_run(tmp_path: Path) -> None:
    """registry.toml's curators, an owner's package.toml, an owner's requirement, an amendments
    file's fields, a signature out of scope and an amendment that widens: one build, every one."""
    builder = curated(amendment("*", dependency="alpha", upper_bound="1.0"))
    builder.add_package("alpha", ["alice"], [release("alpha", "1.0"), release("alpha", "0.9a1", 2)])
    beta = [release("beta", "0.9.0", 4, requires={"alpha": ">=0.1", "nowhere": ">=1"})]
    builder.add_package("beta", ["bob"], beta)
    builder.add_package("gamma", ["bob"], [release("gamma", "not a version", 6)])
    builder.registry["curators"]["carol"]["packages"] = ["be*", "ht*p"]
    builder.amend(
        "delta",
        amendment("*", dependency="alpha", upper_bound="2.0", kind="soon"),
        signers=("carol",),
    )
    builder.add_package("delta", ["bob"], [release("delta", "1.0", 7, requires={"alpha": "*"})])
    source = builder.write(tmp_path / "source")
    with pytest.raises(BuildError) as raised:
        build_files(BuildOptions(source=source, output=tmp_path / "out"))
    found = {(p.file, p.key) for p in raised.value.problems}
    assert found >= {
        ("registry.toml", "curators.carol.packages[1]"),  # a scope pattern that is no pattern
        ("packages/gamma/package.toml", "release[0].version"),  # an owner's version
        ("packages/beta/package.toml", "release[version=0.9.0].requires.nowhere"),  # no package
        ("amendments/delta/amendments.toml", "amendment[0].kind"),  # a kind that is no kind
        ("amendments/delta/amendments.toml.sig", "signature[0]"),  # carol may not amend delta
        (AMENDMENTS, "amendment[0].upper-bound"),  # a bound that widens
    }


def test_curators_in_registry_toml_are_checked(tmp_path: Path) -> None:
    builder = curated()
    curators = builder.registry["curators"]
    curators["carol"]["packages"] = ["be*", "ht*p", ""]
    curators["eve"] = {"name": "Eve", "keys": [str(fixed_key("alice").public)], "packages": ["*"]}
    builder.registry["trust"]["curator-threshold"] = 4
    found = set(problems(builder, tmp_path))
    alice = fixed_key("alice").public
    assert {
        "registry.toml: curators.carol.packages[1]: expected a package name or a prefix ending in"
        " '*' (such as 'http-*' or '*'), found 'ht*p'",
        f"registry.toml: curators.eve.keys: {alice} is a key of owner 'alice'; a curator signs"
        " with a key of its own, so that either role can be revoked alone (regsite keygen"
        " makes one)",
        "registry.toml: trust.curator-threshold: threshold 4 can never be met: only 3 listed",
    } <= found


def test_threshold_of_two_curators_needs_two_signatures(tmp_path: Path) -> None:
    builder = curated(BOUND)
    builder.registry["curators"]["dave"]["packages"] = ["gamma", "beta"]
    builder.registry["trust"]["curator-threshold"] = 2
    found = problems(builder, tmp_path / "one")
    assert found == [
        f"{SIGNATURES}: threshold not met: 1 of the required 2 curators who may amend it signed"
    ]
    builder.amendment_signers["beta"] = ["carol", "dave"]
    assert document(built(builder, tmp_path / "two"))["amendments"]["signed_by"] == [
        "carol",
        "dave",
    ]


# What the site publishes --------------------------------------------------------------------------


def test_package_json_keeps_declared_and_amended_requirements_apart(tmp_path: Path) -> None:
    conflict = amendment("*", conflict="gamma", versions=">=0.1", kind="runtime")
    builder = curated(BOUND, amendment("*", dependency="alpha", exclude="1.1.0"), conflict)
    output = built(builder, tmp_path)
    beta = document(output)
    newer, older = beta["releases"]
    assert older["requires"] == [{"name": "alpha", "specifier": ">=1.0"}]  # as the owner declared
    assert older["effective"] == {
        "amendments": [0, 1, 2],
        "requires": [{"name": "alpha", "specifier": "<2.0.0,>=1.0", "excluded": ["1.1.0"]}],
        "conflicts": [{"name": "gamma", "specifier": ">=0.1"}],
    }
    assert newer["effective"]["amendments"] == [1, 2]  # the bound covers 0.9.0 only
    assert newer["effective"]["requires"][0]["specifier"] == ">=1.0"
    entries = beta["amendments"]["entries"]
    assert entries[0] == {
        "index": 0,
        "releases": "<=0.9.0",
        "narrows": "upper-bound",
        "name": "alpha",
        "version": "2.0.0",
        "specifier": None,
        "kind": "build",
        "reason": "A build problem, for a test.",
        "link": None,
        "date": "2026-02-01",
    }
    assert beta["amendments"]["signed_by"] == ["carol"]
    assert "amendments" not in document(output, "alpha")  # present only when it has a value
    assert "effective" not in document(output, "alpha")["releases"][0]
    assert validate_json_outputs(output)["package"] == 3


def test_owners_files_stay_byte_for_byte_and_amendments_are_republished(tmp_path: Path) -> None:
    builder = curated(BOUND)
    builder.registry["trust"]["online-keys"] = [str(DEMO_ONLINE_KEY.public)]
    source = builder.write(tmp_path / "source")
    write_next_root(SourceTree(source), [fixed_key("root")], datetime.now(UTC))
    signed = (source / "packages/beta/package.toml").read_bytes()
    out = tmp_path / "site"
    build(BuildOptions(source=source, output=out, online_key=DEMO_ONLINE_KEY))
    published = out / "api/v1/sources/beta"
    assert (published / "package.toml").read_bytes() == signed
    assert (source / "packages/beta/package.toml").read_bytes() == signed
    for name in ("amendments.toml", "amendments.toml.sig"):
        content = (source / "amendments/beta" / name).read_bytes()
        assert (published / name).read_bytes() == content
        copy = content_addressed_path(
            f"api/v1/sources/beta/{name}", hashlib.sha256(content).hexdigest()
        )
        assert (out / copy).read_bytes() == content  # a signed source: a client fetches it by hash
    beta = json.loads((out / "api/v1/packages/beta.json").read_bytes())
    assert beta["amendments"]["url"] == "../sources/beta/amendments.toml"
    assert beta["source"]["sha256"] == hashlib.sha256(signed).hexdigest()


def test_package_page_shows_each_amendment_with_reason_kind_link_date_and_signers(
    tmp_path: Path,
) -> None:
    linked = BOUND | {"link": "https://example.org/issues/7", "reason": "alpha 2 renames <parse>."}
    output = built(curated(linked), tmp_path)
    page = output["packages/beta/index.html"].decode()
    section = page[
        page.index('id="amendments"') : page.index("</section>", page.index('id="amendments"'))
    ]
    for shown in (
        "Carol Curator",
        "(carol)",
        "<code>alpha &lt;2.0.0</code>",
        "upper bound",
        "<code>&lt;=0.9.0</code>",
        'badge-build">build<',
        "alpha 2 renames &lt;parse&gt;.",
        '<a href="https://example.org/issues/7" rel="nofollow noopener">link</a>',
        '<time datetime="2026-02-01">',
        'href="../../api/v1/sources/beta/amendments.toml"',
    ):
        assert shown in section, shown
    # the release's own page shows its dependencies, amended ranges too
    release = output["packages/beta/0.9.0/index.html"].decode()
    assert "amended to <code>&lt;2.0.0,&gt;=1.0</code>" in release


def test_semver_effective_requirement_is_a_cargo_requirement_with_exclusions_apart(
    tmp_path: Path,
) -> None:
    builder = semver_builder()
    builder.add_curator("carol", "Carol", ["delta"])
    narrowed = [
        amendment("*", dependency="alpha", upper_bound="1.1.0"),
        amendment("*", dependency="gamma", exclude="1.0.0-beta"),
    ]
    builder.amend("delta", *narrowed, signers=("carol",))
    effective = document(built(builder, tmp_path), "delta")["releases"][0]["effective"]
    assert effective["requires"] == [
        {"name": "alpha", "specifier": "^1.0, <1.1.0", "excluded": []},
        {"name": "gamma", "specifier": "~1.0.0-alpha", "excluded": ["1.0.0-beta"]},
    ]


def test_cargo_index_publishes_effective_requirements_and_the_build_warns_of_exclusions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cargo reads requirements from its index only: the bound is in deps[].req; an exclusion
    cargo cannot write is left out of it, and the build says so."""
    builder = cargo_builder()
    builder.add_curator("carol", "Carol", ["delta"])
    narrowed = [
        amendment("*", dependency="alpha", upper_bound="1.1.0"),
        amendment("*", dependency="gamma", exclude="1.0.0-beta"),
    ]
    builder.amend("delta", *narrowed, signers=("carol",))
    source, site = builder.write(tmp_path / "source"), tmp_path / "site"
    code, printed = run_cli(capsys, "build", source, "-o", site, "--unsigned")
    assert code == 0, printed
    (line,) = (site / index_path("delta")).read_text().splitlines()
    deps = {dep["name"]: dep["req"] for dep in json.loads(line)["deps"]}
    assert deps == {"alpha": "^1.0, <1.1.0", "gamma": "~1.0.0-alpha"}
    assert (
        "amendments/delta/amendments.toml: amendment[1] (gamma !=1.0.0-beta): cargo's index"
        " cannot write an excluded version or a conflict, so cargo resolves without it"
    ) in " ".join(printed.split())
    (alpha,) = (site / index_path("alpha")).read_text().splitlines()[:1]
    assert json.loads(alpha)["deps"] == []  # packages without amendments are as their owners say


# The build report and the memo -------------------------------------------------------------------


def test_report_lists_amendments_added_and_removed(tmp_path: Path) -> None:
    builder = curated()
    source, out, cache = tmp_path / "source", tmp_path / "site", tmp_path / "cache"

    def build_now() -> Any:
        builder.write(source)
        return build(BuildOptions(source=source, output=out, cache=cache, jobs=1))

    build_now()
    builder.amend("beta", BOUND, signers=("carol",))
    added = build_now()
    entry = ("beta", ("<=0.9.0", "upper-bound", "alpha", "2.0.0", None, "build"))
    assert (added.changes.amendments_added, added.changes.amendments_removed) == ((entry,), ())
    assert (added.rendered, added.changes.packages_changed) == (1, ("beta",))
    report = json.loads((out / "api/v1/build-report.json").read_bytes())
    assert report["amendments"]["added"] == [
        {
            "package": "beta",
            "releases": "<=0.9.0",
            "narrows": "upper-bound",
            "name": "alpha",
            "version": "2.0.0",
            "specifier": None,
            "kind": "build",
        }
    ]
    assert (
        "**Amendments added** (1)\n\n- `beta` (releases <=0.9.0): alpha upper-bound 2.0.0 [build]"
        in report_markdown(added.changes, "T")
    )
    builder.amendments.clear()
    builder.amendment_signers.clear()
    (source / AMENDMENTS).unlink()
    (source / SIGNATURES).unlink()
    (source / "amendments/beta").rmdir()
    removed = build_now()
    assert (removed.changes.amendments_added, removed.changes.amendments_removed) == ((), (entry,))
    assert not (out / "api/v1/sources/beta/amendments.toml").exists()


def test_amendment_change_rerenders_only_the_amended_package_and_equals_a_cold_build(
    tmp_path: Path,
) -> None:
    builder = curated(BOUND)
    source, out, cache = tmp_path / "source", tmp_path / "site", tmp_path / "cache"
    builder.write(source)
    build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    builder.amend(
        "beta", amendment("<=0.9.0", dependency="alpha", upper_bound="1.1.0"), signers=("carol",)
    )
    builder.write(source)
    warm = build(BuildOptions(source=source, output=out, cache=cache, jobs=1))
    assert (warm.rendered, warm.reused) == (1, 3)  # beta's outputs only; no package scanned again
    cold = build_files(BuildOptions(source=source, output=tmp_path / "cold"))
    for path in ("api/v1/packages/beta.json", "packages/beta/index.html"):
        assert (out / path).read_bytes() == cold[path]
    assert json.loads(cold["api/v1/packages/beta.json"])["releases"][1]["effective"][
        "requires"
    ] == [{"name": "alpha", "specifier": "<1.1.0,>=1.0", "excluded": []}]
