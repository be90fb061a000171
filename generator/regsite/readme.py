"""README checks: what a README may hold before Markdown sees it (docs/format.md, "Limits").

markdown-it-py takes time linear in a README's length once its nesting is limited
(:data:`regsite.render.markdown.MAX_NESTING`), but not the same time for every byte: prose costs
it about half a microsecond a byte, while each list item, table cell, ``[`` or emphasis marker
costs it tens of microseconds, so a README at the size limit made of nothing else took 10 s or more.
These checks count each costly kind of markup in one pass and refuse a README with the line where
a count passes its limit, so that what is left costs a few seconds at most
(``bench/hostile_bench.py``); the CPU-time budget (:mod:`regsite.budget`) stops anything else.
The counts include code blocks: a count that trusted this scan's idea of where code ends could be
led to miss markup that markdown-it renders.
"""

from __future__ import annotations

import dataclasses
import re
from itertools import islice
from typing import NamedTuple

from regsite.budget import OutOfTime, cpu_budget
from regsite.errors import ErrorReport
from regsite.load import PACKAGES_DIR, SourceLimits
from regsite.model import Package
from regsite.signatures import ThresholdResult

__all__ = ["checked_readme", "over_budget", "readme_path", "readme_problems"]


def checked_readme(
    package: Package | None,
    verdict: ThresholdResult | None,
    limits: SourceLimits,
    report: ErrorReport,
) -> Package | None:
    """The package, keeping its README only if its signatures verified and the README keeps
    every limit; each broken limit is a problem in ``report``.

    Fail closed: the README of a package whose signatures did not verify (an unsigned package
    directory in a pull request, say) is never read as Markdown.
    """
    if package is None or package.readme is None:
        return package
    if verdict is None or not verdict.verified:
        return dataclasses.replace(package, readme=None)
    try:
        with cpu_budget(limits.readme_seconds):
            problems = readme_problems(package.readme.text, limits)
    except OutOfTime:
        problems = [(0, over_budget(limits, "checking it"))]
    for line, message in problems:
        report.add(readme_path(package), f"line {line}" if line else "", message)
    return dataclasses.replace(package, readme=None) if problems else package


def readme_path(package: Package) -> str:
    """The README's path in the source directory, as problems name it."""
    file = package.readme.file if package.readme is not None else "README.md"
    return f"{PACKAGES_DIR}/{package.name}/{file}"


def over_budget(limits: SourceLimits, doing: str) -> str:
    """The problem of a README whose Markdown work ran out of time."""
    return (
        f"{doing} took more than {limits.readme_seconds:g} CPU seconds, the budget of one"
        ' README; simplify its markup (docs/format.md, "Limits")'
    )


def readme_problems(text: str, limits: SourceLimits) -> list[tuple[int, str]]:
    """Each limit ``text`` breaks, with the line (from 1) where it is first broken."""
    text = _LINE_END.sub("\n", text)  # line ends as markdown-it reads them
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()  # what follows the last line end is not a line
    scan = _LineScan(limits)
    for number, line in enumerate(lines[: limits.readme_lines], 1):
        scan.read(number, line)
    found = list(scan.problems.values())
    if len(lines) > limits.readme_lines:
        limit = limits.readme_lines
        found.append((limit + 1, f"more than {limit:,} lines; shorten the README"))
    links = "'[' and '<' (each may open a link or an image); link to fewer pages"
    emphasis = "'*', '_' and '~' (emphasis markers, counted in code too); use fewer"
    found += [
        problem
        for problem in (
            _count_problem(text, _LINK_OPENER, limits.readme_links, links),
            _count_problem(text, _EMPHASIS, limits.readme_emphasis, emphasis),
        )
        if problem is not None
    ]
    return sorted(found)


_LINE_END = re.compile(r"\r\n?")
_LINK_OPENER = re.compile(r"[\[<]")
_EMPHASIS = re.compile(r"[*_~]")


def _count_problem(
    text: str, pattern: re.Pattern[str], limit: int, what: str
) -> tuple[int, str] | None:
    over = next(islice(pattern.finditer(text), limit, None), None)
    if over is None:
        return None
    return text.count("\n", 0, over.start()) + 1, f"more than {limit:,} {what}"


class _LineScan:
    """The checks that read a README line by line: how many list items and table cells it has,
    and how deeply block quotes and lists nest."""

    def __init__(self, limits: SourceLimits) -> None:
        self.limits = limits
        self.problems: dict[str, tuple[int, str]] = {}  # the first problem of each check
        self.items = 0  # list items so far
        self.cells = 0  # table cells so far
        self.columns = 0  # of the table being read; 0 outside tables
        self.previous = ""  # the line before
        self.open: list[int] = []  # the content column of each list item the line is in
        self.fence = ""  # the fence of the code block being read, if any

    def read(self, number: int, line: str) -> None:
        if self._plain(line):
            self.previous = line
            return
        limits = self.limits
        prefix = _prefix(line)
        self.items += len(prefix.items)
        self._count_cells(prefix, line)
        depth = self._depth(prefix, line)
        self.previous = line
        if self.items > limits.readme_list_items:
            limit = limits.readme_list_items
            self._problem("items", number, f"more than {limit:,} list items; shorten the lists")
        if self.cells > limits.readme_table_cells:
            limit = limits.readme_table_cells
            self._problem("cells", number, f"tables of more than {limit:,} cells; shorten them")
        if depth > limits.readme_nesting:
            message = f"block quotes and lists nested {depth} deep, more than the"
            self._problem("nesting", number, f"{message} {limits.readme_nesting} allowed")

    def _plain(self, line: str) -> bool:
        """Handle the most common lines, which change no count, quickly; False for the others:
        blank lines (they end tables), unindented prose and, in fenced code, what cannot end it."""
        if not line.strip():
            self.columns = 0
            return True
        if self.columns or line.lstrip(" \t")[:1] in _SPECIAL_START:
            return False
        if not self.fence and line[:1] in " \t":
            return False  # indented: which lists it stays in depends on its column
        if not self.fence:
            self.open.clear()  # an unindented line is in no list
        return True

    def _problem(self, check: str, number: int, message: str) -> None:
        self.problems.setdefault(check, (number, message))

    def _count_cells(self, prefix: _Prefix, line: str) -> None:
        """As many as markdown-it could make: a delimiter row (``|---|:-:|``) under a line with
        a ``|`` sets a table's columns, and each line up to the next blank one is a row."""
        rest = prefix.rest
        if self.columns and not line.strip():
            self.columns = 0
        elif self.columns:
            self.cells += self.columns
        elif "-" in rest and "|" in self.previous and _DELIMITER_ROW.fullmatch(rest):
            self.columns = rest.strip("|").count("|") + 1  # pipes at its ends open no column
            self.cells += self.columns  # the header row's

    def _depth(self, prefix: _Prefix, line: str) -> int:
        """How many block quotes and lists the line is in; 0 in fenced code."""
        if self.fence:
            rest = prefix.rest
            if rest.startswith(self.fence) and not rest.strip(self.fence[0]):
                self.fence = ""
            return 0
        if not line.strip():
            return 0
        while self.open and prefix.first < self.open[-1]:
            self.open.pop()
        if prefix.first >= (self.open[-1] if self.open else 0) + 4:
            return prefix.quotes + len(self.open)  # indented code: it opens nothing
        self.open.extend(prefix.items)
        if fence := _FENCE.match(prefix.rest):
            self.fence = fence.group()
        return prefix.quotes + len(self.open)


# A table's delimiter row as markdown-it's table rule sees it, more loosely (this only counts).
_DELIMITER_ROW = re.compile(r"[-:|][-:| \t]*")
_FENCE = re.compile(r"`{3,}(?!.*`)|~{3,}")
_LIST_MARKER = re.compile(r"(?:[-+*]|[0-9]{1,9}[.)])(?=[ \t]|$)")
_OPENERS = " \t>-+*0123456789"  # what a line that opens a block quote or list starts with
_SPECIAL_START = _OPENERS + "`~|:"  # or a code fence, or a table row


class _Prefix(NamedTuple):
    """What opens a line: block quote markers, list markers and the indentation around them."""

    quotes: int  # '>' markers
    first: int  # the column of the first list marker or, without one, of the content
    items: tuple[int, ...]  # the content column of each list item the line opens
    rest: str  # the line after all of them, without trailing white space


def _prefix(line: str) -> _Prefix:
    if not line or line[0] not in _OPENERS:  # most lines: prose
        return _Prefix(0, 0, (), line.rstrip())
    quotes, first, position, column = 0, -1, 0, 0
    items: list[int] = []
    while True:
        position, column = _indented(line, position, column)
        if line.startswith(">", position):
            quotes, position, column = quotes + 1, position + 1, column + 1
            continue
        first = column if first < 0 else first
        marker = _LIST_MARKER.match(line, position)
        if marker is None:
            return _Prefix(quotes, first, tuple(items), line[position:].rstrip())
        items.append(column + len(marker.group()) + 1)
        column += marker.end() - position
        position = marker.end()


def _indented(line: str, position: int, column: int) -> tuple[int, int]:
    """The position and column after the spaces and tabs at ``position`` (tabs stop every 4)."""
    while position < len(line) and line[position] in " \t":
        column = column + 4 - column % 4 if line[position] == "\t" else column + 1
        position += 1
    return position, column
