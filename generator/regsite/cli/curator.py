"""``regsite curator add``, ``add-key`` and ``revoke-key``."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.cli.edits import edit_options, print_edit
from regsite.cli.key_holders import KeyHolder, add_holder_command, add_key_commands, print_revoked
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

CURATOR = KeyHolder(
    noun="curator",
    article="a",
    key_help="public key ed25519:... of its own (not an owner's); repeatable",
    revoked_advice="amendments no longer signed by enough curators fail to build: sign them"
    " with a curator's key (regsite sign FILE --key KEY)",
)


def add_command(commands: Subcommands) -> None:
    """Add ``regsite curator`` and its actions, each handled by a Dispatch."""
    curator = commands.add_parser(
        "curator", help="manage curators, their keys and the packages they may amend"
    )
    actions = command_group(curator, "what to do with curators")
    add_holder_command(
        actions,
        CURATOR,
        help_text="declare a curator, its keys and its packages",
        id_help="curator id, e.g. ci-team",
        handler=Dispatch(_add_options, curator_add, _show_edit),
        more=_package_option,
    )
    add_key_commands(
        actions,
        CURATOR,
        add_key=Dispatch(_key_options, curator_add_key, _show_edit),
        revoke_key=Dispatch(_key_options, curator_revoke_key, _show_revoked),
    )


def _package_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--package",
        action="append",
        required=True,
        metavar="NAME",
        help="a package it may amend, or a prefix ending in '*' ('http-*', '*'); repeatable",
    )


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
    return print_revoked(CURATOR, args.key, revoked)
