"""Effective requirements, the proof that an amendment narrows, the staging plan, and the
resolver with curators' narrowing and conflicts (regsite.effective, regsite.staging,
regsite.client.resolve)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date

import pytest

from regsite.client.resolve import ResolutionError, parse_requirement, resolve
from regsite.effective import (
    EffectiveRelease,
    effective_release,
    effective_specifier,
    release_effective,
    selected,
    widened,
)
from regsite.model import (
    Amendment,
    AmendmentKind,
    Dependency,
    Narrowing,
    Package,
    PackageAmendments,
    Release,
    SourceFile,
)
from regsite.staging import stage_plan
from regsite.versions import PEP440, SEMVER, VersionScheme
from test_client_resolve import package, release


def amended(
    index: int,
    releases: str,
    narrowing: Narrowing,
    target: str,
    value: str,
    scheme: VersionScheme = PEP440,
) -> Amendment:
    conflict = narrowing is Narrowing.CONFLICT
    return Amendment(
        index=index,
        releases=scheme.parse_specifier(releases),
        narrowing=narrowing,
        target=target,
        version=None if conflict else scheme.parse_version(value),
        versions=scheme.parse_specifier(value) if conflict else None,
        kind=AmendmentKind.BUILD,
        reason="for a test",
        link=None,
        date=date(2026, 3, 1),
    )


def file_of(name: str, *amendments: Amendment) -> PackageAmendments:
    source = SourceFile(
        path=f"amendments/{name}/amendments.toml",
        content=b"",
        signature_content=None,
        verification=None,
    )
    return PackageAmendments(package=name, amendments=amendments, source=source)


V = PEP440.parse_version
S = PEP440.parse_specifier


# effective_release -------------------------------------------------------------------------------


def test_amendments_out_of_range_or_on_undeclared_dependencies_leave_a_release_alone() -> None:
    requires = [("alpha", S(">=1"))]
    out_of_range = amended(0, ">=2", Narrowing.UPPER_BOUND, "alpha", "2")
    undeclared = amended(1, "*", Narrowing.UPPER_BOUND, "gamma", "2")  # never adds a dependency
    assert effective_release(V("1.0"), requires, [out_of_range, undeclared]) is None


def test_lowest_bound_wins_exclusions_add_up_and_conflicts_apply_to_the_range() -> None:
    amendments = [
        amended(0, "*", Narrowing.UPPER_BOUND, "alpha", "3"),
        amended(1, "<=1.0", Narrowing.UPPER_BOUND, "alpha", "2"),
        amended(2, "*", Narrowing.EXCLUDE, "alpha", "1.5"),
        amended(3, "*", Narrowing.EXCLUDE, "alpha", "1.2"),
        amended(4, "*", Narrowing.CONFLICT, "gamma", ">=2"),
    ]
    effective = effective_release(V("1.0"), [("alpha", S(">=1")), ("zeta", S(""))], amendments)
    assert effective is not None
    alpha, zeta = effective.requires
    assert (alpha.bound, alpha.excluded, alpha.amendments) == (
        V("2"),
        (V("1.2"), V("1.5")),
        (0, 1, 2, 3),
    )
    assert not zeta.amended
    assert str(effective_specifier(PEP440, alpha)) == "<2,>=1"
    versions = [V(v) for v in ("2.0", "1.5", "1.2", "1.1", "1.0")]
    assert selected(PEP440, alpha, versions) == [V("1.1"), V("1.0")]
    assert [(c.name, str(c.versions)) for c in effective.conflicts] == [("gamma", ">=2")]
    ignoring = effective_release(
        V("1.0"), [("alpha", S(">=1"))], amendments, ignore={"alpha", "gamma"}
    )
    assert ignoring is None


def test_widened_is_empty_for_a_bound_that_narrows_and_names_what_a_widening_one_adds() -> None:
    versions = [V("1.0"), V("0.9a1"), V("0.5")]
    assert widened(PEP440, S(">=0.1"), V("1.0"), versions) == []  # 0.5 is still a final release
    assert widened(PEP440, S(">=0.6"), V("1.0"), versions) == [V("0.9a1")]  # no final left
    semver = [SEMVER.parse_version(v) for v in ("1.0.0", "0.9.0-alpha")]
    assert (
        widened(SEMVER, SEMVER.parse_specifier(">=0.6"), SEMVER.parse_version("1.0.0"), semver)
        == []
    )


# stage_plan ---------------------------------------------------------------------------------------


def test_stage_plan_bounds_runs_of_releases_and_leaves_others_alone() -> None:
    beta = package(
        "beta",
        release("0.1", {"alpha": ">=0.5"}, name="beta"),  # reached
        release("0.2", name="beta"),  # no alpha at all: inside a run, harmless
        release("0.3", {"alpha": ">=1"}, name="beta"),  # reached
        release("0.4", {"alpha": "<1.5"}, name="beta"),  # not reached: breaks the run
        release("0.5", {"alpha": ">=1"}, name="beta"),  # reached
        release("0.6", {"alpha": ">=2.0rc1"}, name="beta"),  # made for 2.0: left as it is
    )
    plan = stage_plan("alpha", V("2.0"), {"beta": beta}, {}, [V("1.0"), V("2.0rc1")], PEP440)
    assert [(r.releases, r.versions) for r in plan.ranges] == [
        ("<=0.3", ("0.1", "0.3")),
        ("==0.5", ("0.5",)),
    ]
    assert [(s.version, s.why) for s in plan.skipped] == [
        ("0.6", "requires alpha >=2.0rc1, which no release before 2.0 satisfies")
    ]


def test_stage_plan_skips_releases_an_amendment_already_keeps_below_the_version() -> None:
    beta = package("beta", release("0.1", {"alpha": ">=1"}, name="beta"))
    bounded = file_of("beta", amended(0, "*", Narrowing.UPPER_BOUND, "alpha", "1.5"))
    plan = stage_plan("alpha", V("2.0"), {"beta": beta}, {"beta": bounded}, [V("1.0")], PEP440)
    assert plan.ranges == () and plan.skipped == ()


def test_stage_plan_names_a_semver_pre_release_exactly() -> None:
    """Cargo's '<=1.0.0' never holds 1.0.0-rc.1, so no range covers both: each is named."""
    sv = SEMVER.parse_version
    beta = package(
        "beta", semver_release("1.0.0-rc.1", ">=0.1.0"), semver_release("1.0.0", ">=0.1.0")
    )
    plan = stage_plan("alpha", sv("2.0.0"), {"beta": beta}, {}, [sv("1.0.0")], SEMVER)
    assert [(r.releases, r.versions) for r in plan.ranges] == [
        ("=1.0.0-rc.1", ("1.0.0-rc.1",)),
        ("=1.0.0", ("1.0.0",)),
    ]


def semver_release(version: str, alpha: str) -> Release:
    dependency = Dependency(name="alpha", specifier=SEMVER.parse_specifier(alpha))
    return replace(
        release("0.0", name="beta"), version=SEMVER.parse_version(version), requires=(dependency,)
    )


# the resolver ---------------------------------------------------------------------------------------


def resolve_with(
    roots: list[str], packages: dict[str, Package], amendments: dict[str, PackageAmendments]
) -> dict[str, str]:
    def amended(name: str, chosen: Release) -> EffectiveRelease | None:
        found = amendments.get(name)
        return None if found is None else release_effective(chosen, found.amendments)

    found = resolve(
        [parse_requirement(r, PEP440) for r in roots], packages.__getitem__, PEP440, amended
    )
    return {name: str(chosen.version) for name, chosen in found.items()}


PACKAGES = {
    "app": package("app", release("1.0", {"lib": ">=1"}, name="app")),
    "lib": package(
        "lib", release("1.0", name="lib"), release("2.0", name="lib"), release("2.1a1", name="lib")
    ),
    "tool": package("tool", release("1.0", name="tool"), release("2.0", name="tool")),
}


def test_resolver_applies_bounds_and_exclusions_after_the_scheme_chose() -> None:
    bound = file_of("app", amended(0, "*", Narrowing.UPPER_BOUND, "lib", "2.0"))
    assert resolve_with(["app"], PACKAGES, {}) == {"app": "1.0", "lib": "2.0"}
    assert resolve_with(["app"], PACKAGES, {"app": bound}) == {"app": "1.0", "lib": "1.0"}
    excluded = file_of(
        "app",
        amended(0, "*", Narrowing.EXCLUDE, "lib", "1.0"),
        amended(1, "*", Narrowing.EXCLUDE, "lib", "2.0"),
    )
    with pytest.raises(
        ResolutionError
    ) as raised:  # never 2.1a1, which the owner's >=1 does not choose
        resolve_with(["app"], PACKAGES, {"app": excluded})
    assert "lib>=1 (amended: !=1.0, !=2.0) (required by app 1.0 <- your requirements)" in str(
        raised.value
    )


def test_resolver_keeps_conflicting_packages_apart_and_installs_nothing_for_a_conflict() -> None:
    conflict = {"app": file_of("app", amended(0, "*", Narrowing.CONFLICT, "tool", ">=2"))}
    assert resolve_with(["app"], PACKAGES, conflict) == {"app": "1.0", "lib": "2.0"}  # no tool
    assert resolve_with(["app", "tool"], PACKAGES, conflict) == {
        "app": "1.0",
        "lib": "2.0",
        "tool": "1.0",
    }
    with pytest.raises(ResolutionError) as raised:
        resolve_with(["app", "tool>=2"], PACKAGES, conflict)
    assert "no tool>=2 (a curator's conflict) (required by app 1.0 <- your requirements)" in str(
        raised.value
    )


def test_resolver_across_registries_applies_each_registrys_amendments_to_its_own_packages() -> None:
    """app (here) requires lib from upstream 'up'; lib requires tool, also up's.  Our curators
    bound app's lib, up's curators bound lib's tool: both hold in one resolution, and every
    dependency resolved is bound to its registry first (as regsite.client.view binds them)."""
    app_release = release("1.0", {"lib": ">=1"}, name="app")
    lib_dependency = replace(app_release.requires[0], upstream="up")
    app = package("app", replace(app_release, requires=(lib_dependency,)))
    lib = package(
        "lib",
        release("1.0", {"tool": ">=1"}, name="lib"),
        release("2.0", {"tool": ">=1"}, name="lib"),
    )
    tool = package("tool", release("1.0", name="tool"), release("2.0", name="tool"))
    registries = {None: {"app": app}, "up": {"lib": lib, "tool": tool}}
    amendments = {
        None: {"app": file_of("app", amended(0, "*", Narrowing.UPPER_BOUND, "lib", "2.0"))},
        "up": {"lib": file_of("lib", amended(0, "*", Narrowing.UPPER_BOUND, "tool", "2.0"))},
    }
    chosen: dict[str, str | None] = {"app": None}

    def requires(name: str, _: Release, dependencies: Sequence[Dependency]) -> Sequence[Dependency]:
        for dependency in dependencies:
            chosen[dependency.name] = dependency.upstream or chosen[name]
        return dependencies

    def amendments_in_force(name: str, release: Release) -> EffectiveRelease | None:
        found = amendments[chosen[name]].get(name)
        return None if found is None else release_effective(release, found.amendments)

    def get_package(name: str) -> Package:
        return registries[chosen.get(name)][name]

    found = resolve(
        [parse_requirement("app", PEP440)], get_package, PEP440, amendments_in_force, requires
    )
    assert {name: str(r.version) for name, r in found.items()} == {
        "app": "1.0",
        "lib": "1.0",
        "tool": "1.0",
    }
    assert chosen == {"app": None, "lib": "up", "tool": "up"}
