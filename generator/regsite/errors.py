"""The exception hierarchy: every error regsite raises derives from :class:`RegistryError`.

Messages quote files, keys and values that an attacker may have written, so every message is
made printable here: :func:`printable` escapes what a terminal would act on or hide, and
:func:`describe` shows an untrusted value in a few dozen characters without walking into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, time

__all__ = [
    "PREVIEW_LENGTH",
    "BuildError",
    "ErrorReport",
    "KeyFileError",
    "OutputError",
    "RegistryError",
    "SourceEditError",
    "SourceProblem",
    "describe",
    "printable",
]

PREVIEW_LENGTH = 40  # characters of an untrusted string quoted in a message


def printable(text: str) -> str:
    """``text`` with every character that is not printable escaped as ``repr`` escapes it.

    That covers C0 and C1 controls and DEL (colour codes, a carriage return that rewrites the
    line, a newline that fakes a second one), bidi overrides and other format characters,
    line and paragraph separators, and lone surrogates a terminal cannot encode.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def describe(value: object, *, typed: bool = True) -> str:
    """An untrusted value for a message: its type and a short escaped preview.

    Never recursive and never long: a table nested 10,000 deep is "dict with 1 key", and an
    integer too long to print is given by its size.  With ``typed=False`` a string is shown
    without the word "str", where a string was expected and only its text is wrong.
    """
    kind = type(value).__name__
    if isinstance(value, str):
        more = f"… ({len(value)} characters)" if len(value) > PREVIEW_LENGTH else ""
        quoted = f"{str(value[:PREVIEW_LENGTH])!r}{more}"
        return f"{kind} {quoted}" if typed else quoted
    if isinstance(value, int) and not isinstance(value, bool):
        if value.bit_length() > 128:
            return f"{kind} of {value.bit_length()} bits"
        return f"{kind} {value}"
    if isinstance(value, bool | float | date | time) or value is None:
        return f"{kind} {str(value)[:PREVIEW_LENGTH]}"
    if isinstance(value, Mapping):
        return f"{kind} with {len(value)} key{'' if len(value) == 1 else 's'}"
    if isinstance(value, list | tuple):
        return f"{kind} of {len(value)} item{'' if len(value) == 1 else 's'}"
    return kind


class RegistryError(Exception):
    """Root of every error regsite raises on purpose; its text is always printable.

    The message is one line: every character :func:`printable` escapes is escaped, a newline
    too, so nothing quoted in it can start a line of its own.  ``details`` are the lines of a
    list (one per problem), each escaped the same way and indented under the message.
    """

    def __init__(self, message: str = "", *, details: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.details = tuple(details)

    def __str__(self) -> str:
        lines = [printable(super().__str__())]
        lines += [f"  {printable(line)}" for line in self.details]
        return "\n".join(lines)


class KeyFileError(RegistryError):
    """A private or public key could not be read or is malformed."""


class SourceEditError(RegistryError):
    """A command that edits the source directory was asked for something it cannot do."""


class OutputError(RegistryError):
    """The output directory cannot be written or replaced safely."""


@dataclass(frozen=True, slots=True)
class SourceProblem:
    """One problem in the source directory: where it is and what was expected."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return self.display()

    def display(self, root: str = "") -> str:
        """One printable line: control characters in the file, key or message are escaped."""
        file = f"{root.rstrip('/')}/{self.file}" if root else self.file
        where = f"{file}: {self.key}" if self.key else file
        return printable(f"{where}: {self.message}")


@dataclass(slots=True)
class ErrorReport:
    """Problems collected across the pipeline so that all of them are reported at once."""

    problems: list[SourceProblem] = field(default_factory=list)

    def add(self, file: str, key: str, message: str) -> None:
        self.problems.append(SourceProblem(file, key, message))

    def extend(self, problems: Iterable[SourceProblem]) -> None:
        self.problems.extend(problems)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __iter__(self) -> Iterator[SourceProblem]:
        return iter(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self, root: str = "") -> None:
        """Raise :class:`BuildError` with every problem; ``root`` prefixes the file names shown."""
        if self.problems:
            raise BuildError(sorted(set(self.problems), key=_problem_order), root)


def _problem_order(problem: SourceProblem) -> tuple[str, str, str]:
    return (problem.file, problem.key, problem.message)


class BuildError(RegistryError):
    """The source directory has problems; :attr:`problems` lists every one found."""

    def __init__(self, problems: list[SourceProblem], root: str = "") -> None:
        self.problems = problems
        count = len(problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''} in the source:",
            details=[problem.display(root) for problem in problems],
        )
