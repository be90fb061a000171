"""Canonical JSON as TUF uses it (the OLPC form): the bytes every metadata signature covers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["canonical_json"]


def canonical_json(value: object) -> bytes:
    """Sorted keys, no whitespace, only ``"`` and ``\\`` escaped in strings, integers only."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts).encode("utf-8")


def _encode(value: object, parts: list[str]) -> None:
    if value is None or isinstance(value, bool):
        parts.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, int):
        parts.append(str(value))
    elif isinstance(value, str) and type(value) is str:
        parts.append(_string(value))
    elif isinstance(value, Mapping):
        _encode_object(value, parts)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray):
        parts.append("[")
        for index, item in enumerate(value):
            parts.append("," if index else "")
            _encode(item, parts)
        parts.append("]")
    else:
        raise TypeError(f"canonical JSON has no form for {type(value).__name__}")


def _encode_object(value: Mapping[object, object], parts: list[str]) -> None:
    if not all(isinstance(key, str) for key in value):
        raise TypeError("canonical JSON object keys must be strings")
    parts.append("{")
    for index, key in enumerate(sorted(value, key=str)):
        parts.append(("," if index else "") + _string(str(key)) + ":")
        _encode(value[key], parts)
    parts.append("}")


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
