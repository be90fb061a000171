"""What the commands that edit the source share on the command line: ``-C/--source``, ``--sign
KEY`` and the lines that say which files changed and which were signed."""

from __future__ import annotations

import argparse
from pathlib import Path

from regsite.cli.dispatch import print_warnings
from regsite.commands.sign import EditOptions, SourceEdit

__all__ = ["edit_arguments", "edit_options", "print_edit", "sign_option", "source_option"]


def source_option(command: argparse.ArgumentParser) -> None:
    """``-C DIR``: the registry source directory, by default the current one."""
    command.add_argument(
        "-C",
        "--source",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="registry source directory (default: the current directory)",
    )


def sign_option(command: argparse.ArgumentParser, what: str) -> None:
    """``--sign KEY``, repeatable; ``what`` says which keys are wanted."""
    command.add_argument(
        "--sign", action="append", default=[], metavar="KEY", help=f"{what}; repeatable"
    )


def edit_arguments(command: argparse.ArgumentParser) -> None:
    """``-C DIR`` and ``--sign KEY``, as every edit of packages and owners takes them."""
    source_option(command)
    sign_option(
        command,
        "sign the changed files this key may sign (a private key file or env:VARIABLE)",
    )


def edit_options(args: argparse.Namespace) -> EditOptions:
    """The ``-C`` and ``--sign`` an edit command was given."""
    return EditOptions(source=args.source, sign=tuple(args.sign))


def print_edit(edit: SourceEdit) -> None:
    """Why a key signed nothing, then each file changed and whether ``--sign`` signed it."""
    print_warnings(edit.warnings)
    signed = {outcome.path for outcome in edit.signing.signed}
    for path in edit.changed:
        if path in signed:
            print(f"updated {path} and signed")
        else:
            print(f"updated {path}; sign it: regsite sign {path} --key KEY")
