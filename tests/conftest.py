from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from builder import SourceBuilder
from regsite.build import BuildOptions, build
from regsite.commands.serve import make_server
from regsite.keys import load_private_key

# tests/browser.py: the served build, chromium, axe-core and screenshots, for every module.
pytest_plugins = ["browser"]

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SITE = REPO / "example-site"
DEMO_ONLINE_KEY = load_private_key(str(EXAMPLE_SITE / "demo-keys" / "online.key"))


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


@pytest.fixture
def builder() -> SourceBuilder:
    return SourceBuilder()


@pytest.fixture
def source(builder: SourceBuilder, tmp_path: Path) -> Path:
    """A valid, signed source directory."""
    return builder.write(tmp_path / "source")


@pytest.fixture(scope="session")
def example_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """example-site built once per session; tests only read it."""
    out = tmp_path_factory.mktemp("example") / "site"
    build(BuildOptions(source=EXAMPLE_SITE, output=out, online_key=DEMO_ONLINE_KEY))
    return out


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """``regsite serve``'s server for a built site on a free loopback port; yields its base URL."""
    server = make_server(site, port=0)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def update_golden() -> bool:
    return os.environ.get("REGSITE_UPDATE_GOLDEN") == "1"


def require_tool(name: str, path: str | None = None) -> str:
    """An external program's path; the test is skipped without it, unless CI says it must run.

    ``.ci/run`` installs node's and Debian's chromium and sets ``REGSITE_REQUIRE_TOOLS=1``, so
    there a missing tool fails the run instead of silently skipping the browser tests.
    """
    found = path if path is not None and os.access(path, os.X_OK) else shutil.which(name)
    if found is None:
        message = f"{path or name} is not installed"
        if os.environ.get("REGSITE_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{message}, and REGSITE_REQUIRE_TOOLS=1 says this test must run")
        pytest.skip(message)
    return found
