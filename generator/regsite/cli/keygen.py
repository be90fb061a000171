"""``regsite keygen``: create an ed25519 private key file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.commands.keygen import generate_key_file
from regsite.keys import PublicKey

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite keygen`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser("keygen", help="create an ed25519 private key file (mode 0600)")
    command.add_argument(
        "path", type=Path, help="where to write the private key (missing directories are made)"
    )
    command.set_defaults(handler=Dispatch(_options, generate_key_file, _show))


def _options(args: argparse.Namespace) -> Path:
    return Path(args.path)


def _show(args: argparse.Namespace, public: PublicKey) -> int:
    print(f"wrote private key {args.path} (keep it secret)", file=sys.stderr)
    print(f"fingerprint {public.fingerprint}", file=sys.stderr)
    print(public)
    return 0
