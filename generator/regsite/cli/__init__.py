"""The ``regsite`` command line: parse arguments, call the library, print, return an exit code.

One module per command, named after it (``regsite verify-site`` is :mod:`regsite.cli.verify_site`):
its arguments, and how its result is printed.  The work is done by the module of the same name
in :mod:`regsite.commands`, through a :class:`~regsite.cli.dispatch.Dispatch`.  This module holds
what every command shares: the parser, the exit codes and the last-resort guard.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from regsite import __version__
from regsite.cli import (
    build,
    client,
    completion,
    curate,
    curator,
    init,
    keygen,
    mirror,
    owner,
    package,
    release,
    root,
    search,
    serve,
    sign,
    timestamp,
    trust,
    verify,
    verify_site,
    yank,
)
from regsite.cli.dispatch import Subcommands
from regsite.errors import BuildError, RegistryError, printable

__all__ = ["BUG_STATUS", "COMMANDS", "TRACEBACK_VARIABLE", "command_parser", "main"]

_Handler = Callable[[argparse.Namespace], int]

BUG_STATUS = 70  # EX_SOFTWARE in sysexits.h: an internal error, never a problem in the input
TRACEBACK_VARIABLE = "REGSITE_TRACEBACK"

# Each command module's add_command, in the order ``regsite --help`` lists them; completion's
# comes last, since its script completes all of these.
COMMANDS: tuple[Callable[[Subcommands], None], ...] = (
    init.add_command,
    keygen.add_command,
    owner.add_command,
    curator.add_command,
    package.add_command,
    release.add_command,
    yank.add_command,
    curate.add_command,
    sign.add_command,
    verify.add_command,
    build.add_command,
    serve.add_command,
    search.add_command,
    root.add_command,
    trust.add_command,
    timestamp.add_command,
    client.add_command,
    mirror.add_command,
    verify_site.add_command,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return 0 on success, 1 on a registry problem, 2 on bad usage, 70 on a
    bug in regsite."""
    args = command_parser().parse_args(argv)
    _configure_logging(args.verbose)
    try:
        return _run(args)
    except Exception as exc:  # the last resort: a bug must not show a user a traceback
        return _report_bug(exc, args.verbose)


def _run(args: argparse.Namespace) -> int:
    handler: _Handler = args.handler
    try:
        return handler(args)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("Nothing was written; the previous output is unchanged.", file=sys.stderr)
        return 1
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (``regsite search ... | head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as exc:  # the machine, not regsite: a full disk, a permission
        where = f"{exc.filename}: " if exc.filename else ""
        print(printable(f"error: {where}{exc.strerror or exc}"), file=sys.stderr)
        return 1


def _report_bug(exc: Exception, verbose: bool) -> int:
    """One line for the user; the traceback only when asked for (-v or $REGSITE_TRACEBACK)."""
    if verbose or os.environ.get(TRACEBACK_VARIABLE):
        traceback.print_exception(exc, file=sys.stderr)
        how = "the traceback is above"
    else:
        how = f"run it again with -v (or {TRACEBACK_VARIABLE}=1) to see the traceback"
    print(
        f"error: this is a bug in regsite {__version__} ({_one_line(exc)}); {how}, and please"
        " report it",
        file=sys.stderr,
    )
    return BUG_STATUS


def _one_line(exc: Exception) -> str:
    """The exception's type and message, on one printable line of bounded length."""
    try:
        detail = str(exc)
    except Exception:  # a message that cannot even be made into text
        detail = ""
    detail = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in detail[:200])
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


class _LevelFormatter(logging.Formatter):
    """Warnings and errors say so; -v's progress lines stay plain."""

    def format(self, record: logging.LogRecord) -> str:
        message = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"{record.levelname.lower()}: {message}"
        return message


def _configure_logging(verbose: bool) -> None:
    """Warnings from everything; with -v, regsite's own debug lines (never its libraries')."""
    top = logging.getLogger()
    for old in [h for h in top.handlers if isinstance(h.formatter, _LevelFormatter)]:
        top.removeHandler(old)  # main() may run many times in one process (tests)
    handler = logging.StreamHandler()  # today's sys.stderr
    handler.setFormatter(_LevelFormatter("%(message)s"))
    top.addHandler(handler)
    top.setLevel(logging.WARNING)
    logging.getLogger("regsite").setLevel(logging.DEBUG if verbose else logging.WARNING)


def command_parser() -> argparse.ArgumentParser:
    """regsite's parser: every command, each with its handler (a ``Dispatch``) as a default."""
    parser = argparse.ArgumentParser(
        prog="regsite",
        description="Compile a directory of signed package indexes into a static registry site.",
        epilog="'regsite COMMAND --help' describes a command and its options. Exit status: 0"
        " success, 1 a problem in the input (all of them listed), 2 bad usage, 70 a bug.",
    )
    parser.add_argument("--version", action="version", version=f"regsite {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log each stage; show tracebacks"
    )
    parser.set_defaults(handler=lambda args: _usage(parser))
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", help="what to do")
    for add_command in COMMANDS:
        add_command(commands)
    completion.add_command(commands, parser)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
