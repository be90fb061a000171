"""``regsite package new`` and ``regsite package readme``."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.cli.edits import edit_arguments, edit_options, print_edit
from regsite.commands.package import (
    PackageInfo,
    PackageNewOptions,
    PackageReadmeOptions,
    package_new,
    package_readme,
)
from regsite.commands.sign import SourceEdit

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite package`` and its actions, each handled by a Dispatch."""
    package = commands.add_parser("package", help="create packages and update their README hash")
    actions = command_group(package, "what to do with packages")
    command = actions.add_parser("new", help="create a package and delegate its name")
    command.add_argument("name", help="package name, normalised (e.g. http-kit)")
    command.add_argument(
        "--owner", action="append", required=True, help="owner id who may sign it; repeatable"
    )
    command.add_argument(
        "--threshold", type=int, default=1, help="owners who must sign (default 1)"
    )
    command.add_argument("--description", required=True, help="one-line description")
    command.add_argument("--license", help="SPDX license expression, e.g. MIT")
    command.add_argument("--homepage", metavar="URL", help="project home page")
    command.add_argument("--repository", metavar="URL", help="source repository")
    command.add_argument("--documentation", metavar="URL", help="documentation")
    command.add_argument(
        "--keyword", action="append", default=[], help="a search keyword; repeatable"
    )
    edit_arguments(command)
    command.set_defaults(handler=Dispatch(_new_options, package_new, _show))
    readme = actions.add_parser("readme", help="record the README's sha256 in package.toml")
    readme.add_argument("name", help="package name")
    readme.add_argument(
        "--file", default="README.md", help="file beside package.toml (default README.md)"
    )
    edit_arguments(readme)
    readme.set_defaults(handler=Dispatch(_readme_options, package_readme, _show))


def _new_options(args: argparse.Namespace) -> PackageNewOptions:
    info = PackageInfo(
        description=args.description,
        license=args.license,
        homepage=args.homepage,
        repository=args.repository,
        documentation=args.documentation,
        keywords=args.keyword,
    )
    return PackageNewOptions(
        edit=edit_options(args),
        name=args.name,
        owners=tuple(args.owner),
        threshold=args.threshold,
        info=info,
    )


def _readme_options(args: argparse.Namespace) -> PackageReadmeOptions:
    return PackageReadmeOptions(edit=edit_options(args), name=args.name, file=args.file)


def _show(args: argparse.Namespace, edit: SourceEdit) -> int:
    print_edit(edit)
    return 0
