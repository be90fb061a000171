"""``regsite serve``: preview a built site on a local web server."""

from __future__ import annotations

import argparse
from pathlib import Path

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.commands.serve import ServeOptions, serve_site

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite serve`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser("serve", help="preview a built site on a local web server")
    command.add_argument("site", type=Path, help="a directory written by regsite build")
    command.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    command.add_argument(
        "--port", type=_port, default=8000, help="TCP port (default 8000; 0 picks a free one)"
    )
    command.set_defaults(handler=Dispatch(_options, serve_site, _show))


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return int(text)


def _options(args: argparse.Namespace) -> ServeOptions:
    def listening(url: str) -> None:
        print(f"serving {args.site} at {url} (Ctrl-C stops)", flush=True)

    return ServeOptions(site=args.site, host=args.host, port=args.port, listening=listening)


def _show(args: argparse.Namespace, url: str) -> int:
    print("stopped")
    return 0
