"""``regsite init``: create a new registry source directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from regsite.cli.dispatch import Dispatch, GivenOnce, Subcommands
from regsite.commands.init import InitOptions, InitResult, init_registry

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite init`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser("init", help="create a new registry source directory")
    command.add_argument("directory", type=Path, help="the registry's source directory")
    command.add_argument("--name", required=True, help="registry identifier, e.g. orchard")
    command.add_argument("--title", required=True, help="title shown on the site")
    command.add_argument(
        "--root-key",
        required=True,
        metavar="KEY",
        help="root private key file (created if missing), env:VARIABLE, or a public key"
        " ed25519:... whose holder signs registry.toml later",
    )
    command.add_argument("--description", help="one paragraph shown on the home page")
    command.add_argument(
        "--base-url", metavar="URL", help="absolute URL the site is served from (feeds, sitemap)"
    )
    command.add_argument(
        "--install",
        metavar="TEMPLATE",
        help="install line shown on package pages, e.g. 'tool add {name}@{version}'",
    )
    command.add_argument(
        "--online-key",
        action=GivenOnce,
        metavar="KEY",
        help="online private key file (created if missing) or public key that will sign the"
        " published metadata; writes metadata/1.root.json",
    )
    command.set_defaults(handler=Dispatch(_options, init_registry, _show))


def _options(args: argparse.Namespace) -> InitOptions:
    return InitOptions(
        directory=args.directory,
        name=args.name,
        title=args.title,
        root_key=args.root_key,
        description=args.description,
        base_url=args.base_url,
        install=args.install,
        online_key=args.online_key,
    )


def _show(args: argparse.Namespace, result: InitResult) -> int:
    if result.created_key is not None:
        print(f"wrote root private key {result.created_key} (keep it secret, out of git)")
    if result.created_online_key is not None:
        print(f"wrote online private key {result.created_online_key} (store it as a CI secret)")
    print(f"wrote {args.directory}/.gitignore (*.key) and .gitattributes (signed files byte-exact)")
    _print_signatures(args.directory, result)
    return 0


def _print_signatures(directory: Path, result: InitResult) -> None:
    root = result.root_key.fingerprint
    if result.signed:
        print(f"created {result.registry_file}, signed by root key {root}")
    else:
        print(f"created {result.registry_file}, not signed yet (only the root's public key given)")
    status = result.root_file
    if status is not None and result.online_key is not None:
        state = "signed" if status.complete else "not signed yet"
        print(f"wrote {status.path}, {state}: online key {result.online_key.fingerprint}")
        if not status.complete:
            print(f"the holder of root key {root} signs both files with:")
            print(f"  regsite root sign {status.path} -C {directory} --key KEY")
            return
    if not result.signed:
        print(f"the holder of root key {root} signs it with:")
        print(f"  regsite sign {result.registry_file} --key KEY")
