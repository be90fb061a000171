"""``regsite trust online-key`` and ``regsite trust root-keys``: rotate the keys."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.cli.edits import edit_options, print_edit, sign_option, source_option
from regsite.cli.root import print_root_status
from regsite.commands.trust import (
    OnlineKeyOptions,
    RootKeysOptions,
    TrustChanged,
    trust_online_key,
    trust_root_keys,
)

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite trust`` and its actions, each handled by a Dispatch."""
    trust = commands.add_parser("trust", help="rotate the root and online keys")
    actions = command_group(trust, "which keys to change")
    online = actions.add_parser("online-key", help="set the key that signs published metadata")
    online.add_argument("key", nargs="+", metavar="PUBKEY", help="new online key(s), ed25519:…")
    source_option(online)
    sign_option(online, "root key that signs registry.toml and the new root")
    online.set_defaults(handler=Dispatch(_online_options, trust_online_key, _show))
    roots = actions.add_parser("root-keys", help="add or remove root keys, set the threshold")
    roots.add_argument(
        "--add", action="append", default=[], metavar="PUBKEY", help="a new root key; repeatable"
    )
    roots.add_argument(
        "--remove",
        action="append",
        default=[],
        metavar="PUBKEY",
        help="a root key to retire; repeatable",
    )
    roots.add_argument("--threshold", type=int, help="root keys that must sign from now on")
    source_option(roots)
    sign_option(roots, "old and new root keys: a threshold of each must sign the new root")
    roots.set_defaults(handler=Dispatch(_root_keys_options, trust_root_keys, _show))


def _online_options(args: argparse.Namespace) -> OnlineKeyOptions:
    return OnlineKeyOptions(edit=edit_options(args), keys=tuple(args.key))


def _root_keys_options(args: argparse.Namespace) -> RootKeysOptions:
    return RootKeysOptions(
        edit=edit_options(args),
        add=tuple(args.add),
        remove=tuple(args.remove),
        threshold=args.threshold,
    )


def _show(args: argparse.Namespace, changed: TrustChanged) -> int:
    print_edit(changed.edit)
    return print_root_status(changed.root)
