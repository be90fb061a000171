"""``regsite verify``: every signature in a source directory, as a table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regsite.cli.build import pin_arguments, pins, upstream_arguments, upstreams
from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.commands.verify import SignatureRow, VerifyOptions, VerifyResult, verify_sources

__all__ = ["add_command", "signature_table"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite verify`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser("verify", help="check every signature in a source directory")
    command.add_argument(
        "source",
        type=Path,
        nargs="?",
        default=Path(),
        help="registry source directory (default: the current directory)",
    )
    command.add_argument(
        "--files",
        type=Path,
        metavar="DIR",
        help="hosted artifacts kept out of the source, as regsite build --files takes them",
    )
    command.add_argument(
        "--base-url", help="the URL the site is served from, as regsite build --base-url"
    )
    pin_arguments(command)
    upstream_arguments(command)
    command.set_defaults(handler=Dispatch(_options, verify_sources, _show))


def _options(args: argparse.Namespace) -> VerifyOptions:
    return VerifyOptions(
        source=args.source,
        pins=pins(args),
        files=args.files,
        base_url=args.base_url,
        upstreams=upstreams(args),
    )


def _show(args: argparse.Namespace, result: VerifyResult) -> int:
    if result.rows:
        print("\n".join(signature_table(result.rows)) + "\n")
    if not result.ok:
        print(f"{len(result.check.report)} problem(s):", file=sys.stderr)
        for problem in sorted(set(result.check.report), key=str):
            print(f"  {problem.display(str(args.source))}", file=sys.stderr)
        return 1
    print(f"all {result.signed_files} signed files verify")
    return 0


def signature_table(rows: tuple[SignatureRow, ...]) -> list[str]:
    """The rows as aligned text lines under a FILE / SIGNER / KEY / STATUS header."""
    cells = [("FILE", "SIGNER", "KEY", "STATUS")]
    cells += [(row.file, row.signer, row.fingerprint, row.status) for row in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(3)]
    return [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(line, widths, strict=False)), line[3]]
        ).rstrip()
        for line in cells
    ]
