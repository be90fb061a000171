"""``regsite sign``: sign registry.toml, package.toml or advisory files, or remove a signature."""

from __future__ import annotations

import argparse
from pathlib import Path

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.commands.sign import FilesSigned, SignOptions, sign_files
from regsite.commands.signing_progress import SigningProgress

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
        action="append",
        metavar="KEY",
        help="sign with this private key file, or env:VARIABLE; it must be a key the build"
        " accepts on every FILE; repeatable (each key adds its signature)",
    )
    how.add_argument(
        "--remove",
        action="append",
        metavar="PUBKEY",
        help="remove the signature by this key (ed25519:... or its SHA256: fingerprint);"
        " repeatable",
    )
    command.set_defaults(handler=Dispatch(_options, sign_files, _show))


def _options(args: argparse.Namespace) -> SignOptions:
    return SignOptions(
        files=tuple(args.files), keys=tuple(args.key or ()), remove=tuple(args.remove or ())
    )


def _show(args: argparse.Namespace, result: FilesSigned) -> int:
    for removal in result.removed:
        for key in removal.keys:
            print(f"removed the signature by {key.fingerprint} from {removal.path}.sig")
    for outcome in result.signed:
        print(f"signed {outcome.path} with {outcome.key.fingerprint}")
        for stale in outcome.dropped:
            print(f"  removed signature by {stale.fingerprint} (no longer valid, or revoked)")
    for progress in result.progress:
        _show_progress(progress)
    return 0


def _show_progress(progress: SigningProgress) -> None:
    """Whether the build now accepts the file's signatures, or what it still needs."""
    if progress.complete:
        print(f"{progress.path} is signed as the build requires")
        return
    print(f"{progress.path} still needs signatures before it builds:")
    for missing in progress.missing:
        print(f"  {missing}")
