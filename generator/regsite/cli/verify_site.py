"""``regsite verify-site``: check every signature and hash of a published site."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.commands.verify_site import (
    SiteVerification,
    VerifySiteOptions,
    verify_published_site,
)

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite verify-site`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser(
        "verify-site", help="check every signature and hash of a published site"
    )
    command.add_argument("site", metavar="DIR_OR_URL", help="a built site: directory or URL")
    command.add_argument("--root", type=Path, required=True, help="the root to trust (N.root.json)")
    command.set_defaults(handler=Dispatch(_options, verify_published_site, _show))


def _options(args: argparse.Namespace) -> VerifySiteOptions:
    return VerifySiteOptions(site=args.site, root=args.root)


def _show(args: argparse.Namespace, result: SiteVerification) -> int:
    for problem in result.problems:
        print(f"problem: {problem}", file=sys.stderr)
    count = len(result.problems)
    verdict = "verified" if result.ok else f"FAILED with {count} problem{'s' if count > 1 else ''}"
    print(
        f"{result.url}: {verdict}: {result.files} files and {result.packages} packages' owner"
        " signatures checked"
    )
    return 0 if result.ok else 1
