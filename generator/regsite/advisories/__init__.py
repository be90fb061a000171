"""Security advisories in the OSV format: read from ``advisories/``, checked against the OSV
schema and the registry, signed by the root keys or the owners of the packages they name, and
published for OSV tooling (docs/advisories.md)."""

from __future__ import annotations

__all__: list[str] = []
