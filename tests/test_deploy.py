"""Deployment files stay in step with the code: netlify.toml is the header table, rule for rule."""

from __future__ import annotations

import http.client
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from conftest import REPO, serving
from regsite.headers import (
    CONTENT_SECURITY_POLICY,
    CONTENT_TYPES,
    DEFAULT_CACHE_CONTROL,
    HEADER_RULES,
    SECURITY_HEADERS,
    HeaderRule,
    rule_headers,
)

# The headers the rules decide; the rest (Date, ETag, Content-Length…) are the server's own.
DECIDED = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Access-Control-Allow-Origin",
    "Content-Type",
    "Cache-Control",
)


def netlify_rules() -> list[tuple[str, dict[str, str]]]:
    config = tomllib.loads((REPO / "netlify.toml").read_text())
    return [(rule["for"], rule["values"]) for rule in config["headers"]]


def netlify_pattern(pattern: str) -> re.Pattern[str]:
    """Netlify's own reading of a ``for`` path (@netlify/headers-parser's getForRegExp):
    case-insensitive, an optional trailing slash, a ``*`` segment that may also be empty."""
    parts = [part for part in pattern.split("/") if part]
    body = "/".join("?(.*)" if part == "*" else re.escape(part) for part in parts)
    return re.compile(f"^/{body}/?$", re.IGNORECASE)


def netlify_headers(path: str) -> dict[str, str]:
    """What Netlify sends at ``path`` under netlify.toml, before its own defaults."""
    headers: dict[str, str] = {}
    for pattern, values in netlify_rules():
        if netlify_pattern(pattern).match(path):
            headers.update(values)
    return headers


def test_netlify_toml_has_every_header_rule_and_no_other() -> None:
    netlify = netlify_rules()
    patterns = [pattern for pattern, _ in netlify]
    assert len(patterns) == len(set(patterns)), "netlify.toml repeats a path"
    table = {rule.pattern: dict(rule.headers) for rule in HEADER_RULES}
    missing = {pattern: values for pattern, values in table.items() if pattern not in patterns}
    assert not missing, f"in headers.py, not in netlify.toml: {missing}"
    extra = {pattern: values for pattern, values in netlify if pattern not in table}
    assert not extra, f"in netlify.toml, not in headers.py: {extra}"
    differ = {pattern: values for pattern, values in netlify if table[pattern] != values}
    assert not differ, f"netlify.toml differs from headers.py: {differ}"


def test_no_two_rules_set_one_header_on_one_path() -> None:
    # Then no host's way of merging matching rules (override or comma-join) can change a value.
    def sample(rule: HeaderRule) -> str:
        return rule.pattern.removesuffix("*")

    for index, rule in enumerate(HEADER_RULES):
        for other in HEADER_RULES[index + 1 :]:
            shared = {name.lower() for name in rule.headers} & {n.lower() for n in other.headers}
            overlap = rule.matches(sample(other)) or other.matches(sample(rule))
            assert not (shared and overlap), (rule.pattern, other.pattern, shared)


def test_header_rules_match_as_netlify_matches() -> None:
    # One difference is left out on purpose: Netlify reads `/api/*` as `^/api/?(.*)`, which also
    # matches `/apiary`; headers.py matches folders only.  No site publishes such a name, and the
    # test over every file of the example site below would show one.
    paths = [
        "/",
        "/api",
        "/api/",
        "/API/v1/registry.json",
        "/api/v1/registry.json/",
        "/metadata/timestamp.json",
        "/metadata/1.root.json",
        "/static/style.0123456789.css",
        "/search/names/0.json",
        "/packages/beta/",
    ]
    for path in paths:
        assert rule_headers(path) == netlify_headers(path), path


def test_a_rule_other_hosts_would_read_differently_is_refused() -> None:
    for pattern in ("api/*", "/api*", "/*.json", "/api/*/x", "/:name/index.html", "/a//b"):
        with pytest.raises(ValueError, match="header rule"):
            HeaderRule(pattern, {"X": "y"})


def test_netlify_sends_the_security_headers_on_every_path() -> None:
    assert dict(netlify_rules())["/*"] == SECURITY_HEADERS
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


def test_caching_is_immutable_for_hashed_assets_short_for_the_timestamp() -> None:
    assert "immutable" in rule_headers("/static/style.0123456789.css")["Cache-Control"]
    assert "max-age=60" in rule_headers("/metadata/timestamp.json")["Cache-Control"]
    for path in ("/index.html", "/api/v1/packages/beta.json", "/metadata/1.root.json"):
        assert "Cache-Control" not in rule_headers(path), path  # the host's default applies


@pytest.fixture(scope="module")
def example_served(example_build: Path) -> Iterator[str]:
    with serving(example_build) as url:
        yield url


def site_paths(site: Path) -> Iterator[str]:
    """The URL path of every published file, and of every folder with an index.html."""
    for file in sorted(site.rglob("*")):
        if file.is_file():
            path = "/" + file.relative_to(site).as_posix()
            yield path
            if file.name == "index.html":
                yield path.removesuffix("index.html")


def test_regsite_serve_sends_what_netlify_would_for_every_file(
    example_build: Path, example_served: str
) -> None:
    address = urlsplit(example_served)
    checked = 0
    for path in site_paths(example_build):
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
        connection.request("HEAD", quote(path))
        response = connection.getresponse()
        connection.close()
        assert response.status == 200, path
        served = {name: response.getheader(name) for name in DECIDED}
        served = {name: value for name, value in served.items() if value is not None}
        filename = "index.html" if path.endswith("/") else path.rsplit("/", 1)[1]
        suffix = filename[filename.rfind(".") :] if "." in filename else ""
        expected = {
            "Content-Type": CONTENT_TYPES.get(suffix, "application/octet-stream"),
            "Cache-Control": DEFAULT_CACHE_CONTROL,
            **netlify_headers(path),
        }
        assert served == expected, path
        checked += 1
    assert checked > 100


def test_netlify_builds_the_example_site_into_the_published_directory() -> None:
    build = tomllib.loads((REPO / "netlify.toml").read_text())["build"]
    assert "regsite build example-site -o " + build["publish"] in build["command"]


def test_pages_workflow_uses_the_official_actions() -> None:
    workflow = (REPO / ".github/workflows/pages.yml").read_text()
    for action in (
        "actions/configure-pages@",
        "actions/upload-pages-artifact@",
        "actions/deploy-pages@",
    ):
        assert action in workflow
    assert "regsite build example-site -o _site" in workflow
