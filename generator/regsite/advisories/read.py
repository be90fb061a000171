"""Read an advisory: its JSON checked against the OSV schema, then against this registry.

Every problem is reported with the file and the key path (``affected[0].ranges[1].events[0]``)
and, where there is one, the fix; nothing stops at the first problem.  The same reader serves
the build (:mod:`regsite.advisories.stage`) and ``regsite client audit``, so the client reads
an advisory exactly as the build that published it did.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from regsite.advisories.model import (
    ADVISORIES_DIR,
    ADVISORY_ID,
    Advisory,
    Affected,
    AffectedRange,
    EventType,
    RangeEvent,
)
from regsite.errors import ErrorReport, describe
from regsite.fields import url_problem
from regsite.model import Registry
from regsite.versions import VersionScheme, VersionSyntaxError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

__all__ = [
    "ADVISORY_ID",
    "MAX_ADVISORY_BYTES",
    "AdvisoryInput",
    "ecosystem_of",
    "osv_schema",
    "read_advisory",
]

MAX_ADVISORY_BYTES = 256 * 1024
MAX_SUMMARY = 200  # characters: pages, the feed and audit show it on one line
# OSV ecosystems whose version ordering is the registry's version scheme (docs/advisories.md).
_ECOSYSTEM_BASE = {"pep440": "PyPI", "semver": "crates.io"}
_RANGE_TYPES = {"pep440": ("ECOSYSTEM",), "semver": ("SEMVER", "ECOSYSTEM")}
_SCHEMA_MESSAGE = 160  # characters of jsonschema's message kept: it quotes the instance


@dataclass(frozen=True, slots=True)
class AdvisoryInput:
    """One advisory file as read from the source (or fetched by the client)."""

    path: str  # advisories/<id>.json
    content: bytes
    signature_content: bytes | None


def ecosystem_of(registry: Registry) -> str:
    """The OSV ``package.ecosystem`` of this registry's packages: the ecosystem whose version
    ordering its scheme follows, with the registry's name as the suffix."""
    return f"{_ECOSYSTEM_BASE[registry.version_scheme.name]}:{registry.name}"


@cache
def osv_schema() -> dict[str, Any]:
    """The vendored OSV JSON Schema (regsite/advisories/osv.schema.json, Apache-2.0)."""
    document: dict[str, Any] = json.loads(
        (files("regsite") / "advisories" / "osv.schema.json").read_bytes()
    )
    return document


@cache
def _validator() -> Draft202012Validator:
    # Imported here: jsonschema takes about 0.1 s to import, which a registry without
    # advisories should not pay on every build.
    from jsonschema import Draft202012Validator

    return Draft202012Validator(osv_schema())


def read_advisory(
    source: AdvisoryInput, registry: Registry, packages: Collection[str], report: ErrorReport
) -> Advisory | None:
    """The advisory, or ``None`` with every problem in ``report``; ``packages`` are the names
    an advisory may name (this registry's package directories)."""
    document = _json(source, report)
    if document is None:
        return None
    schema_problems = sorted(_validator().iter_errors(document), key=_error_order)
    for error in schema_problems:
        report.add(source.path, _key_path(error.absolute_path), _schema_message(error))
    if schema_problems:
        return None
    return _model(source, document, registry, packages, report)


def _json(source: AdvisoryInput, report: ErrorReport) -> dict[str, Any] | None:
    if len(source.content) > MAX_ADVISORY_BYTES:
        report.add(source.path, "", f"file is {len(source.content)} bytes; at most 262144")
        return None
    try:
        document = json.loads(source.content, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        report.add(source.path, "", f"key {exc} appears twice; an OSV document names each once")
        return None
    except (ValueError, RecursionError) as exc:
        report.add(source.path, "", f"not valid UTF-8 JSON: {exc or 'nested too deeply'}")
        return None
    if not isinstance(document, dict):
        report.add(source.path, "", f"expected a JSON object (OSV), found {describe(document)}")
        return None
    return document


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(repr(key[:40]))
        found[key] = value
    return found


def _error_order(error: ValidationError) -> tuple[str, str]:
    return (_key_path(error.absolute_path), error.message)


def _key_path(parts: Iterable[str | int]) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _schema_message(error: ValidationError) -> str:
    message = error.message
    if len(message) > _SCHEMA_MESSAGE:
        message = message[:_SCHEMA_MESSAGE] + "…"
    return f"does not follow the OSV schema: {message}"


def _model(
    source: AdvisoryInput,
    document: dict[str, Any],
    registry: Registry,
    packages: Collection[str],
    report: ErrorReport,
) -> Advisory | None:
    before = len(report)
    advisory_id = _id(source, document["id"], report)
    summary = _summary(source, document.get("summary"), report)
    modified = _date(source, document, "modified", report)
    dates = {key: _date(source, document, key, report) for key in ("published", "withdrawn")}
    entries = document.get("affected") or []
    affected = tuple(
        _affected(source, entry, f"affected[{index}]", registry, packages, report)
        for index, entry in enumerate(entries)
    )
    if not entries and dates["withdrawn"] is None:
        report.add(
            source.path, "affected", "expected at least one affected package of this registry"
        )
    _references(source, document.get("references") or [], report)
    if len(report) > before or advisory_id is None or summary is None or modified is None:
        return None
    return Advisory(
        id=advisory_id,
        path=source.path,
        content=source.content,
        signature_content=source.signature_content,
        summary=summary,
        modified=modified,
        published=dates["published"],
        withdrawn=dates["withdrawn"],
        aliases=tuple(document.get("aliases") or ()),
        affected=tuple(entry for entry in affected if entry is not None),
    )


def _id(source: AdvisoryInput, value: str, report: ErrorReport) -> str | None:
    expected = source.path.removeprefix(f"{ADVISORIES_DIR}/").removesuffix(".json")
    if ADVISORY_ID.fullmatch(value) is None:
        report.add(source.path, "id", "expected letters, digits, '_', '.' and '-' (at most 128)")
        return None
    if value != expected:
        report.add(source.path, "id", f"{value!r} is not the file's name: rename it {value}.json")
        return None
    return value


def _summary(source: AdvisoryInput, value: object, report: ErrorReport) -> str | None:
    if not isinstance(value, str) or not value.strip():
        report.add(source.path, "summary", "missing; pages, the feed and audit show a summary")
        return None
    if len(value) > MAX_SUMMARY or "\n" in value or "\r" in value:
        report.add(source.path, "summary", f"expected one line of at most {MAX_SUMMARY} characters")
        return None
    return value


def _date(
    source: AdvisoryInput, document: dict[str, Any], key: str, report: ErrorReport
) -> datetime | None:
    value = document.get(key)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or not value.endswith("Z"):
        report.add(
            source.path,
            key,
            f"expected an RFC 3339 time in UTC such as 2026-03-01T12:00:00Z, found {value[:40]!r}",
        )
        return None
    return moment.astimezone(UTC)


def _affected(
    source: AdvisoryInput,
    entry: dict[str, Any],
    where: str,
    registry: Registry,
    packages: Collection[str],
    report: ErrorReport,
) -> Affected | None:
    package = entry.get("package") or {}
    name, ecosystem = package.get("name"), package.get("ecosystem")
    expected = ecosystem_of(registry)
    if ecosystem != expected:
        report.add(
            source.path,
            f"{where}.package.ecosystem",
            f"expected {expected!r} (this registry's packages), found {ecosystem!r}",
        )
    if name not in packages:
        report.add(
            source.path,
            f"{where}.package.name",
            f"{name!r:.60} is not a package of this registry: name a directory under packages/",
        )
    scheme = registry.version_scheme
    ranges = tuple(
        _range(source, item, f"{where}.ranges[{index}]", scheme, report)
        for index, item in enumerate(entry.get("ranges") or [])
    )
    versions = _versions(source, entry.get("versions") or [], f"{where}.versions", scheme, report)
    if not ranges and not versions:
        report.add(
            source.path, where, "expected ranges or versions: which releases does it affect?"
        )
    if None in ranges or versions is None or not isinstance(name, str):
        return None
    return Affected(package=name, ranges=tuple(r for r in ranges if r), versions=versions)


def _range(
    source: AdvisoryInput,
    item: dict[str, Any],
    where: str,
    scheme: VersionScheme,
    report: ErrorReport,
) -> AffectedRange | None:
    allowed = _RANGE_TYPES[scheme.name]
    if item.get("type") not in allowed:
        choices = " or ".join(repr(kind) for kind in allowed)
        report.add(
            source.path,
            f"{where}.type",
            f"expected {choices} (versions in this registry's {scheme.name} scheme),"
            f" found {item.get('type')!r}",
        )
        return None
    events = []
    for index, event in enumerate(item["events"]):
        kind, text = next(iter(event.items()))
        parsed = _event(
            source, EventType(kind), text, f"{where}.events[{index}].{kind}", scheme, report
        )
        if parsed is None:
            return None
        events.append(parsed)
    return AffectedRange(tuple(events))


def _event(
    source: AdvisoryInput,
    kind: EventType,
    text: str,
    where: str,
    scheme: VersionScheme,
    report: ErrorReport,
) -> RangeEvent | None:
    if (kind is EventType.INTRODUCED and text == "0") or (kind is EventType.LIMIT and text == "*"):
        return RangeEvent(kind, None, text)
    try:
        return RangeEvent(kind, scheme.parse_version(text), text)
    except VersionSyntaxError as error:
        special = (
            ' ("0" for introduced, "*" for limit)'
            if kind in (EventType.INTRODUCED, EventType.LIMIT)
            else ""
        )
        report.add(source.path, where, f"{error}; expected a version of this registry{special}")
        return None


def _versions(
    source: AdvisoryInput, texts: list[str], where: str, scheme: VersionScheme, report: ErrorReport
) -> frozenset[str] | None:
    found = set()
    for index, text in enumerate(texts):
        try:
            found.add(str(scheme.parse_version(text)))
        except VersionSyntaxError as error:
            report.add(source.path, f"{where}[{index}]", str(error))
            return None
    return frozenset(found)


def _references(
    source: AdvisoryInput, references: list[dict[str, Any]], report: ErrorReport
) -> None:
    """Pages link to the references: only http(s) URLs, as everywhere else."""
    for index, reference in enumerate(references):
        if (problem := url_problem(reference["url"])) is not None:
            report.add(source.path, f"references[{index}].url", problem)
