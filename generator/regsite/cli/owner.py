"""``regsite owner add``, ``add-key`` and ``revoke-key``."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.cli.edits import edit_options, print_edit
from regsite.cli.key_holders import KeyHolder, add_holder_command, add_key_commands, print_revoked
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

OWNER = KeyHolder(
    noun="owner",
    article="an",
    key_help="public key ed25519:... (as regsite keygen prints it); repeatable",
    revoked_advice="a package no longer signed by enough owners fails to build: sign it with the"
    " owner's new key (regsite sign FILE --key KEY)",
)


def add_command(commands: Subcommands) -> None:
    """Add ``regsite owner`` and its actions, each handled by a Dispatch."""
    owner = commands.add_parser("owner", help="manage owners and their keys in registry.toml")
    actions = command_group(owner, "what to do with owners")
    add_holder_command(
        actions,
        OWNER,
        help_text="declare an owner and their public keys",
        id_help="owner id, e.g. ada (normalised)",
        handler=Dispatch(_add_options, owner_add, _show_edit),
    )
    add_key_commands(
        actions,
        OWNER,
        add_key=Dispatch(_key_options, owner_add_key, _show_edit),
        revoke_key=Dispatch(_key_options, owner_revoke_key, _show_revoked),
    )


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
    return print_revoked(OWNER, args.key, revoked)
