from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from builder import SourceBuilder

REPO = Path(__file__).resolve().parents[1]
EXAMPLE_SITE = REPO / "example-site"


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
