"""Deployment files stay in step with the code: netlify.toml headers and the Pages workflow."""

from __future__ import annotations

import tomllib

from conftest import REPO
from regsite.headers import CONTENT_SECURITY_POLICY, CONTENT_TYPES, SECURITY_HEADERS


def netlify_headers() -> dict[str, dict[str, str]]:
    config = tomllib.loads((REPO / "netlify.toml").read_text())
    return {rule["for"]: rule["values"] for rule in config["headers"]}


def test_netlify_sends_the_security_headers_on_every_path() -> None:
    assert netlify_headers()["/*"] == SECURITY_HEADERS
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


def test_netlify_content_types_match_the_published_layout() -> None:
    headers = netlify_headers()
    for path in (
        "/api/v1/registry.json",
        "/api/v1/names.json",
        "/api/v1/packages/*",
        "/api/v1/schemas/*",
    ):
        assert headers[path]["Content-Type"] == CONTENT_TYPES[".json"]
    assert headers["/api/v1/sources/*"]["Content-Type"] == CONTENT_TYPES[".toml"]
    assert headers["/api/*"]["Access-Control-Allow-Origin"] == "*"
    assert headers["/search/*"]["Access-Control-Allow-Origin"] == "*"
    assert headers["/metadata/*"]["Access-Control-Allow-Origin"] == "*"
    assert headers["/metadata/*"]["Content-Type"] == CONTENT_TYPES[".json"]
    assert "max-age=60" in headers["/metadata/timestamp.json"]["Cache-Control"]
    assert "immutable" in headers["/static/*"]["Cache-Control"]


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
