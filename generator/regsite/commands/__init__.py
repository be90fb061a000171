"""Library functions behind each CLI command; ``regsite.cli`` only parses and prints."""

from __future__ import annotations

__all__: list[str] = []
