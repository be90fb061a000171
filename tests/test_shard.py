"""Version-index shards (render/shard.py) and the client's strict reading of them
(client/portable.py): an offline resolution from a registry's shards chooses what a resolution
from its owner-signed package.toml files chooses, for every package of the example registries
and of a registry of markers, extras, same-name dependencies and requires-python."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from builder import SourceBuilder, modelled_packages, release
from cargosite import make_demo_source
from conftest import EXAMPLE_SITE
from regsite.build import BuildOptions, build_files
from regsite.client.offline import resolve_from_shards
from regsite.client.portable import PortableError, PortableStore, closure_graph
from regsite.client.resolve import Candidates, Requirement, ResolutionError, Resolvable, resolve
from regsite.render.shard import SHARD_API_VERSION, shard_document
from regsite.versions import PEP440, SEMVER, VersionScheme
from test_python_clients import EXAMPLE as PYTHON_EXAMPLE

MARKED_APP = {"app": "1.0.0", "clicker": "1.0.0", "gadget": "2.0.0", "widget": "1.0.0"}
NEVER = 'python_version < "3"'  # false for every Python that runs these tests
ALWAYS = 'python_version >= "3"'
ANY = {"pep440": "", "semver": "*"}  # a specifier that admits every version


def marked_builder() -> SourceBuilder:
    """app 1.0.0 requires widget[cli], gadget>=2 (and gadget<2 on Python 2), and relic only on
    Python 2; app 2.0.0 requires Python 2. widget's extras require clicker (cli) and hose
    (garden). Here: app 1.0.0, widget 1.0.0, clicker, gadget 2.0.0; no relic, no hose."""
    builder = SourceBuilder()
    for name, versions in (("gadget", ["1.0.0", "2.0.0"]), ("clicker", ["1.0.0"])):
        releases = [release(name, version, day) for day, version in enumerate(versions, 1)]
        builder.add_package(name, ["alice"], releases)
    for name in ("hose", "relic"):
        builder.add_package(name, ["alice"], [release(name, "1.0.0")])
    widget = {
        "clicker": {"version": ">=1", "marker": 'extra == "cli"'},
        "hose": {"version": ">=1", "marker": 'extra == "garden"'},
    }
    extras = {"provides-extras": ["cli", "garden"]}
    builder.add_package("widget", ["bob"], [release("widget", "1.0.0", requires=widget, **extras)])
    apps = [app_release(release, "1.0.0", 3), app_release(release, "2.0.0", 4)]
    builder.add_package("app", ["bob"], apps)
    # Each on its own too: two entries for one name; a marker that does not hold here.
    twin = {"gadget": app_release(release, "1.0.0", 3)["requires"]["gadget"]}
    builder.add_package("twin", ["bob"], [release("twin", "1.0.0", requires=twin)])
    elder = {"relic": {"version": ">=1", "marker": NEVER}}
    builder.add_package("elder", ["bob"], [release("elder", "1.0.0", requires=elder)])
    return builder


def app_release(make: Callable[..., dict[str, Any]], version: str, day: int) -> dict[str, Any]:
    """One of app's releases, made by ``make(name, version, day, **fields)``."""
    if version == "2.0.0":
        return make("app", version, day, **{"requires-python": "<3"})
    requires = {
        "gadget": [{"version": ">=2", "marker": ALWAYS}, {"version": "<2", "marker": NEVER}],
        "relic": {"version": ">=1", "marker": NEVER},
        "widget": {"version": ">=1", "extras": ["cli"]},
    }
    return make("app", version, day, requires=requires)


def vendor_directory(output: Mapping[str, bytes], directory: Path) -> Path:
    """The build's shards and closure manifests, laid out as ``client vendor`` lays them out."""
    for path, content in output.items():
        if path.startswith(("api/v1/shards/", "api/v1/closures/")):
            target = directory / path.removeprefix("api/v1/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    return directory


def chosen(
    name: str, package: Callable[[str], Candidates[Any]], scheme: VersionScheme
) -> dict[str, str] | str:
    """What resolving ``name`` alone chooses, or the kind of error it ends in."""
    wanted = [Requirement(name=name, specifier=scheme.parse_specifier(ANY[scheme.name]))]
    try:
        resolved: Mapping[str, Resolvable] = resolve(wanted, package, scheme)
    except ResolutionError as error:
        return type(error).__name__
    return {other: str(release.version) for other, release in resolved.items()}


def cargo_source(tmp_path: Path) -> Path:
    return make_demo_source(tmp_path / "cargo")


def marked_source(tmp_path: Path) -> Path:
    return marked_builder().write(tmp_path / "marked")


# name -> (the source, made in a directory; its version scheme)
SOURCES: dict[str, tuple[Callable[[Path], Path], VersionScheme]] = {
    "example-site": (lambda _: EXAMPLE_SITE, PEP440),
    "python-registry": (lambda _: PYTHON_EXAMPLE, PEP440),
    "cargo-registry": (cargo_source, SEMVER),
    "markers": (marked_source, PEP440),
}


@pytest.mark.parametrize("which", sorted(SOURCES))
def test_every_package_resolves_from_its_shards_as_from_its_package_toml(
    which: str, tmp_path: Path
) -> None:
    make, scheme = SOURCES[which]
    source = make(tmp_path)
    output = build_files(BuildOptions(source=source, output=tmp_path / "out"))
    packages = modelled_packages(source)
    store = PortableStore(vendor_directory(output, tmp_path / "vendor"), "https://unused.example/")
    for name in sorted(packages):
        closure = json.loads(output[f"api/v1/packages/{name}.json"])["closure"]
        graph = closure_graph(store, scheme, {name: closure})
        from_model = chosen(name, packages.__getitem__, scheme)
        assert chosen(name, graph.package, scheme) == from_model, name
    if which == "markers":
        assert chosen("app", packages.__getitem__, scheme) == MARKED_APP
        assert chosen("twin", packages.__getitem__, scheme) == {"gadget": "2.0.0", "twin": "1.0.0"}
        assert chosen("elder", packages.__getitem__, scheme) == {"elder": "1.0.0"}


def shard_file(directory: Path, name: str, document: object) -> str:
    """A shard of ``name`` in a vendor directory, named by its sha256 as the build names one."""
    content = json.dumps(document, separators=(",", ":")).encode() + b"\n"
    sha256 = hashlib.sha256(content).hexdigest()
    (directory / "shards" / name).mkdir(parents=True, exist_ok=True)
    (directory / "shards" / name / f"{sha256}.json").write_bytes(content)
    return sha256


def alpha_shard(*requires: object, api_version: int = SHARD_API_VERSION) -> dict[str, Any]:
    artifact = ["https://files.example.org/alpha-1.0.0.tar.gz", "ab" * 32, 10]
    releases = [["1.0.0", list(requires), [artifact]]]
    return {"api_version": api_version, "name": "alpha", "releases": releases}


@pytest.mark.parametrize(
    ("api_version", "said"),
    [
        (1, "an older regsite wrote it. Lock again online"),
        (3, "a newer regsite wrote it; upgrade regsite"),
    ],
)
def test_a_shard_of_another_api_version_is_refused_saying_what_to_do(
    tmp_path: Path, api_version: int, said: str
) -> None:
    sha256 = shard_file(tmp_path, "alpha", alpha_shard(api_version=api_version))
    store = PortableStore(tmp_path, "https://registry.example.org/")
    with pytest.raises(PortableError) as raised:
        store.shard("alpha", sha256, PEP440)
    where = tmp_path / "shards" / "alpha" / f"{sha256}.json"
    assert str(raised.value).startswith(f"{where}: api_version {api_version}, but this regsite")
    assert said in str(raised.value)
    if api_version == 1:
        assert "then vendor again ('regsite client vendor LOCKFILE -d DIR')" in str(raised.value)


@pytest.mark.parametrize(
    ("dependency", "said"),
    [
        ({"name": "beta", "specifier": ">=1", "optional": False}, "not as regsite writes it"),
        ({"name": "beta", "specifier": ">=1", "kind": "normal"}, "not as regsite writes it"),
        ({"name": "beta", "specifier": ">=1", "marker": "python_version <"}, "python_version"),
        ({"name": "beta", "specifier": ">=1", "extras": "cli"}, "extras: expected an array"),
        ({"name": "beta", "specifier": ">=1", "colour": "red"}, "expected an object with name"),
        ({"name": "beta", "specifier": "~>1"}, "~>1"),
        ({"name": "beta"}, "not as regsite writes it"),
        (["beta", ">=1"], "expected an object with name"),
    ],
)
def test_a_dependency_not_as_the_build_writes_it_is_refused(
    tmp_path: Path, dependency: object, said: str
) -> None:
    sha256 = shard_file(
        tmp_path, "alpha", alpha_shard({"name": "gamma", "specifier": ""}, dependency)
    )
    store = PortableStore(tmp_path, "https://registry.example.org/")
    with pytest.raises(PortableError) as raised:
        store.shard("alpha", sha256, PEP440)
    where = tmp_path / "shards" / "alpha" / f"{sha256}.json"
    assert str(raised.value).startswith(f"{where}: releases[0]: requires[1]: ")
    assert said in str(raised.value)


def test_a_shard_reads_back_every_field_the_resolver_reads(tmp_path: Path) -> None:
    source = marked_builder().write(tmp_path / "source")
    app = modelled_packages(source)["app"]
    store = PortableStore(tmp_path / "vendor", "https://registry.example.org/")
    read = store.shard(
        "app", shard_file(tmp_path / "vendor", "app", json.loads(shard_document(app))), PEP440
    )
    for ours, theirs in zip(read.releases, app.releases, strict=True):
        assert (ours.version, ours.status, ours.requires) == (
            theirs.version,
            theirs.status,
            theirs.requires,
        )
        assert ours.requires_python == theirs.requires_python
    assert [str(d.marker) for d in read.releases[1].requires if d.name == "gadget"] == [
        'python_version >= "3"', 'python_version < "3"'
    ]  # fmt: skip


def test_the_shard_schema_describes_a_dependency_as_the_package_schema_does() -> None:
    schemas = Path(__file__).parents[1] / "docs" / "schemas"
    package = json.loads((schemas / "package.schema.json").read_text())
    shard = json.loads((schemas / "shard.schema.json").read_text())
    dependency = package["$defs"]["release"]["properties"]["requires"]["items"]
    assert shard["$defs"]["dependency"] == dependency
    assert shard["properties"]["api_version"]["const"] == SHARD_API_VERSION


def test_a_vendored_lock_that_reaches_an_upstreams_package_says_to_lock_without_vendor(
    tmp_path: Path,
) -> None:
    upstream = {"name": "tinyjson", "specifier": ">=1", "upstream": "pypi"}
    shard = shard_file(tmp_path, "alpha", alpha_shard(upstream))
    manifest = json.dumps({"api_version": 1, "packages": {"alpha": shard}, "requires": {}})
    content = manifest.encode()
    sha256 = hashlib.sha256(content).hexdigest()
    (tmp_path / "closures" / "alpha").mkdir(parents=True)
    (tmp_path / "closures" / "alpha" / f"{sha256}.json").write_bytes(content)
    store = PortableStore(tmp_path, "https://registry.example.org/")
    graph = closure_graph(store, PEP440, {"alpha": sha256})
    wanted = [Requirement(name="alpha", specifier=PEP440.parse_specifier(""))]
    with pytest.raises(PortableError) as raised:
        resolve_from_shards(wanted, graph, PEP440, None)
    assert "alpha 1.0.0 requires tinyjson from upstream 'pypi'" in str(raised.value)
    assert str(raised.value).endswith("lock without --vendor")
