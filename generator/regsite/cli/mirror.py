"""``regsite mirror``: a verified mirror of a registry's site, for anyone to serve."""

from __future__ import annotations

import argparse
from pathlib import Path

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.client.mirror import MIRROR_JOBS
from regsite.commands.mirror import MirrorOptions, MirrorResult, mirror_registry
from regsite.errors import printable

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite mirror`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser(
        "mirror", help="write a verified mirror of a registry's site (same signed bytes)"
    )
    command.add_argument("url", metavar="URL_OR_DIR", help="the registry's site: URL or directory")
    command.add_argument(
        "-o", "--output", type=Path, required=True, metavar="DIR", help="the mirror's directory"
    )
    command.add_argument(
        "--root",
        type=Path,
        help="the root to pin (N.root.json); default: the mirror's own, else trust on first use",
    )
    command.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        default=MIRROR_JOBS,
        metavar="N",
        help=f"files fetched at once (default {MIRROR_JOBS})",
    )
    command.set_defaults(handler=Dispatch(_options, mirror_registry, _show))


def _jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"expected a number from 1 to 64, got {text!r}")
    return int(text)


def _options(args: argparse.Namespace) -> MirrorOptions:
    return MirrorOptions(url=args.url, output=args.output, root=args.root, jobs=args.jobs)


def _show(args: argparse.Namespace, result: MirrorResult) -> int:
    mirrored = result.mirrored
    kept = mirrored.targets - mirrored.fetched
    print(
        printable(
            f"mirrored {mirrored.url} into {mirrored.output}: {mirrored.targets} files"
            f" ({mirrored.fetched} fetched, {kept} already there) and {mirrored.metadata}"
            f" metadata files, snapshot version {mirrored.snapshot_version};"
            f" {mirrored.removed} removed"
        )
    )
    if result.first_use:
        print("trusted on first use; the root keys are:")
        for fingerprint in result.fingerprints:
            print(f"  {fingerprint}")
        print("compare them with ones the registry publishes elsewhere, or pin one with --root")
    return 0
