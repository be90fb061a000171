"""``regsite release add``."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.cli.edits import edit_arguments, edit_options, print_edit
from regsite.commands.release import ArtifactSpec, ReleaseAdded, ReleaseAddOptions, release_add
from regsite.errors import SourceEditError

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite release`` and its actions, each handled by a Dispatch."""
    release = commands.add_parser("release", help="add releases to a package")
    actions = command_group(release, "what to do with releases")
    command = actions.add_parser("add", help="append a release to a package's version index")
    command.add_argument("name", help="package name")
    command.add_argument("version", help="PEP 440 version; stored in its normal form")
    command.add_argument(
        "--artifact",
        action="append",
        required=True,
        metavar="URL",
        help="http(s) URL of a file of this release; repeatable",
    )
    command.add_argument(
        "--sha256", action="append", required=True, metavar="HEX", help="one per --artifact"
    )
    command.add_argument(
        "--size", action="append", required=True, type=int, help="bytes, one per --artifact"
    )
    command.add_argument(
        "--requires",
        action="append",
        default=[],
        metavar="REQ",
        help="e.g. 'dep>=1', or 'UPSTREAM:dep>=1' for one from an [[upstream]]; repeatable",
    )
    command.add_argument(
        "--published",
        metavar="ISO8601",
        help="publish time, e.g. 2026-03-01T12:00:00Z (default: now, or $SOURCE_DATE_EPOCH)",
    )
    edit_arguments(command)
    command.set_defaults(handler=Dispatch(_options, release_add, _show))


def _options(args: argparse.Namespace) -> ReleaseAddOptions:
    if not len(args.artifact) == len(args.sha256) == len(args.size):
        raise SourceEditError("give one --sha256 and one --size for each --artifact")
    artifacts = tuple(
        ArtifactSpec(url, digest, size)
        for url, digest, size in zip(args.artifact, args.sha256, args.size, strict=True)
    )
    return ReleaseAddOptions(
        edit=edit_options(args),
        name=args.name,
        version=args.version,
        artifacts=artifacts,
        requires=tuple(args.requires),
        published=args.published,
    )


def _show(args: argparse.Namespace, added: ReleaseAdded) -> int:
    if added.normal_form is not None:
        print(f"version {args.version!r} is recorded in its normal form, {added.normal_form}")
    print_edit(added.edit)
    return 0
