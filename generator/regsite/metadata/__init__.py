"""Registry metadata compatible with TUF 1.0: roles, canonical JSON, signing and verification."""

from __future__ import annotations

__all__: list[str] = []
