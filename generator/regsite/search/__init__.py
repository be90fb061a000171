"""Search: the tokenizer, the Whoosh adapter, the sharded export format and the ranking."""

from __future__ import annotations

__all__: list[str] = []
