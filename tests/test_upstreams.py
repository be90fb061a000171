"""Registries that depend on registries: the build side (registry.toml's [[upstream]], the
upstream stage, the checks, the outputs).  The upstream is a second registry built here
(tests/upstreamsite.py), signed and served on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder import amendment, release
from cargosite import cargo_builder
from clientsite import Served, revalidating_server
from conftest import serving
from regsite.build import BuildOptions, build, build_files, check_source
from regsite.cli import main
from regsite.fetch import FetchConfig
from regsite.upstreams import UpstreamOptions
from slowserver import Trickle, trickling
from test_render import validate_json_outputs
from upstreamsite import base_builder, build_base, downstream_builder, pin_base, write_downstream


@dataclass(frozen=True, slots=True)
class Base:
    """The upstream: its source, its signed site, and the root the downstream pins."""

    source: Path
    site: Path
    root: Path


@pytest.fixture
def base(tmp_path: Path) -> Base:
    source, site = tmp_path / "base-source", tmp_path / "base-site"
    return Base(source, site, build_base(base_builder(), source, site))


@pytest.fixture
def served(base: Base) -> Iterator[Served]:
    with revalidating_server(base.site) as server:
        yield server


def downstream(tmp_path: Path, base: Base, url: str, **more: object) -> Path:
    builder = downstream_builder(url + "/", base.root, **more)
    return write_downstream(builder, tmp_path / "source", base.root)


def problems_of(options: BuildOptions) -> list[str]:
    return [str(problem) for problem in check_source(options).report]


def build_problems(source: Path, **options: object) -> list[str]:
    return problems_of(BuildOptions(source=source, output=source.parent / "out", **options))  # type: ignore[arg-type]


# What a dependency on an upstream package publishes --------------------------------------------


def test_a_dependency_that_lives_upstream_builds_links_to_its_page_and_names_its_registry(
    tmp_path: Path, base: Base, served: Served
) -> None:
    source = downstream(tmp_path, base, served.url)
    output = build_files(BuildOptions(source=source, output=tmp_path / "out"))
    app = json.loads(output["api/v1/packages/app.json"])
    assert app["releases"][0]["requires"] == [
        {"name": "alpha", "specifier": ">=1"},
        {"name": "tinyjson", "specifier": ">=0.4.1", "upstream": "base"},
    ]
    (upstream,) = json.loads(output["api/v1/registry.json"])["upstreams"]
    pinned = base.root.read_bytes()
    assert upstream == {
        "name": "base",
        "url": served.url + "/",
        "root": {
            "url": "sources/upstream/base/1.root.json",
            "sha256": hashlib.sha256(pinned).hexdigest(),
        },
        "page": served.url + "/packages/{name}/index.html",
        "packages": ["tinyjson"],
        "shadowed": [],
    }
    assert output["api/v1/sources/upstream/base/1.root.json"] == pinned
    page = output["packages/app/index.html"].decode()
    link = f'<a href="{served.url}/packages/tinyjson/index.html">tinyjson</a>'
    assert f'{link} <code>&gt;=0.4.1</code> <span class="muted">from base</span>' in page
    checked = validate_json_outputs(output)
    assert checked["registry"] == 1 and checked["package"] == 3


def test_a_package_page_shows_its_amendments_advisories_and_upstream_links_together(
    tmp_path: Path, base: Base, served: Served
) -> None:
    """app requires tinyjson from base and alpha here; a curator bounds alpha, an advisory
    affects app 1.0.0: the page, the JSON and its schema carry all three."""
    builder = downstream_builder(served.url + "/", base.root)
    builder.add_curator("carol", "Carol Curator", ["app"])
    builder.amend(
        "app", amendment("*", dependency="alpha", upper_bound="1.1.0"), signers=("carol",)
    )
    fixed = [{"introduced": "0"}, {"fixed": "2.0.0"}]
    builder.add_advisory(
        "x_TESTREG-2026-0001", [{"name": "app", "ranges": [{"type": "ECOSYSTEM", "events": fixed}]}]
    )
    source = write_downstream(builder, tmp_path / "source", base.root)
    output = build_files(BuildOptions(source=source, output=tmp_path / "out"))
    (app,) = json.loads(output["api/v1/packages/app.json"])["releases"]
    assert app["requires"][1] == {"name": "tinyjson", "specifier": ">=0.4.1", "upstream": "base"}
    assert app["effective"]["requires"][0] == {
        "name": "alpha",
        "specifier": "<1.1.0,>=1",
        "excluded": [],
    }
    assert [advisory["id"] for advisory in app["advisories"]] == ["x_TESTREG-2026-0001"]
    page = output["packages/app/index.html"].decode()
    link = f'<a href="{served.url}/packages/tinyjson/index.html">tinyjson</a>'
    assert f'{link} <code>&gt;=0.4.1</code> <span class="muted">from base</span>' in page
    assert "amended to <code>&lt;1.1.0,&gt;=1</code>" in page
    assert "Curated constraints" in page and "Carol Curator" in page
    assert ">x_TESTREG-2026-0001</a>" in page
    assert validate_json_outputs(output)["package"] == 3


def test_the_table_form_without_upstream_is_a_dependency_on_this_registry(
    tmp_path: Path, base: Base, served: Served
) -> None:
    builder = downstream_builder(served.url + "/", base.root)
    builder.add_package(
        "app", ["alice"], [release("app", "1.0.0", 5, requires={"alpha": {"version": ">=1"}})]
    )
    source = write_downstream(builder, tmp_path / "source", base.root)
    output = build_files(BuildOptions(source=source, output=tmp_path / "out"))
    (requires,) = [
        r["requires"] for r in json.loads(output["api/v1/packages/app.json"])["releases"]
    ]
    assert requires == [{"name": "alpha", "specifier": ">=1"}]


# Failures, each named after what it stops -------------------------------------------------------


def test_an_upstream_whose_root_was_swapped_fails_the_build(tmp_path: Path, base: Base) -> None:
    """The upstream's site is re-created under other root keys: its metadata no longer chains
    from the root registry.toml pins."""
    impostor = tmp_path / "impostor"
    build_base(base_builder(root_key="impostor root"), impostor / "source", impostor / "site")
    with serving(impostor / "site") as url:
        problems = build_problems(downstream(tmp_path, base, url))
    (problem,) = problems
    assert problem.startswith(
        f"registry.toml: upstream[name=base]: upstream 'base' at {url}/:"
        " upstream/base/1.root.json (pinned by registry.toml) is not a root of the registry at"
    )
    assert "its root keys (" in problem and "are not the ones the registry's" in problem


def test_an_upstream_whose_online_key_serves_another_registry_toml_fails_the_build(
    tmp_path: Path, base: Base
) -> None:
    """The same online key (stolen, say) signs a site whose registry.toml other root keys
    signed: TUF accepts the metadata, the owner layer refuses registry.toml."""
    impostor = tmp_path / "impostor"
    builder = base_builder(root_key="impostor root", online_key="base root online")
    build_base(builder, impostor / "source", impostor / "site")
    with serving(impostor / "site") as url:
        (problem,) = build_problems(downstream(tmp_path, base, url))
    assert problem == (
        f"registry.toml: upstream[name=base]: upstream 'base' at {url}/: registry.toml did not"
        " verify: registry.toml.sig: signed by 0 of the pinned root keys (those its TUF root"
        " names), 1 required: registry.toml's root keys changed, or the pin is out of date"
    )


def test_a_pinned_root_that_is_not_the_one_registry_toml_records_fails_the_build(
    tmp_path: Path, base: Base, served: Served
) -> None:
    source = downstream(tmp_path, base, served.url)
    pinned = source / "upstream" / "base" / "1.root.json"
    pinned.write_bytes(pinned.read_bytes().replace(b'"version":1', b'"version": 1'))
    (problem,) = build_problems(source)
    expected = hashlib.sha256(base.root.read_bytes()).hexdigest()
    assert problem == (
        f"upstream/base/1.root.json: has sha256 {hashlib.sha256(pinned.read_bytes()).hexdigest()},"
        f" but registry.toml pins {expected} (upstream[name=base].root.sha256); if the root was"
        " replaced on purpose, record its sha256 there and sign registry.toml again"
    )
    assert served.requests == []  # nothing is fetched from an upstream whose pin is broken


def tamper(site: Path, relative: str, old: bytes, new: bytes) -> None:
    """Change a file of a built site, and its content-addressed copy, as a hostile host would."""
    for path in (site / relative).parent.iterdir():
        if path.name.endswith(Path(relative).name):
            path.write_bytes(path.read_bytes().replace(old, new))


def test_an_upstream_serving_a_tampered_package_fails_the_build(
    tmp_path: Path, base: Base, served: Served
) -> None:
    tamper(base.site, "api/v1/sources/tinyjson/package.toml", b"0.4.1", b"0.4.9")
    (problem,) = build_problems(downstream(tmp_path, base, served.url))
    assert problem.startswith(
        f"registry.toml: upstream[name=base]: upstream 'base' at {served.url}/:"
        f" {served.url}/api/v1/sources/tinyjson/"
    )
    assert "the signed metadata lists" in problem
    assert "for api/v1/sources/tinyjson/package.toml" in problem


def test_an_upstream_rolled_back_to_an_older_snapshot_fails_the_build(
    tmp_path: Path, base: Base
) -> None:
    """A build remembers what it trusted (in the memo): an upstream serving its previous
    snapshot again, validly signed but older, is refused."""
    old = Path(shutil.copytree(base.site, tmp_path / "old-site"))
    builder = base_builder()
    builder.add_package("tinyjson", ["alice"], [release("tinyjson", "0.5.0", 6)])
    build_base(builder, base.source, base.site)  # the upstream publishes 0.5.0
    live = tmp_path / "live"
    shutil.copytree(base.site, live)
    cache = tmp_path / "cache"
    with serving(live) as url:
        source = downstream(tmp_path, base, url)
        assert build_problems(source, cache=cache) == []
        shutil.rmtree(live)
        shutil.copytree(old, live)  # the host goes back to the older, still valid, site
        (problem,) = build_problems(source, cache=cache)
    assert problem.startswith(f"registry.toml: upstream[name=base]: upstream 'base' at {url}/:")
    assert "older than the trusted version" in problem and "(rollback)" in problem


def test_a_name_in_both_registries_without_a_declaration_fails_the_build(
    tmp_path: Path, base: Base, served: Served
) -> None:
    builder = downstream_builder(served.url + "/", base.root)
    builder.add_package("widget", ["bob"], [release("widget", "1.0.0")])
    source = write_downstream(builder, tmp_path / "source", base.root)
    assert build_problems(source) == [
        "registry.toml: upstream[name=base].shadowed: 'widget' is a package of this registry and"
        " of upstream 'base' (dependency confusion): declare which wins: list them in shadowed"
        " to keep this registry's, or remove this registry's and take the upstream's (packages)"
    ]
    builder.registry["upstream"][0]["shadowed"] = ["widget"]  # this registry's wins
    write_downstream(builder, source, base.root)
    assert build_problems(source) == []


def test_a_name_two_upstreams_have_without_a_declaration_fails_the_build(
    tmp_path: Path, base: Base, served: Served
) -> None:
    builder = downstream_builder(served.url + "/", base.root)
    again = pin_base(served.url + "/", base.root, ["url-parse"])
    builder.registry["upstream"].append({**again, "name": "mirror-of-base"})
    source = write_downstream(builder, tmp_path / "source", base.root)
    shutil.copytree(source / "upstream" / "base", source / "upstream" / "mirror-of-base")
    assert build_problems(source) == [
        "registry.toml: upstream[name=mirror-of-base].shadowed: 'tinyjson', 'url-parse', 'widget':"
        " packages of both upstreams 'base' and 'mirror-of-base' (dependency confusion): declare"
        " which wins: list them in the shadowed of the one whose package is never used"
    ]


def test_a_release_whose_upstream_dependency_no_upstream_release_satisfies_fails_the_build(
    tmp_path: Path, base: Base, served: Served
) -> None:
    builder = downstream_builder(served.url + "/", base.root)
    requires = {"tinyjson": {"version": ">=1", "upstream": "base"}}
    builder.add_package("app", ["alice"], [release("app", "1.0.0", 5, requires=requires)])
    source = write_downstream(builder, tmp_path / "source", base.root)
    assert build_problems(source) == [
        "packages/app/package.toml: release[version=1.0.0].requires.tinyjson: no release of"
        " 'tinyjson' in upstream 'base' satisfies >=1 (releases: 0.4.1, 0.4.0)"
    ]


def test_an_unreachable_upstream_fails_the_build_in_one_line(tmp_path: Path, base: Base) -> None:
    with serving(base.site) as url:
        pass  # a port nobody listens on any more
    (problem,) = build_problems(downstream(tmp_path, base, url))
    assert problem == (
        f"registry.toml: upstream[name=base]: upstream 'base' at {url}/: cannot reach the"
        f" registry at {url}/: connection refused by 127.0.0.1:{url.rsplit(':', 1)[1]} (while"
        " fetching metadata/2.root.json); check the URL, and that the site is being served,"
        " then try again"
    )


def test_an_upstream_slower_than_its_deadline_fails_the_build(tmp_path: Path, base: Base) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n{"
    with trickling(Trickle(head, drip=b" ")) as address:
        source = downstream(tmp_path, base, f"http://{address}")
        fast = UpstreamOptions(fetch=FetchConfig(deadline=0.3))
        (problem,) = build_problems(source, upstreams=fast)
    assert problem.startswith("registry.toml: upstream[name=base]: upstream 'base' at http://")
    assert "did not finish within the 0.3 s deadline" in problem


def test_a_source_with_several_kinds_of_upstream_problems_lists_all_of_them(
    tmp_path: Path, base: Base, served: Served
) -> None:
    builder = downstream_builder(served.url + "/", base.root, shadowed=["tinyjson"])
    builder.registry["upstream"][0]["packages"] = ["tinyjson", "nowhere"]
    builder.add_package("widget", ["bob"], [release("widget", "1.0.0")])
    requires = {
        "tinyjson": {"version": ">=9", "upstream": "base"},
        "url-parse": {"version": "*", "upstream": "base"},
        "other": {"version": "*", "upstream": "elsewhere"},
    }
    builder.add_package("app", ["alice"], [release("app", "1.0.0", 5, requires=requires)])
    source = write_downstream(builder, tmp_path / "source", base.root)
    where = "packages/app/package.toml: release[version=1.0.0].requires"
    assert sorted(
        build_problems(source, upstreams=UpstreamOptions(mirrors={"nope": tmp_path}))
    ) == [
        "--upstream-mirror: nope: not an [[upstream]] of registry.toml (base)",
        f"{where}.other: upstream 'elsewhere' is not an [[upstream]] of registry.toml"
        " (upstreams: base)",
        f"{where}.tinyjson: no release of 'tinyjson' in upstream 'base' satisfies >=9"
        " (releases: 0.4.1, 0.4.0)",
        f"{where}.url-parse: 'url-parse' is not taken from upstream 'base': add it to that"
        " [[upstream]]'s packages in registry.toml",
        "registry.toml: upstream[0].shadowed: 'tinyjson' is also in packages: it is taken, or"
        " shadowed",
        "registry.toml: upstream[name=base].packages: 'nowhere' is not a package of upstream"
        " 'base'",
        "registry.toml: upstream[name=base].shadowed: 'widget' is a package of this registry"
        " and of upstream 'base' (dependency confusion): declare which wins: list them in"
        " shadowed to keep this registry's, or remove this registry's and take the upstream's"
        " (packages)",
    ]


def test_a_dependency_on_a_name_taken_from_an_upstream_must_say_so(
    tmp_path: Path, base: Base, served: Served
) -> None:
    builder = downstream_builder(served.url + "/", base.root)
    builder.add_package(
        "app", ["alice"], [release("app", "1.0.0", 5, requires={"tinyjson": ">=0.4"})]
    )
    source = write_downstream(builder, tmp_path / "source", base.root)
    assert build_problems(source) == [
        "packages/app/package.toml: release[version=1.0.0].requires.tinyjson: depends on"
        " 'tinyjson', which registry.toml takes from upstream 'base': write tinyjson ="
        ' { version = ">=0.4", upstream = "base" }'
    ]


def test_an_amendment_naming_a_package_taken_from_an_upstream_is_refused_with_why(
    tmp_path: Path, base: Base, served: Served
) -> None:
    """Curators amend requirements on this registry's own packages only (docs/curation.md): an
    upstream's versions change without this source changing, so no proof of narrowing holds."""
    builder = downstream_builder(served.url + "/", base.root)
    builder.add_curator("carol", "Carol Curator", ["app"])
    builder.amend(
        "app",
        amendment("*", dependency="tinyjson", upper_bound="0.5.0"),
        amendment("*", conflict="tinyjson"),
        signers=("carol",),
    )
    source = write_downstream(builder, tmp_path / "source", base.root)
    why = (
        "is taken from upstream 'base': curators amend requirements on this registry's own"
        " packages only, since the proof that an amendment only narrows reads every version of"
        " the dependency, and an upstream's versions change without this source changing; ask"
        " the owners to narrow the requirement in package.toml, or 'base''s curators to amend"
        " their package"
    )
    assert build_problems(source) == [
        f"amendments/app/amendments.toml: amendment[0]: dependency 'tinyjson' {why}",
        f"amendments/app/amendments.toml: amendment[1]: conflict 'tinyjson' {why}",
    ]


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"name": "Base"}, "upstream[0].name: upstream name 'Base' is not normalised"),
        ({"url": "ftp://x.example/"}, "upstream[0].url: expected an absolute http(s) URL"),
        ({"root": {"file": "../1.root.json", "sha256": "0" * 64}}, "upstream[0].root.file:"),
        ({"root": {"file": "1.root.json", "sha256": "ABC"}}, "upstream[0].root.sha256: expected"),
        ({"packages": ["alpha"]}, "upstream[0].packages: 'alpha' is also a package of this"),
        ({"mirror": True}, "upstream[0].mirror: unknown key; expected one of: name, packages,"),
        ({"name": "testreg"}, "upstream[0].name: 'testreg' is this registry's own name"),
    ],
)
def test_a_malformed_upstream_table_is_refused_with_its_key(
    tmp_path: Path, base: Base, table: dict[str, object], problem: str
) -> None:
    builder = downstream_builder("https://base.example.org/", base.root)
    builder.registry["upstream"][0].update(table)
    source = write_downstream(builder, tmp_path / "source", base.root)
    found = build_problems(source)
    assert any(line.startswith(f"registry.toml: {problem}") for line in found), found


# The memo: an unchanged upstream costs one request ---------------------------------------------


def test_a_rebuild_with_an_unchanged_upstream_fetches_only_its_timestamp(
    tmp_path: Path, base: Base, served: Served
) -> None:
    source = downstream(tmp_path, base, served.url)
    options = BuildOptions(source=source, output=tmp_path / "out", cache=tmp_path / "cache")
    build(options)
    copy = re.compile(r"/api/v1/sources/tinyjson/[0-9a-f]{64}\.package\.toml")
    assert any(copy.fullmatch(request.path) for request in served.requests)  # what is read
    served.requests.clear()
    build(options)
    assert [(r.path, r.status) for r in served.requests] == [
        ("/metadata/2.root.json", 404),  # no new root
        ("/metadata/timestamp.json", 200),  # the same snapshot: nothing else is read
    ]


def test_a_new_upstream_snapshot_fetches_only_the_packages_that_changed(
    tmp_path: Path, base: Base, served: Served
) -> None:
    builder = downstream_builder(served.url + "/", base.root)
    builder.registry["upstream"][0]["packages"] = ["tinyjson", "url-parse"]
    source = write_downstream(builder, tmp_path / "source", base.root)
    options = BuildOptions(source=source, output=tmp_path / "out", cache=tmp_path / "cache")
    build(options)
    changed = base_builder()
    changed.add_package("url-parse", ["bob"], [release("url-parse", "1.1.0", 7)])
    build_base(changed, base.source, base.site)
    served.requests.clear()
    build(options)
    sources = {r.path.rsplit("/", 2)[1] for r in served.requests if "/sources/" in r.path}
    assert sources == {"url-parse"}  # tinyjson's files are listed with the same hashes


# Offline: the upstream from a mirror directory -------------------------------------------------


def test_an_offline_build_reads_the_upstream_from_a_mirror_directory(
    tmp_path: Path, base: Base, capsys: pytest.CaptureFixture[str]
) -> None:
    mirror = tmp_path / "mirror"
    with serving(base.site) as url:
        assert main(["mirror", url, "-o", str(mirror), "--root", str(base.root)]) == 0
        source = downstream(tmp_path, base, url)
    # The server is gone: the build reads base from the mirror, and links to base's URL.
    argv = ["build", str(source), "-o", str(tmp_path / "out"), "--unsigned"]
    assert main([*argv, "--upstream-mirror", f"base={mirror}"]) == 0
    page = (tmp_path / "out" / "packages" / "app" / "index.html").read_text()
    assert f'<a href="{url}/packages/tinyjson/index.html">tinyjson</a>' in page
    capsys.readouterr()
    assert main(argv) == 1
    assert "cannot reach the registry at" in capsys.readouterr().err


# Editing: release add --requires UPSTREAM:REQUIREMENT -------------------------------------------


def test_release_add_writes_a_dependency_on_an_upstream_package_checked_by_name(
    tmp_path: Path, base: Base, capsys: pytest.CaptureFixture[str]
) -> None:
    """An edit fetches nothing: it checks that registry.toml takes the name from that
    upstream; whether a release satisfies it is the build's to check."""
    source = downstream(tmp_path, base, "https://base.example.org")
    artifact = ["--artifact", "https://files.example.org/app-2.0.0.tar.gz", "--size", "10"]
    argv = ["release", "add", "app", "2.0.0", *artifact, "--sha256", "0" * 64, "-C", str(source)]
    assert main([*argv, "--requires", "base:url-parse>=1"]) == 1
    assert "'url-parse' is not taken from upstream 'base'" in capsys.readouterr().err
    assert main([*argv, "--requires", "base:tinyjson>=0.4", "--requires", "alpha"]) == 0, (
        capsys.readouterr().err
    )
    written = (source / "packages" / "app" / "package.toml").read_text()
    assert 'requires = {alpha = "*", tinyjson = {version = ">=0.4", upstream = "base"}}' in written


# With the cargo flavour: semver registries, cargo's table form ----------------------------------


def semver_base(tmp_path: Path, *, cargo: bool) -> Base:
    """base as a semver registry, publishing cargo's index when ``cargo``."""
    builder = base_builder()
    builder.registry["registry"]["version-scheme"] = "semver"
    if cargo:
        dl = "https://dl.example.org/{crate}/{version}"
        builder.registry["flavours"] = {"cargo": {"dl": dl}}
        for name, document in builder.packages.items():
            for entry in document["release"]:
                url = dl.replace("{crate}", name).replace("{version}", entry["version"])
                entry["artifact"] = [{"url": url, "sha256": "ab" * 32, "size": 10}]
    source, site = tmp_path / "base-source", tmp_path / "base-site"
    return Base(source, site, build_base(builder, source, site))


def cargo_downstream(tmp_path: Path, base: Base, url: str, requires: object) -> Path:
    builder = cargo_builder()
    builder.registry["upstream"] = [pin_base(url + "/", base.root, ["tinyjson"])]
    builder.packages["delta"]["release"][0]["requires"] = requires
    return write_downstream(builder, tmp_path / "source", base.root)


def test_the_cargo_index_names_the_upstreams_own_index_for_a_dependency_on_it(
    tmp_path: Path,
) -> None:
    base = semver_base(tmp_path, cargo=True)
    with revalidating_server(base.site) as served:
        requires = {"tinyjson": {"version": "^0.4", "upstream": "base"}, "gamma": "1.0"}
        source = cargo_downstream(tmp_path, base, served.url, requires)
        output = build_files(BuildOptions(source=source, output=tmp_path / "out"))
    (line,) = [json.loads(text) for text in output["cargo/de/lt/delta"].decode().splitlines()]
    registries = {dep["name"]: (dep["req"], dep["registry"]) for dep in line["deps"]}
    assert registries == {
        "gamma": ("^1.0", None),
        "tinyjson": ("^0.4", f"sparse+{served.url}/cargo/"),
    }
    delta = json.loads(output["api/v1/packages/delta.json"])
    assert {"name": "tinyjson", "specifier": "^0.4", "upstream": "base"} in (
        delta["releases"][0]["requires"]
    )


def test_an_upstream_without_a_cargo_index_is_refused_by_a_registry_that_publishes_one(
    tmp_path: Path,
) -> None:
    base = semver_base(tmp_path, cargo=False)
    with revalidating_server(base.site) as served:
        requires = {"tinyjson": {"version": "^0.4", "upstream": "base"}}
        source = cargo_downstream(tmp_path, base, served.url, requires)
        assert build_problems(source) == [
            "registry.toml: upstream[name=base]: upstream 'base' publishes no cargo index"
            " ([flavours] cargo), and this registry's does: cargo could not fetch the crates"
            " taken from it"
        ]


def test_a_dependency_is_never_both_cargos_other_registry_and_an_upstreams(
    tmp_path: Path, base: Base
) -> None:
    other = "https://github.com/rust-lang/crates.io-index"
    requires = {"tinyjson": {"version": "^0.4", "upstream": "base", "registry": other}}
    source = cargo_downstream(tmp_path, base, "http://127.0.0.1:9", requires)
    problems = build_problems(source, upstreams=UpstreamOptions(mirrors={"base": base.site}))
    assert (
        "packages/delta/package.toml: release[0].requires.tinyjson.upstream: a"
        " dependency comes from one registry: registry or upstream"
    ) in problems
