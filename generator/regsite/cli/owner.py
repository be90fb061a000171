"""``regsite owner add``, ``add-key`` and ``revoke-key``."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.cli.edits import edit_arguments, edit_options, print_edit, sign_option, source_option
from regsite.commands.owner import (
    KeyRevoked,
    OwnerAddOptions,
    OwnerKeyOptions,
    owner_add,
    owner_add_key,
    owner_revoke_key,
)
from regsite.commands.sign import SourceEdit

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite owner`` and its actions, each handled by a Dispatch."""
    owner = commands.add_parser("owner", help="manage owners and their keys in registry.toml")
    actions = command_group(owner, "what to do with owners")
    command = actions.add_parser("add", help="declare an owner and their public keys")
    command.add_argument("owner_id", metavar="ID", help="owner id, e.g. ada (normalised)")
    command.add_argument("--name", required=True, help="display name")
    command.add_argument(
        "--key",
        action="append",
        required=True,
        metavar="PUBKEY",
        help="public key ed25519:... (as regsite keygen prints it); repeatable",
    )
    command.add_argument("--url", help="the owner's web page")
    edit_arguments(command)
    command.set_defaults(handler=Dispatch(_add_options, owner_add, _show_edit))
    _add_key_commands(actions)


def _add_key_commands(actions: Subcommands) -> None:
    add = actions.add_parser("add-key", help="give an owner a new key (before revoking the old)")
    revoke = actions.add_parser(
        "revoke-key", help="remove an owner's key and list it in [trust] revoked-keys"
    )
    for command in (add, revoke):
        command.add_argument("owner", metavar="ID", help="the owner's id")
        command.add_argument("key", metavar="PUBKEY", help="the public key, ed25519:...")
        source_option(command)
        sign_option(command, "root key that signs registry.toml")
    add.set_defaults(handler=Dispatch(_key_options, owner_add_key, _show_edit))
    revoke.set_defaults(handler=Dispatch(_key_options, owner_revoke_key, _show_revoked))


def _add_options(args: argparse.Namespace) -> OwnerAddOptions:
    return OwnerAddOptions(
        edit=edit_options(args),
        owner_id=args.owner_id,
        name=args.name,
        keys=tuple(args.key),
        url=args.url,
    )


def _key_options(args: argparse.Namespace) -> OwnerKeyOptions:
    return OwnerKeyOptions(edit=edit_options(args), owner=args.owner, key=args.key)


def _show_edit(args: argparse.Namespace, edit: SourceEdit) -> int:
    print_edit(edit)
    return 0


def _show_revoked(args: argparse.Namespace, revoked: KeyRevoked) -> int:
    print_edit(revoked.edit)
    for path in revoked.unsigned:
        print(f"removed the revoked key's signature from {path}")
    print(
        f"{args.key} is revoked; a package no longer signed by enough owners fails to build:"
        " sign it with the owner's new key (regsite sign FILE --key KEY)"
    )
    return 0
