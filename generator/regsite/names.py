"""Name rules shared by packages, owners and the registry itself (docs/format.md, "Names")."""

from __future__ import annotations

import re

__all__ = ["MAX_NAME_LENGTH", "name_problem", "normalize_name"]

MAX_NAME_LENGTH = 64

_SEPARATORS = re.compile(r"[-_.]+")
_ALLOWED = re.compile(r"[A-Za-z0-9._-]*")
_NORMALISED = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_WINDOWS_DEVICES = frozenset(
    ["con", "prn", "aux", "nul"]
    + [f"com{digit}" for digit in range(1, 10)]
    + [f"lpt{digit}" for digit in range(1, 10)]
)


def normalize_name(name: str) -> str:
    """Lower-case the name and replace each run of ``-``, ``_`` and ``.`` by one ``-``."""
    return _SEPARATORS.sub("-", name).lower()


def name_problem(name: str) -> str | None:
    """Say what is wrong with ``name`` as written in a source file, or ``None`` if it is valid."""
    if not name:
        return "name is empty"
    if not name.isascii() or _ALLOWED.fullmatch(name) is None:
        return (
            f"name {name!r} may only contain ASCII letters, digits, '-', '_' and '.'"
            " (look-alike letters from other scripts are not allowed)"
        )
    if len(name) > MAX_NAME_LENGTH:
        return f"name is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed"
    normalised = normalize_name(name)
    if name != normalised:
        return f"name {name!r} is not normalised: expected {normalised!r}"
    if _NORMALISED.fullmatch(name) is None:
        return f"name {name!r} must start and end with a letter or digit"
    if name in _WINDOWS_DEVICES:
        return f"name {name!r} is a device name reserved by Windows"
    return None
