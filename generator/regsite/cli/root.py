"""``regsite root update``, ``sign`` and ``status``: the root metadata that clients pin."""

from __future__ import annotations

import argparse
from pathlib import Path

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.cli.edits import sign_option, source_option
from regsite.commands.root import (
    RootSigned,
    RootSignOptions,
    RootUpdateOptions,
    RootVersion,
    root_sign,
    root_update,
    root_versions,
)
from regsite.commands.trust import RootStatus

__all__ = ["add_command", "print_root_status"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite root`` and its actions, each handled by a Dispatch."""
    root = commands.add_parser("root", help="the root metadata that clients pin")
    actions = command_group(root, "what to do with metadata/N.root.json")
    update = actions.add_parser(
        "update", help="write metadata/N+1.root.json from registry.toml [trust] (or renew it)"
    )
    source_option(update)
    sign_option(update, "root key (old or new) that signs the new root")
    update.set_defaults(handler=Dispatch(_update_options, root_update, _show_update))
    sign = actions.add_parser("sign", help="add a root key's signature to a root file")
    sign.add_argument("file", type=Path, help="the root file, metadata/N.root.json")
    sign.add_argument(
        "--key",
        action="append",
        required=True,
        metavar="KEY",
        help="root private key file, or env:VARIABLE; repeatable (each key adds its signature)",
    )
    source_option(sign)
    sign.set_defaults(handler=Dispatch(_sign_options, root_sign, _show_signed))
    show = actions.add_parser("status", help="each root version: keys, expiry, signatures")
    source_option(show)
    show.set_defaults(handler=Dispatch(_source, root_versions, _show_versions))


def print_root_status(status: RootStatus) -> int:
    """Whether the root file written is complete; 1 while it still needs signatures."""
    if status.complete:
        print(f"wrote {status.path} (root version {status.version}), fully signed")
        return 0
    print(f"wrote {status.path} (root version {status.version}); still needs:")
    for missing in status.missing:
        print(f"  {missing}")
    print(f"each remaining key holder runs: regsite root sign {status.path} --key KEY")
    return 1


def _update_options(args: argparse.Namespace) -> RootUpdateOptions:
    return RootUpdateOptions(source=args.source, sign=tuple(args.sign))


def _show_update(args: argparse.Namespace, status: RootStatus) -> int:
    return print_root_status(status)


def _sign_options(args: argparse.Namespace) -> RootSignOptions:
    return RootSignOptions(source=args.source, file=args.file, keys=tuple(args.key))


def _show_signed(args: argparse.Namespace, signed: RootSigned) -> int:
    for outcome in signed.registry:
        print(f"signed {outcome.path} with {outcome.key.fingerprint}")
    return print_root_status(signed.status)


def _source(args: argparse.Namespace) -> Path:
    return Path(args.source)


def _show_versions(args: argparse.Namespace, versions: tuple[RootVersion, ...]) -> int:
    if not versions:
        print("no root metadata yet: regsite root update --sign ROOT_KEY")
        return 1
    for version in versions:
        status = version.status
        state = "signed" if status.complete else "NEEDS " + "; ".join(status.missing)
        print(f"{version.name}: expires {version.expires}, {state}")
    return 0 if all(version.status.complete for version in versions) else 1
