"""``regsite completion SHELL``: print a completion script made from the parser itself."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.commands.completion import SHELLS, CompletionOptions, completion_script

__all__ = ["add_command"]


def add_command(commands: Subcommands, parser: argparse.ArgumentParser) -> None:
    """``parser`` is regsite's whole parser, whose commands the script completes."""
    command = commands.add_parser(
        "completion", help="print a shell completion script (see README: Shell completion)"
    )
    command.add_argument("shell", choices=SHELLS, help="the shell to complete in")

    def options(args: argparse.Namespace) -> CompletionOptions:
        return CompletionOptions(parser=parser, shell=args.shell)

    command.set_defaults(handler=Dispatch(options, completion_script, _show))


def _show(args: argparse.Namespace, script: str) -> int:
    print(script, end="")
    return 0
