"""The ``regsite`` command line: parse arguments, call the library, print, return an exit code."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from regsite import __version__
from regsite.cli_build import add_build_command, pin_options, pinned_root
from regsite.cli_client import add_client_commands
from regsite.cli_completion import SHELLS, completion_script
from regsite.cli_edit import add_edit_commands
from regsite.cli_trust import add_owner_key_commands, add_trust_commands
from regsite.commands.search import dump_found, found_text, search_site
from regsite.commands.serve import make_server
from regsite.commands.verify import signature_table, verify_sources
from regsite.errors import BuildError, RegistryError

__all__ = ["BUG_STATUS", "TRACEBACK_VARIABLE", "main"]

_Handler = Callable[[argparse.Namespace], int]

BUG_STATUS = 70  # EX_SOFTWARE in sysexits.h: an internal error, never a problem in the input
TRACEBACK_VARIABLE = "REGSITE_TRACEBACK"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return 0 on success, 1 on a registry problem, 2 on bad usage, 70 on a
    bug in regsite."""
    parser = _parser()
    args = parser.parse_args(argv)
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
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
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
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, _LevelFormatter)]:
        root.removeHandler(old)  # main() may run many times in one process (tests)
    handler = logging.StreamHandler()  # today's sys.stderr
    handler.setFormatter(_LevelFormatter("%(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("regsite").setLevel(logging.DEBUG if verbose else logging.WARNING)


def _parser() -> argparse.ArgumentParser:
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
    add_owner_key_commands(add_edit_commands(commands))
    _add_verify(commands)
    add_build_command(commands)
    _add_serve(commands)
    _add_search(commands)
    add_trust_commands(commands)
    add_client_commands(commands)
    _add_completion(commands, parser)
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


# serve / verify / search / completion -----------------------------------------------------------


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("serve", help="preview a built site on a local web server")
    command.add_argument("site", type=Path, help="a directory written by regsite build")
    command.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    command.add_argument(
        "--port", type=_port, default=8000, help="TCP port (default 8000; 0 picks a free one)"
    )
    command.set_defaults(handler=_serve)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    server = make_server(args.site, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"serving {args.site} at http://{host!s}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0


def _add_verify(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("verify", help="check every signature in a source directory")
    command.add_argument(
        "source",
        type=Path,
        nargs="?",
        default=Path(),
        help="registry source directory (default: the current directory)",
    )
    pin_options(command)
    command.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    result = verify_sources(args.source, pinned_root(args))
    if result.rows:
        print("\n".join(signature_table(result.rows)) + "\n")
    if not result.ok:
        print(f"{len(result.inspection.report)} problem(s):", file=sys.stderr)
        for problem in sorted(set(result.inspection.report), key=str):
            print(f"  {problem.display(str(args.source))}", file=sys.stderr)
        return 1
    print(f"all {len(result.inspection.verifications)} signed files verify")
    return 0


def _add_search(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("search", help="query a built site's search index")
    command.add_argument("query", help="package name, keyword or words to look for")
    command.add_argument(
        "--site", required=True, metavar="DIR_OR_URL", help="a built site: directory or http(s) URL"
    )
    command.add_argument("--json", action="store_true", help="print the results as JSON")
    command.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="results shown (default 20)"
    )
    command.set_defaults(handler=_search)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _search(args: argparse.Namespace) -> int:
    found = search_site(args.site, args.query, args.limit)
    print(dump_found(found) if args.json else found_text(found), end="" if args.json else "\n")
    return 0


def _add_completion(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], parser: argparse.ArgumentParser
) -> None:
    command = commands.add_parser(
        "completion", help="print a shell completion script (see README: Shell completion)"
    )
    command.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    command.set_defaults(handler=lambda args: _completion(parser, args.shell))


def _completion(parser: argparse.ArgumentParser, shell: str) -> int:
    print(completion_script(parser, shell), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
