"""The preview server serves a built site with production headers, on loopback only."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from conftest import serving
from regsite.build import BuildOptions, build
from regsite.commands.serve import make_server
from regsite.errors import RegistryError
from regsite.headers import CONTENT_SECURITY_POLICY


@pytest.fixture
def base_url(source: Path, tmp_path: Path) -> Iterator[str]:
    build(BuildOptions(source=source, output=tmp_path / "site"))
    with serving(tmp_path / "site") as url:
        yield url


def fetch(url: str) -> tuple[int, Message, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_serves_pages_and_json_with_production_headers(base_url: str) -> None:
    status, headers, body = fetch(f"{base_url}/packages/beta/index.html")
    assert status == 200 and b"<h1>beta" in body
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, _ = fetch(f"{base_url}/api/v1/packages/beta.json")
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["Access-Control-Allow-Origin"] == "*"


def test_missing_paths_get_the_404_page(base_url: str) -> None:
    status, _, body = fetch(f"{base_url}/packages/nope/")
    assert status == 404 and b"Page not found" in body


def test_refuses_a_directory_that_is_not_a_site(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="not a built site"):
        make_server(tmp_path)
