"""``regsite search``: query a built site's search index."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands
from regsite.commands.search import Found, SearchOptions, dump_found, search_site
from regsite.errors import printable
from regsite.search.format import MAX_QUERY_LENGTH

__all__ = ["add_command", "found_text"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite search`` and its arguments, handled by a Dispatch."""
    command = commands.add_parser("search", help="query a built site's search index")
    command.add_argument("query", help="package name, keyword or words to look for")
    command.add_argument(
        "--site", required=True, metavar="DIR_OR_URL", help="a built site: directory or http(s) URL"
    )
    command.add_argument("--json", action="store_true", help="print the results as JSON")
    command.add_argument(
        "--limit", type=_positive, default=20, metavar="N", help="results shown (default 20)"
    )
    command.set_defaults(handler=Dispatch(_options, search_site, _show))


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _options(args: argparse.Namespace) -> SearchOptions:
    return SearchOptions(site=args.site, query=args.query, limit=args.limit)


def _show(args: argparse.Namespace, found: Found) -> int:
    print(dump_found(found) if args.json else found_text(found), end="" if args.json else "\n")
    return 0


def found_text(found: Found) -> str:
    """The results as numbered lines, under a count and any "did you mean".

    The site's text is untrusted, so names, versions and summaries are shown escaped.
    """
    results = found.results
    total = len(results.hits)
    counted = "1 package matches" if total == 1 else f"{total} packages match"
    lines = [f"{counted} {results.query.strip()!r}"]
    if not results.tokens:
        lines = [f"{results.query.strip()!r} has no letters or digits to search for"]
    if len(found.shown) < total:
        lines[0] += f" (showing {len(found.shown)})"
    if results.truncated:
        lines.insert(0, f"The query is cut to its first {MAX_QUERY_LENGTH} characters.")
    if results.suggestion:
        lines.append(f"Did you mean {results.suggestion!r}?")
    names = [printable(record.name) for _, record in found.shown]
    width = max(map(len, names), default=0)
    for number, ((hit, record), name) in enumerate(zip(found.shown, names, strict=True), 1):
        version = printable(record.version or "-")
        flags = " [deprecated]" if record.status == "deprecated" else ""
        lines.append(f"{number:>3}. {name:<{width}}  {version}{flags}  ({hit.tier.name.lower()})")
        if record.summary:
            lines.append(f"     {printable(record.summary)}")
    return "\n".join(lines)
