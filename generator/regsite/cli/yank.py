"""``regsite yank``: mark a release yanked."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.cli.edits import edit_arguments, edit_options, print_edit
from regsite.commands.sign import SourceEdit
from regsite.commands.yank import YankOptions, yank

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite yank`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser("yank", help="mark a release yanked, with a reason")
    command.add_argument("name", help="package name")
    command.add_argument("version", help="the release's version, in any spelling of it")
    command.add_argument("--reason", required=True, help="why, shown to users")
    edit_arguments(command)
    command.set_defaults(handler=Dispatch(_options, yank, _show))


def _options(args: argparse.Namespace) -> YankOptions:
    return YankOptions(
        edit=edit_options(args), name=args.name, version=args.version, reason=args.reason
    )


def _show(args: argparse.Namespace, edit: SourceEdit) -> int:
    print_edit(edit)
    return 0
