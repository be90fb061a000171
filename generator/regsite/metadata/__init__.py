"""The registry's TUF 1.0 metadata, made and signed with python-tuf's ``tuf.api.metadata``:
the root history (root), the sign stage (publish), the previous site it continues (previous)."""

from __future__ import annotations

__all__: list[str] = []
