"""``regsite timestamp refresh``: re-sign a published site's timestamp without a rebuild."""

from __future__ import annotations

import argparse
from pathlib import Path

from regsite.cli.dispatch import Dispatch, GivenOnce, Subcommands, command_group
from regsite.commands.timestamp import (
    TimestampOptions,
    TimestampRefreshed,
    refresh_site_timestamp,
)

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite timestamp`` and its actions, each handled by a Dispatch."""
    timestamp = commands.add_parser("timestamp", help="re-sign a published site's timestamp")
    actions = command_group(timestamp, "what to do with the timestamp")
    refresh = actions.add_parser(
        "refresh", help="sign a new metadata/timestamp.json in place, without a rebuild"
    )
    refresh.add_argument("output", type=Path, help="a built site")
    refresh.add_argument(
        "--online-key",
        action=GivenOnce,
        metavar="KEY",
        help="online private key file or env:VARIABLE; default $REGSITE_ONLINE_KEY",
    )
    refresh.add_argument(
        "--expires", metavar="DURATION", help="validity, like 1d or 12h; default the registry's"
    )
    refresh.set_defaults(handler=Dispatch(_options, refresh_site_timestamp, _show))


def _options(args: argparse.Namespace) -> TimestampOptions:
    return TimestampOptions(site=args.output, online_key=args.online_key, expires=args.expires)


def _show(args: argparse.Namespace, refreshed: TimestampRefreshed) -> int:
    if refreshed.recovered:
        print(f"{args.output}: finished the commit of a build that was killed")
    hours = int(refreshed.valid_for.total_seconds() // 3600)
    print(f"signed {refreshed.path} version {refreshed.version}, valid for {hours} hours")
    return 0
