"""The signed change feed: numbered events in immutable pages, and Atom feeds for people
(docs/feed.md)."""

from __future__ import annotations

__all__: list[str] = []
