"""``regsite sign``: sign registry.toml, package.toml or advisory files, or remove a signature."""

from __future__ import annotations

import argparse
from pathlib import Path

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.commands.sign import FilesSigned, SignOptions, sign_files

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite sign`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser(
        "sign",
        help="sign registry.toml, package.toml or advisories/*.json files, or remove a signature",
    )
    command.add_argument(
        "files",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="registry.toml, package.toml or advisories/ID.json files",
    )
    how = command.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--key",
        metavar="KEY",
        help="sign with this private key file, or env:VARIABLE; it must be a key the build"
        " accepts on every FILE",
    )
    how.add_argument(
        "--remove",
        metavar="PUBKEY",
        help="remove the signature by this key (ed25519:... or its SHA256: fingerprint)",
    )
    command.set_defaults(handler=Dispatch(_options, sign_files, _show))


def _options(args: argparse.Namespace) -> SignOptions:
    return SignOptions(files=tuple(args.files), key=args.key, remove=args.remove)


def _show(args: argparse.Namespace, result: FilesSigned) -> int:
    for removal in result.removed:
        for key in removal.keys:
            print(f"removed the signature by {key.fingerprint} from {removal.path}.sig")
    for outcome in result.signed:
        print(f"signed {outcome.path} with {outcome.key.fingerprint}")
        for stale in outcome.dropped:
            print(f"  removed signature by {stale.fingerprint} (no longer valid, or revoked)")
    return 0
