"""What ``regsite owner`` and ``regsite curator`` share: both declare key holders in
registry.toml with ``add ID --name --key…``, and rotate their keys with ``add-key`` and
``revoke-key``; only the nouns, the help and the advice after a revocation differ."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.cli.edits import edit_arguments, print_edit, sign_option, source_option
from regsite.commands.owner import KeyRevoked
from regsite.commands.sign import SourceEdit

__all__ = ["KeyHolder", "add_holder_command", "add_key_commands", "print_revoked"]


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Who holds the keys (owners of packages, curators of amendments), in the CLI's words."""

    noun: str  # "owner": names the ID argument (owner_id, owner) and the help
    article: str  # "an" or "a", before the noun in help texts
    key_help: str  # what ``add --key`` takes
    revoked_advice: str  # printed after "KEY is revoked; "


def print_revoked(holder: KeyHolder, key: str, revoked: KeyRevoked) -> int:
    """The files ``revoke-key`` changed, the signatures it removed, and what to sign again."""
    print_edit(revoked.edit)
    for path in revoked.unsigned:
        print(f"removed the revoked key's signature from {path}")
    print(f"{key} is revoked; {holder.revoked_advice}")
    return 0


def add_holder_command(
    actions: Subcommands,
    holder: KeyHolder,
    *,
    help_text: str,
    id_help: str,
    handler: Dispatch[Any, SourceEdit],
    more: Callable[[argparse.ArgumentParser], None] = lambda command: None,
) -> None:
    """``add ID --name NAME --key PUBKEY…``, then ``more``'s options, ``--url`` and the edit
    options (``-C``, ``--sign``)."""
    command = actions.add_parser("add", help=help_text)
    command.add_argument(f"{holder.noun}_id", metavar="ID", help=id_help)
    command.add_argument("--name", required=True, help="display name")
    command.add_argument(
        "--key", action="append", required=True, metavar="PUBKEY", help=holder.key_help
    )
    more(command)
    command.add_argument("--url", help=f"the {holder.noun}'s web page")
    edit_arguments(command)
    command.set_defaults(handler=handler)


def add_key_commands(
    actions: Subcommands,
    holder: KeyHolder,
    *,
    add_key: Dispatch[Any, SourceEdit],
    revoke_key: Dispatch[Any, KeyRevoked],
) -> None:
    """``add-key ID PUBKEY`` and ``revoke-key ID PUBKEY``, each signed by a root key."""
    who = f"{holder.article} {holder.noun}"
    add = actions.add_parser("add-key", help=f"give {who} a new key (before revoking the old)")
    revoke = actions.add_parser(
        "revoke-key", help=f"remove {who}'s key and list it in [trust] revoked-keys"
    )
    for command in (add, revoke):
        command.add_argument(holder.noun, metavar="ID", help=f"the {holder.noun}'s id")
        command.add_argument("key", metavar="PUBKEY", help="the public key, ed25519:...")
        source_option(command)
        sign_option(command, "root key that signs registry.toml")
    add.set_defaults(handler=add_key)
    revoke.set_defaults(handler=revoke_key)
