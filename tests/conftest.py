from __future__ import annotations

import os
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
