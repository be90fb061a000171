"""Output renderers: pure functions from the :class:`~regsite.assemble.Site` to {path: bytes}."""

from __future__ import annotations

__all__ = ["Output"]

# Relative output path (with '/' separators) -> file content.
Output = dict[str, bytes]
