"""Renderers: golden files for one package's JSON and page, schemas, and hostile input."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from builder import SourceBuilder
from conftest import update_golden
from regsite.advisories.read import osv_schema
from regsite.build import BuildOptions, build_files
from regsite.render.api import API_ROOT, SCHEMA_NAMES
from regsite.render.markdown import render_readme
from sitecheck import is_local, is_safe_link, scan

GOLDEN = Path(__file__).parent / "golden"
CONTENT_ADDRESSED = re.compile(r"[0-9a-f]{64}\..+")


def render(source: Path) -> dict[str, bytes]:
    return build_files(BuildOptions(source=source, output=source.parent / "out"))


def check_golden(name: str, actual: bytes) -> None:
    # Asset names carry a content hash; a stylesheet change should not churn every golden page.
    actual = re.sub(rb"(static/[a-z]+)\.[0-9a-f]{10}\.", rb"\1.HASH.", actual)
    path = GOLDEN / name
    if update_golden():
        path.write_bytes(actual)
    assert path.exists(), f"{path} missing: run with REGSITE_UPDATE_GOLDEN=1"
    assert actual == path.read_bytes(), f"{name} differs from its golden file"


def test_golden_package_json(source: Path) -> None:
    check_golden("beta.json", render(source)[f"{API_ROOT}/packages/beta.json"])


def test_golden_package_page(source: Path) -> None:
    check_golden("beta.html", render(source)["packages/beta/index.html"])


def test_golden_release_page_and_badge(source: Path) -> None:
    output = render(source)
    check_golden("beta-0.9.0.html", output["packages/beta/0.9.0/index.html"])
    check_golden("beta-badge.svg", output["packages/beta/badge.svg"])


def test_golden_registry_json(source: Path) -> None:
    check_golden("registry.json", render(source)[f"{API_ROOT}/registry.json"])


def schema(name: str) -> dict[str, object]:
    return json.loads((Path(__file__).parents[1] / "docs" / "schemas" / name).read_text())


def validate_json_outputs(output: dict[str, bytes]) -> Counter[str]:
    """Validate every JSON file against its schema; return how many each schema checked."""
    validators = {name: jsonschema.Draft202012Validator(schema(name)) for name in SCHEMA_NAMES}
    for validator in validators.values():
        validator.check_schema(validator.schema)
    checked: Counter[str] = Counter()
    for path, content in output.items():
        if not path.endswith(".json") or "/schemas/" in path or path.startswith("metadata/"):
            continue  # TUF metadata is checked by python-tuf in test_publish.py
        if path.startswith(f"{API_ROOT}/sources/upstream/"):
            continue  # an upstream's pinned root: TUF metadata too
        # shards and closure manifests are named by their hash, and have no copy
        portable = path.startswith((f"{API_ROOT}/shards/", f"{API_ROOT}/closures/"))
        if CONTENT_ADDRESSED.fullmatch(path.rsplit("/", 1)[-1]) and not portable:
            continue  # a consistent-snapshot copy of a file checked under its plain name
        if path.startswith("cargo/"):
            continue  # cargo's own format, checked in test_cargo.py
        if path.endswith("/registry.json"):
            name = "registry.schema.json"
        elif path.endswith("/names.json"):
            name = "names.schema.json"
        elif path.endswith("/build-report.json"):
            name = "build-report.schema.json"
        elif path == "search/manifest.json":
            name = "search-manifest.schema.json"
        elif path.startswith("search/records/"):
            name = "search-records.schema.json"
        elif path.startswith("search/terms/"):
            name = "search-terms.schema.json"
        elif path.startswith("search/"):
            name = "search-shard.schema.json"
        elif path.startswith(f"{API_ROOT}/shards/"):
            name = "shard.schema.json"
        elif path.startswith(f"{API_ROOT}/closures/"):
            name = "closure.schema.json"
        elif path == f"{API_ROOT}/changes.json":
            name = "changes.schema.json"
        elif path.startswith(f"{API_ROOT}/changes/"):
            name = "changes-page.schema.json"
        elif path == f"{API_ROOT}/advisories/index.json":
            name = "advisories.schema.json"
        elif path.startswith(f"{API_ROOT}/advisories/"):
            jsonschema.validate(json.loads(content), osv_schema())  # OSV's own schema
            checked["osv"] += 1
            continue
        else:
            assert path.startswith(f"{API_ROOT}/packages/"), path
            name = "package.schema.json"
        validators[name].validate(json.loads(content))
        checked[name.removesuffix(".schema.json")] += 1
    return checked


def test_every_json_file_matches_its_schema(source: Path) -> None:
    checked = validate_json_outputs(render(source))
    assert checked["package"] == 2 and checked["registry"] == checked["names"] == 1
    assert checked["search-manifest"] == 1 and checked["search-records"] == 1
    assert checked["search-shard"] == 2 and checked["search-terms"] == 1
    assert checked["shard"] == checked["closure"] == 2


def test_published_schemas_are_the_documented_ones(source: Path) -> None:
    output = render(source)
    for name in SCHEMA_NAMES:
        assert json.loads(output[f"{API_ROOT}/schemas/{name}"]) == schema(name)


def test_signed_sources_are_republished_byte_for_byte(source: Path) -> None:
    output = render(source)
    for relative, published in [
        ("registry.toml", "sources/registry.toml"),
        ("registry.toml.sig", "sources/registry.toml.sig"),
        ("packages/beta/package.toml", "sources/beta/package.toml"),
        ("packages/beta/package.toml.sig", "sources/beta/package.toml.sig"),
        ("packages/beta/README.md", "sources/beta/README.md"),
    ]:
        assert output[f"{API_ROOT}/{published}"] == (source / relative).read_bytes()


def test_links_and_assets_are_relative(source: Path) -> None:
    for path, content in render(source).items():
        if not path.endswith(".html"):
            continue
        page = scan(content)
        assert page.loads and all(is_local(url) for url in page.loads), (path, page.loads)
        internal = [url for url in page.links if is_local(url) and not url.startswith("#")]
        # 404.html is served at any depth, so its links start from the root (test_serve.py).
        rooted = path == "404.html"
        assert internal and all(url.startswith("/") == rooted for url in internal), path
        assert page.scripts == 0 and page.styles == 0 and not page.event_handlers, path
        # Only the theme's own files run, from static/: on every page with a search box keys.js
        # (the "/" shortcut, nothing needed for reading), on the search page the search too, on
        # the package and release pages copy.js (the install lines' copy buttons); a release
        # page has no search box (docs/pages.md).
        names = [src.rsplit("/", 1)[1].split(".")[0] for src in page.script_sources]
        expected = ["keys", "search-core", "search"] if path == "search/index.html" else ["keys"]
        if path.startswith("packages/"):
            expected = ["keys", "copy"] if path.count("/") == 2 else ["copy"]
        assert names == expected, (path, page.script_sources)
        assert all("static/" in src and is_local(src) for src in page.script_sources), path


HOSTILE = """# Hello <script>alert(1)</script>

<img src=x onerror="alert(1)">
<a href="javascript:alert(1)">raw html link</a>

[js link](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:x)
[file](file:///etc/passwd) [proto-relative](//evil.example/x) ![img](javascript:alert(1))
![tracker](https://evil.example/pixel.png) <https://ok.example/auto>
<svg onload=alert(1)></svg>
"""


def test_hostile_readme_description_and_keywords_are_inert(
    builder: SourceBuilder, tmp_path: Path
) -> None:
    builder.readmes["beta"] = HOSTILE.encode()
    import hashlib

    builder.packages["beta"]["package"]["readme"]["sha256"] = hashlib.sha256(
        HOSTILE.encode()
    ).hexdigest()
    builder.packages["beta"]["package"]["description"] = (
        '"><script>alert(1)</script><b onmouseover=x>'
    )
    builder.packages["beta"]["package"]["license"] = "<style>body{}</style>"
    output = render(builder.write(tmp_path / "source"))
    page = scan(output["packages/beta/index.html"])
    assert page.scripts == 0
    assert page.styles == 0
    assert page.event_handlers == []
    assert all(is_safe_link(url) for url in page.links), page.links
    assert not any(url.startswith("//") for url in page.links + page.loads)
    assert all(is_local(url) for url in page.loads), page.loads
    scripts = [src.rsplit("/", 1)[1].split(".")[0] for src in page.script_sources]
    assert scripts == ["keys", "copy"]
    # the report and the feed too, each package's shard and closure manifest
    assert sum(validate_json_outputs(output).values()) == 17
    # The search page lists the package too, escaped like everywhere else.
    search_page = scan(output["search/index.html"])
    assert search_page.scripts == 0 and search_page.event_handlers == []


@pytest.mark.parametrize("field", ["homepage", "repository", "documentation"])
@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:text/html,x", "//evil.example", "file:///etc/passwd", "https://"],
)
def test_non_http_urls_in_metadata_are_rejected(
    builder: SourceBuilder, tmp_path: Path, field: str, url: str
) -> None:
    from test_validation import problems_of

    builder.packages["beta"]["package"][field] = url
    problems = problems_of(builder.write(tmp_path / "source"))
    expected = f"package.{field}: expected an absolute http(s) URL, found {url!r}"
    assert f"packages/beta/package.toml: {expected}" in problems


def test_readme_renders_tables_code_and_safe_links() -> None:
    html = render_readme(
        "| a |\n|---|\n| 1 |\n\n```sh\nx < y\n```\n\n[ok](https://example.org) [rel](docs/a.md)"
    )
    assert "<table>" in html
    assert '<code class="language-sh">' in html and "&lt;" in html and "x < y" not in html
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">ok</a>' in html
    assert "[rel](docs/a.md)" in html  # relative links have no target on this site: left as text


def test_images_become_links_so_the_page_loads_nothing_external() -> None:
    html = render_readme("![build status](https://example.org/badge.svg)")
    assert "<img" not in html
    assert 'href="https://example.org/badge.svg"' in html and ">build status</a>" in html
