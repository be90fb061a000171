"""Model stage for what cargo's index needs of a release, in a ``version-scheme = "semver"``
registry: dependency details (kind, target, features, optional, renames, other registries) and
the release's ``features``, ``links`` and ``rust-version`` (docs/format.md, "Cargo's fields").

A dependency is written under ``[release.requires]`` in one of three forms::

    widget = "^1.0"                                      # a normal dependency, as before
    serde = { version = "1", optional = true, features = ["derive"] }
    rand = [{ version = "0.8" }, { version = "0.8", kind = "dev", features = ["small_rng"] }]

The key is the name the dependent's code uses, as in Cargo.toml: the package itself, unless
``package`` names the real one (a rename).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from regsite.fields import Fields, url_problem
from regsite.model import Dependency, DependencyKind
from regsite.names import name_problem
from regsite.upstream_file import read_dependency_upstream
from regsite.versions import VersionScheme, VersionSyntaxError

__all__ = [
    "CARGO_DEPENDENCY_KEYS",
    "CARGO_RELEASE_KEYS",
    "CRATES_IO_INDEX",
    "cargo_dependencies",
    "crate_name_problem",
    "features_problems",
    "read_features",
    "registry_problem",
    "rust_version",
]

CARGO_RELEASE_KEYS = ("features", "links", "rust-version")
CRATES_IO_INDEX = "https://github.com/rust-lang/crates.io-index"  # what cargo's index calls it
MAX_ENTRIES = 16  # per dependency name: one per kind and target
MAX_FEATURES = 300  # as crates.io
MAX_FEATURE_VALUES = 300
_ENTRY_KEYS = (
    "version",
    "kind",
    "target",
    "features",
    "optional",
    "default-features",
    "package",
    "registry",
    "upstream",  # an [[upstream]] of registry.toml (docs/upstreams.md): both schemes have it
)
# The keys a PEP 440 registry refuses:
CARGO_DEPENDENCY_KEYS = frozenset(_ENTRY_KEYS) - {"version", "upstream"}
_PEP508_KEYS = frozenset({"marker", "extras"})
_CRATE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
_FEATURE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+.-]{0,99}")
_TARGET = re.compile(r"cfg\([\x20-\x7e]{1,195}\)|[A-Za-z0-9_.-]{1,100}")
_RUST_VERSION = re.compile(r"(?:0|[1-9][0-9]{0,5})(?:\.(?:0|[1-9][0-9]{0,5})){0,2}")


def crate_name_problem(name: str) -> str | None:
    """Cargo's rule for a dependency's name in Cargo.toml, or a crate in another registry."""
    if _CRATE_NAME.fullmatch(name) is None:
        return (
            f"{name!r} is not a crate name: expected an ASCII letter, then letters, digits,"
            " '-' or '_', at most 64 characters"
        )
    return None


def registry_problem(url: str) -> str | None:
    """Another registry's index URL, as cargo writes it: ``[sparse+]http(s)://…``."""
    return url_problem(url.removeprefix("sparse+"))


def cargo_dependencies(
    table: Fields, key: str, value: Any, package: str, scheme: VersionScheme
) -> list[Dependency] | None:
    """The entries of ``key`` under ``[release.requires]``; None (problems recorded) if bad."""
    if isinstance(value, dict):
        values: list[Any] = [value]
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        values = value
    else:
        table.problem(key, _FORMS)
        return None
    if len(values) > MAX_ENTRIES:
        table.problem(key, f"{len(values)} entries; at most {MAX_ENTRIES}")
        return None
    entries = [
        _entry(Fields(item, table.file, _where(table, key, len(values), i), table.report), key)
        for i, item in enumerate(values)
    ]
    found = [entry for entry in entries if entry is not None]
    if len(found) != len(entries) or not _distinct(table, key, found, package):
        return None
    dependencies = [_dependency(entry, key, scheme) for entry in found]
    return [dep for dep in dependencies if dep is not None] or None


_FORMS = (
    "expected a requirement string ('^1.2'), a table ({ version = '^1.2', features = [...] })"
    " or an array of such tables (one per kind or target)"
)


def _where(table: Fields, key: str, count: int, index: int) -> str:
    return table.where(key) if count == 1 and index == 0 else f"{table.where(key)}[{index}]"


@dataclass(frozen=True, slots=True)
class _Entry:
    """One dependency table's values, each checked."""

    fields: Fields
    version: str
    kind: DependencyKind
    target: str | None
    features: tuple[str, ...]
    optional: bool
    default_features: bool
    package: str | None
    registry: str | None
    upstream: str | None


def _entry(fields: Fields, key: str) -> _Entry | None:
    """One table's values, checked one by one; None if any is bad."""
    problems = len(fields.report)
    fields.only([*_ENTRY_KEYS, *_PEP508_KEYS])
    for key in _PEP508_KEYS & fields.table.keys():  # a PEP 440 registry's, not cargo's
        fields.problem(key, "needs version-scheme 'pep440'; this registry's is 'semver'")
    entry = _Entry(
        fields=fields,
        version=fields.text("version", max_length=200) or "",
        kind=_kind(fields),
        target=_target(fields),
        features=_names(fields, "features", _FEATURE_VALUE, "a feature name"),
        optional=_flag(fields, "optional", default=False),
        default_features=_flag(fields, "default-features", default=True),
        package=fields.text("package", required=False, max_length=64),
        registry=fields.text("registry", required=False, max_length=2048),
        upstream=read_dependency_upstream(fields)[1],
    )
    _check_names(fields, key, entry.package, entry.registry)
    if entry.registry is not None and entry.upstream is not None:
        fields.problem("upstream", "a dependency comes from one registry: registry or upstream")
    if entry.optional and entry.kind is DependencyKind.DEV:
        fields.problem("optional", "a dev-dependency cannot be optional (cargo refuses it)")
    return entry if len(fields.report) == problems else None


def _kind(fields: Fields) -> DependencyKind:
    text = fields.text("kind", required=False, max_length=10)
    if text is None:
        return DependencyKind.NORMAL
    if text not in DependencyKind.__members__.values():
        choices = ", ".join(repr(kind.value) for kind in DependencyKind)
        fields.problem("kind", f"expected one of {choices}, found {text!r}")
        return DependencyKind.NORMAL
    return DependencyKind(text)


def _target(fields: Fields) -> str | None:
    text = fields.text("target", required=False, max_length=200, one_line=True)
    if text is not None and _TARGET.fullmatch(text) is None:
        fields.problem(
            "target",
            f"expected 'cfg(…)' or a target triple such as 'x86_64-pc-windows-msvc'"
            f", found {text!r}",
        )
    return text


def _flag(fields: Fields, key: str, *, default: bool) -> bool:
    value = fields.table.get(key, default)
    if not isinstance(value, bool):
        fields.problem(key, f"expected true or false, found {value!r:.60}")
        return default
    return value


def _names(fields: Fields, key: str, rule: re.Pattern[str], what: str) -> tuple[str, ...]:
    names = fields.strings(key)
    if len(names) > MAX_FEATURE_VALUES:
        fields.problem(key, f"{len(names)} entries; at most {MAX_FEATURE_VALUES}")
        return ()
    for index, name in enumerate(names):
        if rule.fullmatch(name) is None:
            fields.problem(f"{key}[{index}]", f"expected {what}, found {name!r:.80}")
    return tuple(names)


def _check_names(fields: Fields, key: str, package: str | None, registry: str | None) -> None:
    """In this registry the package is a regsite name; elsewhere, and as a rename, cargo's."""
    real = package or key
    if registry is not None:
        if (problem := registry_problem(registry)) is not None:
            fields.problem("registry", f"expected another registry's index URL: {problem}")
        problem = crate_name_problem(real)
    else:
        problem = name_problem(real)
        if problem is not None:
            problem += "; a dependency in another registry says so with registry = '<index URL>'"
    if problem is not None:
        fields.problem("package" if package else "", f"dependency {problem}")
    if package is not None and (problem := crate_name_problem(key)) is not None:
        fields.problem("", f"the name the code uses: {problem}")


def _distinct(table: Fields, key: str, entries: list[_Entry], package: str) -> bool:
    seen = set()
    for entry in entries:
        if entry.registry is None and entry.upstream is None and (entry.package or key) == package:
            entry.fields.problem("", "a package may not depend on itself")
            return False
        where = (entry.kind, entry.target)
        if where in seen:
            target = f"target {entry.target!r}" if entry.target else "every target"
            table.problem(key, f"two entries of kind {entry.kind.value!r} for {target}")
            return False
        seen.add(where)
    return True


def _dependency(entry: _Entry, key: str, scheme: VersionScheme) -> Dependency | None:
    try:
        specifier = scheme.parse_specifier(entry.version)
    except VersionSyntaxError as error:
        entry.fields.problem("version", str(error))
        return None
    return Dependency(
        name=entry.package or key,
        specifier=specifier,
        kind=entry.kind,
        target=entry.target,
        features=entry.features,
        optional=entry.optional,
        default_features=entry.default_features,
        rename=key if entry.package not in (None, key) else None,
        registry=entry.registry,
        upstream=entry.upstream,
    )


def read_features(fields: Fields) -> dict[str, tuple[str, ...]]:
    """``[release.features]``: feature name -> what it turns on, as in Cargo.toml."""
    table = fields.table_of("features")
    if table is None:
        return {}
    if len(table.table) > MAX_FEATURES:
        table.problem("", f"{len(table.table)} features; at most {MAX_FEATURES}")
        return {}
    features = {}
    for name in sorted(table.table):
        if _FEATURE_NAME.fullmatch(name) is None:
            table.problem(name, "expected a feature name: letters, digits, '_', '-', '+', '.'")
        elif isinstance(table.table[name], list):
            features[name] = _names(table, name, _FEATURE_VALUE, _FEATURE_VALUE_FORMS)
        else:
            table.problem(name, "expected an array of features and dependencies it turns on")
    return features


_FEATURE_VALUE = re.compile(
    r"(?:dep:)?[A-Za-z0-9_][A-Za-z0-9_+.-]{0,99}(?:\??/[A-Za-z0-9_][A-Za-z0-9_+.-]{0,99})?"
)
_FEATURE_VALUE_FORMS = "a feature, 'dep:NAME', 'NAME/FEATURE' or 'NAME?/FEATURE'"


def features_problems(
    features: dict[str, tuple[str, ...]], dependencies: list[Dependency]
) -> list[tuple[str, str]]:
    """(feature, message) for every value that cargo would refuse: one that names neither a
    feature nor a dependency.  ``dep:x`` and ``x?/f`` need an optional dependency ``x``, and an
    optional dependency named with ``dep:`` anywhere is no longer a feature of its own."""
    usable = [d for d in dependencies if d.kind is not DependencyKind.DEV]
    named = {d.rename or d.name for d in usable}
    optional = {d.rename or d.name for d in usable if d.optional}
    explicit = {v.removeprefix("dep:") for vs in features.values() for v in vs if v[:4] == "dep:"}
    problems = []
    for feature, values in features.items():
        for value in values:
            target = value.removeprefix("dep:").partition("/")[0].removesuffix("?")
            if value.startswith("dep:") or "?/" in value:
                known, expected = target in optional, "an optional dependency"
            elif "/" in value:
                known, expected = target in named, "a dependency"
            else:
                known = value in features or value in optional - explicit
                expected = "another feature or an optional dependency (without 'dep:' elsewhere)"
            if not known:
                problems.append((feature, f"{value!r} names no {expected} of this release"))
    return problems


def rust_version(fields: Fields) -> str | None:
    """``rust-version``: the oldest Rust that builds the release, as ``1.70`` or ``1.70.0``."""
    text = fields.text("rust-version", required=False, max_length=20)
    if text is not None and _RUST_VERSION.fullmatch(text) is None:
        fields.problem("rust-version", f"expected a Rust version such as '1.70', found {text!r}")
        return None
    return text
