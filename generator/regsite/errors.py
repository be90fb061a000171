"""The exception hierarchy: every error regsite raises derives from :class:`RegistryError`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = [
    "BuildError",
    "ErrorReport",
    "KeyFileError",
    "OutputError",
    "RegistryError",
    "SourceEditError",
    "SourceProblem",
]


class RegistryError(Exception):
    """Root of every error regsite raises on purpose."""


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
        file = f"{root.rstrip('/')}/{self.file}" if root else self.file
        where = f"{file}: {self.key}" if self.key else file
        return f"{where}: {self.message}"


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
        lines = "\n".join(f"  {problem.display(root)}" for problem in problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the source:\n{lines}")
