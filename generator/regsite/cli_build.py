"""``regsite build``: its options, the progress shown while it runs and its closing summary."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from regsite.build import BuildOptions, BuildResult, build, source_date_epoch
from regsite.errors import RegistryError
from regsite.keys import PrivateKey, load_private_key, parse_public_key
from regsite.load import ROOT_METADATA_DIR
from regsite.metadata.layout import TIMESTAMP_FILE
from regsite.pipeline import default_jobs
from regsite.progress import LineProgress, NullProgress, Progress, TerminalProgress
from regsite.report import report_markdown
from regsite.verify import PinnedRoot

__all__ = ["add_build_command", "build_summary", "pin_options", "pinned_root"]


def add_build_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("build", help="build the static site from a source directory")
    command.add_argument("source", type=Path, help="registry source directory")
    command.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    command.add_argument("--base-url", help="absolute URL the site is served from")
    command.add_argument("--theme", type=Path, help="directory of templates overriding the theme")
    signing = command.add_mutually_exclusive_group()
    signing.add_argument(
        "--online-key",
        metavar="KEY",
        help="sign the metadata with this key (file or env:VAR); default $REGSITE_ONLINE_KEY",
    )
    signing.add_argument(
        "--unsigned", action="store_true", help="publish no metadata (a local preview only)"
    )
    command.add_argument(
        "--previous",
        type=Path,
        metavar="DIR",
        help="the site published last (for metadata versions and the old versions kept);"
        " default: the output directory",
    )
    command.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep what later builds can reuse here (save and restore it in CI);"
        " default: none, everything is recomputed",
    )
    command.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        metavar="N",
        help=f"worker processes (default: one per core, {default_jobs()} here)",
    )
    command.add_argument(
        "--report-md",
        type=Path,
        metavar="FILE",
        help="also write what changed since the previous build as Markdown (for a pull request)",
    )
    command.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but warnings and errors"
    )
    pin_options(command)
    command.set_defaults(handler=_build)


def _jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(
            f"expected a number of processes from 1 to 256, got {text!r}"
        )
    return int(text)


def pin_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--root-key",
        action="append",
        default=[],
        metavar="PUBKEY",
        help="pin a trusted root key (ed25519:...); repeatable; default $REGSITE_ROOT_KEYS",
    )
    command.add_argument(
        "--root-threshold", type=int, default=1, help="pinned root keys that must sign (default 1)"
    )


def pinned_root(args: argparse.Namespace) -> PinnedRoot | None:
    texts = args.root_key or os.environ.get("REGSITE_ROOT_KEYS", "").split()
    if not texts:
        return None
    try:
        keys = frozenset(parse_public_key(text) for text in texts)
    except ValueError as exc:
        raise RegistryError(f"--root-key / REGSITE_ROOT_KEYS: {exc}") from exc
    if not 1 <= args.root_threshold <= len(keys):
        raise RegistryError(f"--root-threshold must be between 1 and {len(keys)}")
    return PinnedRoot(keys=keys, threshold=args.root_threshold)


def _build(args: argparse.Namespace) -> int:
    epoch = source_date_epoch()
    progress = _progress(args.quiet, args.verbose)
    options = BuildOptions(
        source=args.source,
        output=args.output,
        base_url=args.base_url,
        theme=args.theme,
        source_date_epoch=epoch,
        pinned_root=pinned_root(args),
        online_key=_online_key(args),
        previous=args.previous,
        signing_time=None if epoch is None else datetime.fromtimestamp(epoch, UTC),
        cache=args.cache,
        jobs=args.jobs,
        progress=progress,
    )
    if options.online_key is None and (args.output / TIMESTAMP_FILE).is_file():
        print(
            f"warning: {args.output} holds a signed site; after this unsigned build, the next"
            " signed one needs --previous (a copy of it) to continue its metadata versions",
            file=sys.stderr,
        )
    result = build(options)
    if args.report_md is not None:
        title = result.site.registry.title
        _write_text(args.report_md, report_markdown(result.changes, title))
    if not args.quiet:
        print(build_summary(result, args.output, stages=not progress.prints_stages))
    _print_signing(options, result, args.quiet)
    return 0


def _print_signing(options: BuildOptions, result: BuildResult, quiet: bool) -> None:
    """Whether clients can verify what was built, and until when."""
    if options.online_key is None:
        if not quiet:
            print("no metadata signed (--unsigned): clients cannot verify this site")
    elif options.signing_time is not None:
        expires = options.signing_time + result.site.registry.policy.timestamp_expires
        if expires < datetime.now(UTC):
            print(
                "warning: signed at SOURCE_DATE_EPOCH, the timestamp expired at"
                f" {expires:%Y-%m-%d %H:%M}Z; run 'regsite timestamp refresh' before publishing",
                file=sys.stderr,
            )


def build_summary(result: BuildResult, output: Path, stages: bool = True) -> str:
    """The closing lines of a build: what was built, what changed on disk, and (``stages``)
    where the time went."""
    site = result.site
    changes = result.changes
    if changes.first_build:
        diff = "first build"
    else:
        diff = (
            f"{len(changes.packages_added)} packages added, {len(changes.packages_removed)}"
            f" removed, {len(changes.packages_changed)} changed;"
            f" {len(changes.releases_added)} releases added, {len(changes.yanked)} yanked"
        )
        if changes.keys:
            diff += f"; {len(changes.keys)} key changes"
    lines = [
        f"built {len(site.packages):,} packages, {site.release_count:,} releases into {output}"
        f" in {result.seconds:.2f}s ({diff})",
        f"  files: {result.files:,} ({result.bytes:,} bytes): {result.written:,} written,"
        f" {result.unchanged:,} unchanged, {result.removed:,} removed;"
        f" {result.rendered:,} packages rendered, {result.reused:,} read from the cache",
    ]
    if stages:
        times = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in result.stages)
        lines.append(f"  stages: {times}")
    return "\n".join(lines)


def _progress(quiet: bool, verbose: bool) -> Progress:
    if quiet:
        return NullProgress()
    if sys.stderr.isatty() and not verbose:
        return TerminalProgress()
    return LineProgress()


def _write_text(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{path}: cannot write the report: {exc.strerror}") from exc


def _online_key(args: argparse.Namespace) -> PrivateKey | None:
    """The key that signs the metadata; a registry with a root must be signed or say --unsigned."""
    if args.unsigned:
        return None
    reference = args.online_key or (
        "env:REGSITE_ONLINE_KEY" if os.environ.get("REGSITE_ONLINE_KEY") else None
    )
    if reference is not None:
        return load_private_key(reference)
    if (args.source / ROOT_METADATA_DIR).is_dir():
        raise RegistryError(
            f"{args.source / ROOT_METADATA_DIR}: this registry publishes signed metadata; give the"
            " online key with --online-key KEY (or $REGSITE_ONLINE_KEY), or build a preview"
            " with --unsigned"
        )
    return None
