"""How a parsed command reaches the library, and its result the terminal."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeAlias, TypeVar

__all__ = ["Dispatch", "GivenOnce", "Subcommands", "command_group", "print_warnings"]

if TYPE_CHECKING:
    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Subcommands = argparse._SubParsersAction

OptionsT = TypeVar("OptionsT")
ResultT = TypeVar("ResultT")


@dataclass(frozen=True, slots=True)
class Dispatch(Generic[OptionsT, ResultT]):
    """One command: its options read from the arguments, the :mod:`regsite.commands` function
    that does the work, and how its result is printed (which returns the exit status)."""

    options: Callable[[argparse.Namespace], OptionsT]
    run: Callable[[OptionsT], ResultT]
    show: Callable[[argparse.Namespace, ResultT], int]

    def __call__(self, args: argparse.Namespace) -> int:
        return self.show(args, self.run(self.options(args)))


class GivenOnce(argparse.Action):
    """An option that takes one value (one online key): given twice, argparse's last-one-wins
    would silently drop the first, so it is an error instead."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} takes one value; it was given more than once")
        setattr(namespace, self.dest, values)


def command_group(parser: argparse.ArgumentParser, what: str) -> Subcommands:
    """Subcommands of ``parser``; the group on its own prints its help and exits 2."""

    def usage(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(handler=usage)
    return parser.add_subparsers(title="actions", metavar="ACTION", help=what)


def print_warnings(warnings: Iterable[str]) -> None:
    """Each warning a library function returned, on stderr, as logged warnings are."""
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
