"""Model stage for a release's dependencies (``requires``) and its Python fields.

A dependency is written ``name = "specifier"``, or as a table that can say more under the
``pep440`` scheme, ``name = { version = ">=1", marker = "python_version < '3.12'", extras =
["socks"] }``, or as an array of such tables when one name needs several entries (different
versions under different markers, as Requires-Dist can say).  ``requires-python`` and
``provides-extras`` describe the release itself; both are ``pep440`` only (docs/format.md).
Under ``semver``, a table or an array of tables is cargo's (:mod:`regsite.cargo_fields`).
"""

from __future__ import annotations

import re
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from regsite.cargo_fields import CARGO_DEPENDENCY_KEYS, cargo_dependencies
from regsite.fields import Fields
from regsite.model import Dependency
from regsite.names import name_problem
from regsite.upstream_file import read_dependency_upstream
from regsite.versions import PEP440, SEMVER, VersionScheme, VersionSyntaxError

__all__ = [
    "MAX_EXTRAS",
    "MAX_MARKER_LENGTH",
    "MAX_REQUIRES",
    "extra_problem",
    "read_provides_extras",
    "read_requires",
    "read_requires_python",
]

MAX_REQUIRES = 512  # entries in one release's requires table
MAX_EXTRAS = 64  # extras a release provides, or a dependency asks for
MAX_MARKER_LENGTH = 1000
_EXTRA = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_TABLE_KEYS = ("version", "marker", "extras", "upstream")


def extra_problem(extra: str) -> str | None:
    """Extras are written normalised, as PEP 685 compares them: ``socks``, ``dev-tools``."""
    if len(extra) > 64 or _EXTRA.fullmatch(extra) is None:
        return (
            f"expected an extra's normalised name (lower-case letters and digits, single '-'"
            f" between them, at most 64 characters), found {extra!r:.80}"
        )
    return None


def read_requires(
    fields: Fields, package: str, scheme: VersionScheme
) -> tuple[Dependency, ...] | None:
    """The release's dependencies sorted by name, or ``None`` after recording a problem."""
    table = fields.table_of("requires")
    if table is None:
        return ()
    entries = [(name, value) for name, value in sorted(table.table.items())]
    count = sum(len(value) if isinstance(value, list) else 1 for _, value in entries)
    if count > MAX_REQUIRES:
        table.problem("", f"{count} dependencies; at most {MAX_REQUIRES}")
        return None
    dependencies: list[Dependency] = []
    ok = True
    for name, value in entries:
        if scheme is SEMVER and not isinstance(value, str):
            # cargo's tables: the key may be a rename, or a crate of another registry
            found = cargo_dependencies(table, name, value, package, scheme)
        elif (problem := _name_problem(name, package)) is not None:
            table.problem(name, problem)
            found = None
        else:
            found = _entries(table, name, value, scheme)
        ok = ok and found is not None
        dependencies.extend(found or ())
    return tuple(dependencies) if ok else None


def _name_problem(name: str, package: str) -> str | None:
    if (problem := name_problem(name)) is not None:
        return f"dependency {problem}"
    if name == package:
        return "a package may not depend on itself"
    return None


def _entries(
    table: Fields, name: str, value: Any, scheme: VersionScheme
) -> list[Dependency] | None:
    """``"spec"``, ``{ version, marker, extras }`` or an array of such tables."""
    if isinstance(value, str):
        return _one(table, name, name, value, scheme)
    if isinstance(value, dict):
        entry = Fields(value, table.file, table.where(name), table.report)
        return _table(entry, name, scheme)
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        found: list[Dependency] = []
        ok = True
        for index, item in enumerate(value):
            entry = Fields(item, table.file, f"{table.where(name)}[{index}]", table.report)
            dependency = _table(entry, name, scheme)
            ok = ok and dependency is not None
            found.extend(dependency or ())
        return found if ok else None
    table.problem(
        name,
        f"expected a version specifier string such as {scheme.specifier_examples}, a table"
        " { version = …, marker = …, extras = […] } or an array of such tables",
    )
    return None


def _one(
    fields: Fields, key: str, name: str, text: str, scheme: VersionScheme
) -> list[Dependency] | None:
    try:
        return [Dependency(name=name, specifier=scheme.parse_specifier(text))]
    except VersionSyntaxError as error:
        fields.problem(key, str(error))
        return None


def _table(entry: Fields, name: str, scheme: VersionScheme) -> list[Dependency] | None:
    before = len(entry.report)
    entry.only([*_TABLE_KEYS, *CARGO_DEPENDENCY_KEYS])
    for key in sorted(CARGO_DEPENDENCY_KEYS & entry.table.keys()):
        entry.problem(key, 'cargo\'s field: only under version-scheme = "semver"')
    version = entry.text("version", required=False, max_length=300)
    found = _one(entry, "version", name, version or "*", scheme)
    marker = _marker(entry, scheme)
    extras = _extras(entry, "extras", scheme)
    _, upstream = read_dependency_upstream(entry)
    if found is None or len(entry.report) > before:
        return None
    specifier = found[0].specifier
    return [
        Dependency(name=name, specifier=specifier, marker=marker, extras=extras, upstream=upstream)
    ]


def _pep440_only(fields: Fields, key: str, scheme: VersionScheme) -> bool:
    if key in fields.table and scheme is not PEP440:
        fields.problem(key, f"needs version-scheme 'pep440'; this registry's is {scheme.name!r}")
        return False
    return True


def _marker(entry: Fields, scheme: VersionScheme) -> Marker | None:
    if not _pep440_only(entry, "marker", scheme):
        return None
    text = entry.text("marker", required=False, max_length=MAX_MARKER_LENGTH, one_line=True)
    if text is None:
        return None
    try:
        return Marker(text)
    except InvalidMarker as error:
        entry.problem("marker", f"not a valid PEP 508 environment marker: {error}")
        return None


def _extras(fields: Fields, key: str, scheme: VersionScheme) -> tuple[str, ...]:
    """Normalised extra names, sorted; a problem is recorded for each one that is not."""
    if not _pep440_only(fields, key, scheme):
        return ()
    extras = fields.strings(key)
    if len(extras) > MAX_EXTRAS:
        fields.problem(key, f"{len(extras)} extras; at most {MAX_EXTRAS}")
        return ()
    for index, extra in enumerate(extras):
        if (problem := extra_problem(extra)) is not None:
            fields.problem(f"{key}[{index}]", problem)
    return tuple(sorted(set(extras)))


def read_provides_extras(fields: Fields, scheme: VersionScheme) -> tuple[str, ...]:
    """``provides-extras``: the release's optional features, by their normalised names."""
    return _extras(fields, "provides-extras", scheme)


def read_requires_python(fields: Fields, scheme: VersionScheme) -> SpecifierSet | None:
    """``requires-python``: the Pythons the release supports (a problem is recorded if wrong)."""
    if not _pep440_only(fields, "requires-python", scheme):
        return None
    text = fields.text("requires-python", required=False, max_length=300, one_line=True)
    if text is None:
        return None
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        fields.problem("requires-python", f"{text!r:.80} is not a valid PEP 440 specifier")
        return None
