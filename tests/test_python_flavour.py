"""The Python flavour: [flavours] in registry.toml, the simple API pages, registry.json's entry
points, the install lines, and the dependency fields (markers, extras, requires-python)."""

from __future__ import annotations

import html.parser
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from packaging.markers import Marker

from builder import SourceBuilder, modelled_packages, release, semver_builder
from regsite.build import BuildOptions, build_files
from regsite.errors import BuildError
from regsite.registry_file import FLAVOURS as KNOWN_FLAVOURS
from regsite.render import Output
from regsite.render.flavours import FLAVOURS


def python_builder() -> SourceBuilder:
    """SourceBuilder's registry with the Python flavour, plus gamma: markers, an extra,
    requires-python, a yanked release with a reason that needs escaping, and a deprecated
    status."""
    builder = SourceBuilder()
    builder.registry["flavours"] = {"python": True}
    requires = {
        "alpha": {"version": ">=1.0", "marker": "python_version >= '3.8'"},
        "beta": [{"version": ">=0.9", "extras": ["fast"], "marker": 'extra == "speed"'}],
    }
    new = release("gamma", "2.0", 9, requires=requires, **{"requires-python": ">=3.8"})
    new["provides-extras"] = ["speed"]
    old = release("gamma", "1.0", 8, status="yanked")
    old["status-reason"] = 'Broke <b>"everything"</b> & more'
    builder.add_package(
        "gamma", ["alice"], [old, new], status="deprecated", **{"status-reason": "Use <alpha>."}
    )
    return builder


def render(builder: SourceBuilder, tmp_path: Path, base_url: str | None = None) -> Output:
    source = builder.write(tmp_path / "source")
    options = BuildOptions(source=source, output=tmp_path / "out", base_url=base_url)
    return build_files(options)


class Links(html.parser.HTMLParser):
    """Every <a> and <meta> of a page, with its attributes as a browser decodes them."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict[str, str | None]] = []
        self.meta: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs))
        if tag == "meta" and (found := dict(attrs)).get("name"):
            self.meta[str(found["name"])] = found.get("content")


def parse(page: bytes) -> Links:
    parser = Links()
    parser.feed(page.decode())
    return parser


def test_every_flavour_registry_toml_accepts_has_a_renderer() -> None:
    assert set(FLAVOURS) == set(KNOWN_FLAVOURS)


def test_without_flavours_nothing_under_simple_and_no_flavours_in_registry_json(
    tmp_path: Path,
) -> None:
    output = render(SourceBuilder(), tmp_path)
    assert not [path for path in output if path.startswith("simple/")]
    assert "flavours" not in json.loads(output["api/v1/registry.json"])


def test_project_page_links_every_file_with_its_hash_and_python_fields(tmp_path: Path) -> None:
    page = parse(render(python_builder(), tmp_path)["simple/gamma/index.html"])
    assert page.meta["pypi:repository-version"] == "1.4"
    by_name = {str(link["href"]).rsplit("/", 1)[1].split("#")[0]: link for link in page.links}
    new, old = by_name["gamma-2.0.tar.gz"], by_name["gamma-1.0.tar.gz"]
    assert new["href"] == "https://files.example.org/gamma/gamma-2.0.tar.gz#sha256=" + str(
        release("gamma", "2.0")["artifact"][0]["sha256"]
    )
    assert new["data-requires-python"] == ">=3.8"
    assert "data-yanked" not in new
    assert old["data-yanked"] == 'Broke <b>"everything"</b> & more'  # escaped, and decoded back


def test_project_page_escapes_what_the_source_says(tmp_path: Path) -> None:
    raw = render(python_builder(), tmp_path)["simple/gamma/index.html"].decode()
    assert "<b>" not in raw and "&lt;b&gt;" in raw and "&gt;=3.8" in raw


def test_deprecated_package_carries_pep_792_status_in_html_and_json(tmp_path: Path) -> None:
    output = render(python_builder(), tmp_path)
    page = parse(output["simple/gamma/index.html"])
    assert page.meta["pypi:project-status"] == "deprecated"
    assert page.meta["pypi:project-status-reason"] == "Use <alpha>."
    document = json.loads(output["simple/gamma/index.json"])
    assert document["project-status"] == {"status": "deprecated", "reason": "Use <alpha>."}
    assert "project-status" not in json.loads(output["simple/alpha/index.json"])


def test_json_form_has_pep_700_fields_and_pep_592_yanks(tmp_path: Path) -> None:
    document = json.loads(render(python_builder(), tmp_path)["simple/gamma/index.json"])
    assert document["meta"] == {"api-version": "1.4"}
    assert document["versions"] == ["1.0", "2.0"]
    files = {entry["filename"]: entry for entry in document["files"]}
    old, new = files["gamma-1.0.tar.gz"], files["gamma-2.0.tar.gz"]
    assert old["yanked"] == 'Broke <b>"everything"</b> & more'
    assert new["yanked"] is False and new["requires-python"] == ">=3.8"
    assert new["upload-time"] == "2026-01-09T12:00:00.000000Z"
    assert new["size"] == release("gamma", "2.0")["artifact"][0]["size"]
    assert new["core-metadata"] is False  # an external file has none published beside it


def test_root_index_lists_every_project_relatively(tmp_path: Path) -> None:
    output = render(python_builder(), tmp_path)
    assert [link["href"] for link in parse(output["simple/index.html"]).links] == [
        "alpha/", "beta/", "gamma/",
    ]  # fmt: skip
    projects = json.loads(output["simple/index.json"])["projects"]
    assert projects == [{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}]


def test_registry_json_lists_the_flavours_entry_points(tmp_path: Path) -> None:
    output = render(python_builder(), tmp_path, base_url="https://pkgs.example.org/py/")
    python = json.loads(output["api/v1/registry.json"])["flavours"]["python"]
    assert python["index"] == "../../simple/"
    assert python["project_json"] == "../../simple/{name}/index.json"
    assert python["index_url"] == "https://pkgs.example.org/py/simple/"


def test_package_page_shows_pip_and_uv_lines_with_the_real_index_url(tmp_path: Path) -> None:
    output = render(python_builder(), tmp_path, base_url="https://pkgs.example.org/py")
    page = output["packages/alpha/index.html"].decode()
    assert "pip install --index-url https://pkgs.example.org/py/simple/ alpha" in page
    assert "uv pip install --index-url https://pkgs.example.org/py/simple/ alpha" in page
    assert "Replace BASE_URL" not in page


def test_package_page_without_a_base_url_says_how_to_fill_it_in(tmp_path: Path) -> None:
    builder = python_builder()
    del builder.registry["registry"]["base-url"]
    page = render(builder, tmp_path)["packages/alpha/index.html"].decode()
    assert "pip install --index-url BASE_URL/simple/ alpha" in page
    assert "<code>regsite build --base-url</code> fills it in" in page


def test_python_flavour_on_a_semver_registry_is_refused(tmp_path: Path) -> None:
    builder = semver_builder()
    builder.registry["flavours"] = {"python": True}
    with pytest.raises(BuildError, match=r"flavours\.python: the python flavour needs"):
        render(builder, tmp_path)


@pytest.mark.parametrize(
    ("flavours", "message"),
    [({"python": "yes"}, "expected true or false"), ({"ruby": True}, "unknown key")],
)
def test_malformed_flavours_table_is_refused(
    tmp_path: Path, flavours: dict[str, Any], message: str
) -> None:
    builder = SourceBuilder()
    builder.registry["flavours"] = flavours
    with pytest.raises(BuildError, match=message):
        render(builder, tmp_path)


# The dependency fields --------------------------------------------------------------------------


def test_dependency_markers_and_extras_are_modelled_and_published(tmp_path: Path) -> None:
    source = python_builder().write(tmp_path / "source")
    packages = modelled_packages(source)
    new = packages["gamma"].releases[0]
    alpha, beta = new.requires
    assert alpha.marker == Marker("python_version >= '3.8'") and alpha.extras == ()
    assert beta.extras == ("fast",) and str(beta.marker) == 'extra == "speed"'
    assert new.provides_extras == ("speed",)
    output = build_files(BuildOptions(source=source, output=tmp_path / "out"))
    document = json.loads(output["api/v1/packages/gamma.json"])
    entry = document["releases"][0]
    assert entry["requires_python"] == ">=3.8" and entry["provides_extras"] == ["speed"]
    assert entry["requires"][1] == {
        "name": "beta", "specifier": ">=0.9", "marker": 'extra == "speed"', "extras": ["fast"],
    }  # fmt: skip


def test_marker_restricted_dependency_must_still_be_a_package_here(tmp_path: Path) -> None:
    builder = SourceBuilder()
    requires = {"missing": {"version": ">=1", "marker": "sys_platform == 'win32'"}}
    builder.add_package("gamma", ["alice"], [release("gamma", "1.0", requires=requires)])
    with pytest.raises(BuildError, match="depends on 'missing', which is not a package"):
        render(builder, tmp_path)


@pytest.mark.parametrize(
    ("requires", "extra", "message"),
    [
        ({"alpha": {"marker": "python_version >>> '3'"}}, {}, "requires.alpha.marker: not a valid"),
        ({"alpha": {"extras": ["Fast"]}}, {}, r"requires.alpha.extras\[0\]: expected an extra"),
        ({"alpha": {"version": ">=1", "colour": "red"}}, {}, "requires.alpha.colour: unknown key"),
        ({"alpha": [{"version": ">=9"}]}, {}, "no release of 'alpha' satisfies >=9"),
        ({"alpha": 3}, {}, "expected a version specifier string"),
        ({}, {"requires-python": "three"}, "requires-python: 'three' is not a valid"),
        ({}, {"provides-extras": ["a b"]}, r"provides-extras\[0\]: expected an extra"),
    ],
    ids=["marker", "extra-name", "unknown-key", "array", "type", "requires-python", "provides"],
)
def test_malformed_dependency_fields_name_the_key(
    tmp_path: Path, requires: dict[str, Any], extra: dict[str, Any], message: str
) -> None:
    builder = SourceBuilder()
    entry = release("gamma", "1.0", requires=requires) | extra
    builder.add_package("gamma", ["alice"], [entry])
    with pytest.raises(BuildError, match=message):
        render(builder, tmp_path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requires", {"alpha": {"version": "^1.0", "marker": "os_name == 'nt'"}}),
        ("requires-python", ">=3.8"),
        ("provides-extras", ["speed"]),
    ],
)
def test_python_fields_under_semver_are_refused(tmp_path: Path, field: str, value: Any) -> None:
    builder = semver_builder()
    entry = {"version": "3.0.0", "published": datetime(2026, 2, 1, tzinfo=UTC), field: value}
    builder.add_package("epsilon", ["alice"], [entry | {"artifact": release("e", "3")["artifact"]}])
    with pytest.raises(BuildError, match="needs version-scheme 'pep440'"):
        render(builder, tmp_path)
