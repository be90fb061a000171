"""Typed getters over parsed TOML that record problems with their dotted key path."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from regsite.errors import ErrorReport, describe

__all__ = [
    "MAX_INTEGER",
    "MAX_KEY_PARTS",
    "MAX_URL_LENGTH",
    "SOURCE_FORMAT",
    "Fields",
    "check_format",
    "long_key_problem",
    "url_problem",
]

SOURCE_FORMAT = 1
MAX_INTEGER = 2**63 - 1  # what every JSON and TOML reader can hold
MIN_YEAR, MAX_YEAR = 1970, 9998

_T = TypeVar("_T")

MAX_URL_LENGTH = 2048
_SPACE_OR_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# Most URLs that the checks below accept, recognised without urlsplit (their slow part): a plain
# ASCII host, so urlsplit cannot raise, then only printable ASCII. The two paths must agree:
# tests/test_render_speed_equivalence.py checks them against each other.
_PLAIN_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:[/?#][\x21-\x7e]*)?")


MAX_KEY_PARTS = 32  # parts of one dotted TOML key; regsite's own files need at most 4

# tomllib takes time quadratic in the parts of one dotted key (8,000 parts: 1.5 s; a 1 MiB
# package.toml could hold 500,000), so keys are measured before parsing.  A key is on one line:
# the first pattern finds a line with enough dots, the second a run of key parts there (bare or
# quoted), starting only where a key can start.  Possessive quantifiers keep both linear.
_DOTS = f"{{{MAX_KEY_PARTS - 1}}}"  # "{31}": that many dots join 32 parts
_DOTTED_LINE = re.compile(r"^(?:[^.\n]*+\.)" + _DOTS, re.MULTILINE)
_KEY_PART = r"""(?:[A-Za-z0-9_-]++|"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|'[^'\n]*+')"""
_LONG_KEY = re.compile(
    r"""(?<![A-Za-z0-9_\-"'\\.])(?:""" + _KEY_PART + r"[ \t]*+\.[ \t]*+)" + _DOTS
)


def long_key_problem(text: str) -> str | None:
    """Why TOML ``text`` is refused unparsed: a dotted key of too many parts; else None.

    A run of that many dotted words that starts after a space counts even inside a string or a
    comment: no real source, signature or lock file has one.
    """
    if text.count(".") < MAX_KEY_PARTS - 1 or _DOTTED_LINE.search(text) is None:
        return None
    match = _LONG_KEY.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start()) + 1
    return (
        f"line {line}: a dotted key of {MAX_KEY_PARTS} or more parts; regsite's files need at"
        " most 4, and longer keys are refused before parsing (they make the parser slow)"
    )


def url_problem(url: str) -> str | None:
    """Only absolute http(s) URLs are accepted anywhere a source gives a link."""
    if len(url) > MAX_URL_LENGTH:
        return f"URL is {len(url)} characters long; at most {MAX_URL_LENGTH} are allowed"
    if _PLAIN_URL.fullmatch(url) is not None:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return f"not a valid URL: {url[:80]!r}"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"expected an absolute http(s) URL, found {url[:80]!r}"
    if _SPACE_OR_CONTROL.search(url) is not None:
        return "URL contains spaces or control characters"
    return None


@dataclass(slots=True)
class Fields:
    """One TOML table of one file; each getter returns ``None`` and records a problem if bad."""

    table: Mapping[str, Any]
    file: str
    path: str
    report: ErrorReport

    def where(self, key: str) -> str:
        if not key:
            return self.path
        return f"{self.path}.{key}" if self.path else key

    def problem(self, key: str, message: str) -> None:
        self.report.add(self.file, self.where(key), message)

    def only(self, allowed: Iterable[str], reserved: Iterable[str] = ()) -> None:
        """Report keys that format 1 does not know, and reserved ones it does not support yet."""
        allowed, reserved = set(allowed), set(reserved)
        for key in sorted(set(self.table) - allowed):
            if key in reserved:
                self.problem(key, "reserved for a later source format; not supported in format 1")
            else:
                self.problem(key, f"unknown key; expected one of: {', '.join(sorted(allowed))}")

    def text(
        self, key: str, *, required: bool = True, max_length: int = 300, one_line: bool = False
    ) -> str | None:
        value = self._get(key, str, "a string", required)
        if value is None:
            return None
        if not value.strip():
            self.problem(key, "must not be empty or only white space")
            return None
        if one_line and ("\n" in value or "\r" in value):
            self.problem(key, "must be one line")
            return None
        if len(value) > max_length:
            self.problem(key, f"is {len(value)} characters long; at most {max_length} allowed")
            return None
        return value

    def url(self, key: str, *, required: bool = False) -> str | None:
        value = self._get(key, str, "an http(s) URL", required)
        if value is not None and (problem := url_problem(value)) is not None:
            self.problem(key, problem)
            return None
        return value

    def integer(self, key: str, *, required: bool = True, minimum: int = 0) -> int | None:
        value = self._get(key, int, "an integer", required)
        if isinstance(value, bool):
            self.problem(key, "expected an integer, found a boolean")
            return None
        if value is not None and not minimum <= value <= MAX_INTEGER:
            self.problem(key, f"expected an integer from {minimum} to {MAX_INTEGER}, found {value}")
            return None
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._get(key, bool, "true or false", False)
        return default if value is None else value

    def datetime(self, key: str) -> datetime | None:
        value = self._get(key, datetime, "an offset date-time like 2026-03-01T12:00:00Z", True)
        if value is None:
            return None
        if value.tzinfo is None:
            self.problem(key, "expected a date-time with a zone, like 2026-03-01T12:00:00Z")
            return None
        try:
            in_utc = value.astimezone(UTC)
        except OverflowError:
            in_utc = None
        if in_utc is None or not MIN_YEAR <= in_utc.year <= MAX_YEAR:
            self.problem(key, f"expected a date-time between the years {MIN_YEAR} and {MAX_YEAR}")
            return None
        return in_utc

    def date(self, key: str) -> date | None:
        """A TOML local date (``2026-03-01``), between the years 1970 and 9998."""
        value = self._get(key, date, "a date like 2026-03-01", True)
        if isinstance(value, datetime):
            self.problem(key, "expected a date like 2026-03-01, without a time")
            return None
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            self.problem(key, f"expected a date between the years {MIN_YEAR} and {MAX_YEAR}")
            return None
        return value

    def strings(self, key: str) -> list[str]:
        value = self._get(key, list, "an array of strings", False)
        if value is None:
            return []
        if not all(isinstance(item, str) for item in value):
            self.problem(key, "expected an array of strings")
            return []
        return value

    def table_of(self, key: str, *, required: bool = False) -> Fields | None:
        value = self._get(key, dict, "a table", required)
        return None if value is None else Fields(value, self.file, self.where(key), self.report)

    def tables(self, key: str) -> list[Fields]:
        value = self._get(key, list, "an array of tables", False) or []
        if not all(isinstance(item, dict) for item in value):
            self.problem(key, "expected an array of tables ([[" + key + "]])")
            return []
        return [
            Fields(item, self.file, f"{self.where(key)}[{index}]", self.report)
            for index, item in enumerate(value)
        ]

    def _get(self, key: str, kind: type[_T], expected: str, required: bool) -> _T | None:
        if key not in self.table:
            if required:
                self.problem(key, f"missing; expected {expected}")
            return None
        value = self.table[key]
        if not isinstance(value, kind):
            self.problem(key, f"expected {expected}, found {describe(value)}")
            return None
        return value


def check_format(top: Fields) -> None:
    """Every source file starts with ``format = 1``."""
    value = top.integer("format", minimum=1)
    if value is not None and value != SOURCE_FORMAT:
        top.problem("format", f"source format {value} is not supported; expected {SOURCE_FORMAT}")
