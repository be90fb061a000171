"""``regsite curator add``, ``add-key`` and ``revoke-key``."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.cli.edits import edit_arguments, edit_options, print_edit, sign_option, source_option
from regsite.commands.curator import (
    CuratorAddOptions,
    CuratorKeyOptions,
    curator_add,
    curator_add_key,
    curator_revoke_key,
)
from regsite.commands.owner import KeyRevoked
from regsite.commands.sign import SourceEdit

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite curator`` and its actions, each handled by a Dispatch."""
    curator = commands.add_parser(
        "curator", help="manage curators, their keys and the packages they may amend"
    )
    actions = command_group(curator, "what to do with curators")
    command = actions.add_parser("add", help="declare a curator, its keys and its packages")
    command.add_argument("curator_id", metavar="ID", help="curator id, e.g. ci-team")
    command.add_argument("--name", required=True, help="display name")
    command.add_argument(
        "--key",
        action="append",
        required=True,
        metavar="PUBKEY",
        help="public key ed25519:... of its own (not an owner's); repeatable",
    )
    command.add_argument(
        "--package",
        action="append",
        required=True,
        metavar="NAME",
        help="a package it may amend, or a prefix ending in '*' ('http-*', '*'); repeatable",
    )
    command.add_argument("--url", help="the curator's web page")
    edit_arguments(command)
    command.set_defaults(handler=Dispatch(_add_options, curator_add, _show_edit))
    add = actions.add_parser("add-key", help="give a curator a new key (before revoking the old)")
    revoke = actions.add_parser(
        "revoke-key", help="remove a curator's key and list it in [trust] revoked-keys"
    )
    for action in (add, revoke):
        action.add_argument("curator", metavar="ID", help="the curator's id")
        action.add_argument("key", metavar="PUBKEY", help="the public key, ed25519:...")
        source_option(action)
        sign_option(action, "root key that signs registry.toml")
    add.set_defaults(handler=Dispatch(_key_options, curator_add_key, _show_edit))
    revoke.set_defaults(handler=Dispatch(_key_options, curator_revoke_key, _show_revoked))


def _add_options(args: argparse.Namespace) -> CuratorAddOptions:
    return CuratorAddOptions(
        edit=edit_options(args),
        curator_id=args.curator_id,
        name=args.name,
        keys=tuple(args.key),
        packages=tuple(args.package),
        url=args.url,
    )


def _key_options(args: argparse.Namespace) -> CuratorKeyOptions:
    return CuratorKeyOptions(edit=edit_options(args), curator=args.curator, key=args.key)


def _show_edit(args: argparse.Namespace, edit: SourceEdit) -> int:
    print_edit(edit)
    return 0


def _show_revoked(args: argparse.Namespace, revoked: KeyRevoked) -> int:
    print_edit(revoked.edit)
    for path in revoked.unsigned:
        print(f"removed the revoked key's signature from {path}")
    print(
        f"{args.key} is revoked; amendments no longer signed by enough curators fail to build:"
        " sign them with a curator's key (regsite sign FILE --key KEY)"
    )
    return 0
