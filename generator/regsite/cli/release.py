"""``regsite release add``."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    command.add_argument(
        "version",
        nargs="?",
        help="in the registry's version scheme; stored in its normal form (with --from-wheel or"
        " --from-crate: read from the files, or checked against them)",
    )
    _artifact_arguments(command)
    _crate_arguments(command)
    _file_arguments(command)
    _release_arguments(command)
    edit_arguments(command)
    command.set_defaults(handler=Dispatch(_options, release_add, _show))


def _artifact_arguments(command: argparse.ArgumentParser) -> None:
    """``--artifact URL --sha256 HEX --size N``, one of each per file."""
    command.add_argument(
        "--artifact",
        action="append",
        default=[],
        metavar="URL",
        help="http(s) URL of a file of this release; repeatable (with --from-crate: the"
        " crate's URL, instead of hosting it)",
    )
    command.add_argument(
        "--sha256", action="append", default=[], metavar="HEX", help="one per --artifact"
    )
    command.add_argument(
        "--size", action="append", default=[], type=int, help="bytes, one per --artifact"
    )


def _crate_arguments(command: argparse.ArgumentParser) -> None:
    """``--from-crate FILE`` and the ``--index-url`` its Cargo.toml names."""
    command.add_argument(
        "--from-crate",
        type=Path,
        metavar="FILE",
        help="a .crate (cargo package): its version, dependencies, features, links and"
        " rust-version; hosted in packages/NAME/files/ unless --artifact gives its URL",
    )
    command.add_argument(
        "--index-url",
        metavar="URL",
        help="with --from-crate: this registry's cargo index as the crate's Cargo.toml names it"
        " (default: sparse+BASE-URL/cargo/ from registry.toml)",
    )


def _release_arguments(command: argparse.ArgumentParser) -> None:
    """``--requires REQ…`` and ``--published``."""
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


def _file_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--from-wheel",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="make the release from wheels: version, dependencies, Requires-Python, hashes;"
        " repeatable",
    )
    command.add_argument("--from-sdist", type=Path, metavar="FILE", help="and its sdist")
    where = command.add_mutually_exclusive_group()
    where.add_argument(
        "--url-prefix",
        metavar="URL",
        help="the files are not hosted by the site but at URL/<file> (e.g. a release page)",
    )
    where.add_argument(
        "--no-copy",
        action="store_true",
        help="hosted, but not copied into packages/NAME/files/: give them to"
        " 'regsite build --files DIR' as DIR/NAME/<file>",
    )


def _options(args: argparse.Namespace) -> ReleaseAddOptions:
    return ReleaseAddOptions(
        edit=edit_options(args),
        name=args.name,
        version=args.version,
        artifacts=_artifacts(args),
        requires=tuple(args.requires),
        published=args.published,
        wheels=tuple(args.from_wheel),
        sdist=args.from_sdist,
        url_prefix=args.url_prefix,
        copy=not args.no_copy,
        from_crate=args.from_crate,
        index_url=args.index_url,
    )


def _artifacts(args: argparse.Namespace) -> tuple[ArtifactSpec, ...]:
    """The --artifact options, as each way of making a release takes them."""
    if args.from_crate is not None:
        if args.from_wheel or args.from_sdist:
            raise SourceEditError("give --from-crate, or --from-wheel/--from-sdist, not both")
        if args.sha256 or args.size:
            raise SourceEditError("--from-crate reads the crate's sha256 and size itself")
        return tuple(ArtifactSpec(url, "", 0) for url in args.artifact)
    if not len(args.artifact) == len(args.sha256) == len(args.size):
        raise SourceEditError("give one --sha256 and one --size for each --artifact")
    files = bool(args.from_wheel or args.from_sdist)
    if not files and (args.version is None or not args.artifact):
        raise SourceEditError(
            "give VERSION and --artifact URL --sha256 HEX --size BYTES, or the files:"
            " --from-wheel FILE [--from-sdist FILE], or --from-crate FILE"
        )
    return tuple(
        ArtifactSpec(url, digest, size)
        for url, digest, size in zip(args.artifact, args.sha256, args.size, strict=True)
    )


def _show(args: argparse.Namespace, added: ReleaseAdded) -> int:
    if added.normal_form is not None:
        print(f"version {args.version!r} is recorded in its normal form, {added.normal_form}")
    if args.from_wheel or args.from_sdist or args.from_crate:
        print(f"release {added.version} of {args.name}, read from its files")
    for path in added.hosted:
        print(f"wrote {path} (published by the site; commit it)")
    print_edit(added.edit)
    return 0
