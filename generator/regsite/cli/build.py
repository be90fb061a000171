"""``regsite build``: its options, the progress shown while it runs and its closing summary.
The signing policy and its warnings are :mod:`regsite.commands.build`'s."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from regsite.build import BuildResult
from regsite.cli.dispatch import Dispatch, GivenOnce, Subcommands, print_warnings
from regsite.commands.build import (
    DEFAULT_HOST_BUDGET,
    BuildRequest,
    RootPins,
    SiteBuilt,
    build_site,
    parse_size,
)
from regsite.fetch import FetchConfig
from regsite.progress import LineProgress, NullProgress, Progress, TerminalProgress
from regsite.upstreams import UpstreamOptions
from regsite.workers import default_jobs

__all__ = [
    "add_command",
    "build_summary",
    "pin_arguments",
    "pins",
    "upstream_arguments",
    "upstreams",
]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite build`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser("build", help="build the static site from a source directory")
    command.add_argument("source", type=Path, help="registry source directory")
    command.add_argument("-o", "--output", type=Path, required=True, help="output directory")
    command.add_argument("--base-url", help="absolute URL the site is served from")
    command.add_argument("--theme", type=Path, help="directory of templates overriding the theme")
    command.add_argument(
        "--files",
        type=Path,
        metavar="DIR",
        help="hosted artifacts kept out of the source, as DIR/<package>/<file>"
        " (packages/<package>/files/ in the source comes first)",
    )
    _signing_arguments(command)
    _run_arguments(command)
    pin_arguments(command)
    upstream_arguments(command)
    command.set_defaults(handler=Dispatch(_options, build_site, _show))


def _run_arguments(command: argparse.ArgumentParser) -> None:
    """How the build runs and what it says: ``--cache``, ``-j``, ``--report-md``, ``-q``."""
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


def _signing_arguments(command: argparse.ArgumentParser) -> None:
    """``--online-key`` or ``--unsigned``; ``--previous``, whose metadata versions continue."""
    signing = command.add_mutually_exclusive_group()
    signing.add_argument(
        "--online-key",
        action=GivenOnce,
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
        "--host-budget",
        type=_size,
        default=DEFAULT_HOST_BUDGET,
        metavar="SIZE",
        help="warn when the site's bytes near this (e.g. 1GB, 500MB; 0 never warns);"
        " default 1GB, GitHub Pages' limit",
    )


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _jobs(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 256:
        raise argparse.ArgumentTypeError(
            f"expected a number of processes from 1 to 256, got {text!r}"
        )
    return int(text)


def upstream_arguments(command: argparse.ArgumentParser) -> None:
    """``--upstream-mirror`` and ``--upstream-timeout``, as build and verify take them."""
    command.add_argument(
        "--upstream-mirror",
        action="append",
        default=[],
        type=_mirror,
        metavar="NAME=DIR",
        help="read upstream NAME from a mirror directory ('regsite mirror'), not its URL;"
        " repeatable",
    )
    command.add_argument(
        "--upstream-timeout",
        type=_seconds,
        default=FetchConfig().deadline,
        metavar="SECONDS",
        help="the most one fetch from an upstream may take (default %(default)g)",
    )


def upstreams(args: argparse.Namespace) -> UpstreamOptions:
    return UpstreamOptions(
        mirrors=dict(args.upstream_mirror), fetch=FetchConfig(deadline=args.upstream_timeout)
    )


def _mirror(text: str) -> tuple[str, Path]:
    name, equals, directory = text.partition("=")
    if not equals or not name or not directory:
        raise argparse.ArgumentTypeError(f"expected NAME=DIR, got {text!r:.60}")
    return name, Path(directory)


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"expected seconds from 0 to 3600, got {text!r:.40}")
    return seconds


def pin_arguments(command: argparse.ArgumentParser) -> None:
    """``--root-key`` and ``--root-threshold``, as build and verify take them."""
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


def pins(args: argparse.Namespace) -> RootPins:
    """The pinned root keys given; an empty tuple leaves them to $REGSITE_ROOT_KEYS."""
    return RootPins(keys=tuple(args.root_key), threshold=args.root_threshold)


def _options(args: argparse.Namespace) -> BuildRequest:
    return BuildRequest(
        source=args.source,
        output=args.output,
        base_url=args.base_url,
        theme=args.theme,
        online_key=args.online_key,
        unsigned=args.unsigned,
        previous=args.previous,
        cache=args.cache,
        jobs=args.jobs,
        report_md=args.report_md,
        host_budget=args.host_budget,
        files=args.files,
        pins=pins(args),
        progress=_progress(args.quiet, args.verbose),
        upstreams=upstreams(args),
    )


def _progress(quiet: bool, verbose: bool) -> Progress:
    if quiet:
        return NullProgress()
    if sys.stderr.isatty() and not verbose:
        return TerminalProgress()
    return LineProgress()


def _show(args: argparse.Namespace, built: SiteBuilt) -> int:
    if not args.quiet:
        stages = not _progress(args.quiet, args.verbose).prints_stages
        print(build_summary(built.result, args.output, stages=stages))
        if not built.signed:
            print("no metadata signed (--unsigned): clients cannot verify this site")
    print_warnings(built.warnings)
    return 0


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
    if site.packages:
        count = len(site.packages)
        lines.append(
            f"  per package: {result.bytes / count / 1000:,.1f} KB in"
            f" {result.files / count:,.1f} files, as a host serves them (links dereferenced)"
        )
    if site.packages:
        lines.append(
            f"  closures: {result.closures_changed:,} packages' closures changed (their pages"
            f" and documents are among those rendered), {result.closures:,} manifests computed"
            " (docs/portable.md)"
        )
    if stages:
        times = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in result.stages)
        lines.append(f"  stages: {times}")
    return "\n".join(lines)
