"""The ``regsite`` command line: parse arguments, call the library, print, return an exit code."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from regsite import __version__
from regsite.build import source_date_epoch
from regsite.cli_build import add_build_command, pin_options, pinned_root
from regsite.cli_client import add_client_commands
from regsite.cli_trust import add_owner_key_commands, add_trust_commands
from regsite.commands.init import init_registry
from regsite.commands.keygen import generate_key_file
from regsite.commands.owner import add_owner
from regsite.commands.package import PackageInfo, new_package, record_readme
from regsite.commands.release import ArtifactSpec, add_release, yank_release
from regsite.commands.search import dump_found, found_text, search_site
from regsite.commands.serve import make_server
from regsite.commands.sign import sign_edited, sign_file
from regsite.commands.verify import signature_table, verify_sources
from regsite.errors import BuildError, RegistryError, SourceEditError
from regsite.keys import PrivateKey, load_private_key
from regsite.sources import SourceTree

__all__ = ["main"]

_Handler = Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return 0 on success, 1 on a registry problem, 2 on bad usage."""
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s"
    )
    handler: _Handler = args.handler
    try:
        return handler(args)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("Nothing was written; the previous output is unchanged.", file=sys.stderr)
        return 1
    except RegistryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (``regsite search ... | head``)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regsite",
        description="Compile a directory of signed package indexes into a static registry site.",
    )
    parser.add_argument("--version", action="version", version=f"regsite {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log each stage")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")
    add_build_command(commands)
    _add_serve(commands)
    _add_verify(commands)
    _add_search(commands)
    _add_keygen(commands)
    _add_init(commands)
    _add_sign(commands)
    _add_owner(commands)
    _add_package(commands)
    _add_release(commands)
    _add_yank(commands)
    add_trust_commands(commands)
    add_client_commands(commands)
    return parser


# build / serve / verify -------------------------------------------------------------------------


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("serve", help="preview a built site on a local web server")
    command.add_argument("site", type=Path, help="a directory written by regsite build")
    command.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    command.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks one)")
    command.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    server = make_server(args.site, args.host, args.port)
    host, port = server.server_address[:2]
    print(f"serving {args.site} at http://{host!s}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()
    return 0


def _add_verify(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("verify", help="check every signature in a source directory")
    command.add_argument("source", type=Path, nargs="?", default=Path(), help="source directory")
    pin_options(command)
    command.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    result = verify_sources(args.source, pinned_root(args))
    print("\n".join(signature_table(result.rows)))
    if not result.ok:
        print(f"\n{len(result.inspection.report)} problem(s):", file=sys.stderr)
        for problem in sorted(set(result.inspection.report), key=str):
            print(f"  {problem.display(str(args.source))}", file=sys.stderr)
        return 1
    print(f"\nall {len(result.inspection.verifications)} signed files verify")
    return 0


# keys and signatures ----------------------------------------------------------------------------


def _add_search(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("search", help="query a built site's search index")
    command.add_argument("query", help="package name, keyword or words to look for")
    command.add_argument(
        "--site", required=True, metavar="DIR_OR_URL", help="a built site: directory or http(s) URL"
    )
    command.add_argument("--json", action="store_true", help="print the results as JSON")
    command.add_argument("--limit", type=_positive, default=20, help="results shown (default 20)")
    command.set_defaults(handler=_search)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _search(args: argparse.Namespace) -> int:
    found = search_site(args.site, args.query, args.limit)
    print(dump_found(found) if args.json else found_text(found), end="" if args.json else "\n")
    return 0


def _add_keygen(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("keygen", help="create an ed25519 private key file (mode 0600)")
    command.add_argument("path", type=Path, help="where to write the private key")
    command.set_defaults(handler=_keygen)


def _keygen(args: argparse.Namespace) -> int:
    public = generate_key_file(args.path)
    print(f"wrote private key {args.path} (keep it secret)", file=sys.stderr)
    print(f"fingerprint {public.fingerprint}", file=sys.stderr)
    print(public)
    return 0


def _add_sign(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("sign", help="sign registry.toml or package.toml files")
    command.add_argument("files", type=Path, nargs="+", help="files to sign")
    command.add_argument("--key", required=True, help="private key file, or env:VARIABLE")
    command.set_defaults(handler=_sign)


def _sign(args: argparse.Namespace) -> int:
    key = load_private_key(args.key)
    for path in args.files:
        outcome = sign_file(path, key)
        print(f"signed {path} with {outcome.key.fingerprint}")
        for stale in outcome.dropped:
            print(f"  removed signature by {stale.fingerprint} (no longer valid, or revoked)")
    return 0


# commands that edit the source ------------------------------------------------------------------


def _edit_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-C", "--source", type=Path, default=Path(), help="registry source directory (default .)"
    )
    command.add_argument(
        "--sign",
        action="append",
        default=[],
        metavar="KEY",
        help="sign the changed files with this key (file or env:VAR) where it may; repeatable",
    )


def _signing_keys(args: argparse.Namespace) -> list[PrivateKey]:
    """Load every --sign key before editing, so a bad key path changes nothing."""
    return [load_private_key(reference) for reference in args.sign]


def _finish_edit(args: argparse.Namespace, keys: list[PrivateKey], changed: list[Path]) -> int:
    tree = SourceTree(args.source)
    outcomes = sign_edited(tree, changed, keys)
    signed = {outcome.path for outcome in outcomes}
    for path in changed:
        if path in signed:
            print(f"updated and signed {path}")
        else:
            print(f"updated {path}; sign it: regsite sign {path} --key KEY")
    return 0


def _add_init(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("init", help="create a new registry source directory")
    command.add_argument("directory", type=Path)
    command.add_argument("--name", required=True, help="registry identifier, e.g. orchard")
    command.add_argument("--title", required=True, help="title shown on the site")
    command.add_argument(
        "--root-key", required=True, help="root private key file (created if missing), or env:VAR"
    )
    command.add_argument("--description")
    command.add_argument("--base-url")
    command.add_argument("--install", help="install snippet, e.g. 'tool add {name}@{version}'")
    command.add_argument(
        "--online-key",
        help="online private key file (created if missing) that will sign the published"
        " metadata; writes metadata/1.root.json",
    )
    command.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    result = init_registry(
        args.directory,
        name=args.name,
        title=args.title,
        root_key=args.root_key,
        description=args.description,
        base_url=args.base_url,
        install=args.install,
        online_key=args.online_key,
    )
    if result.created_key is not None:
        print(f"wrote root private key {result.created_key} (keep it secret, out of git)")
    if result.created_online_key is not None:
        print(f"wrote online private key {result.created_online_key} (store it as a CI secret)")
    if result.online_key is not None:
        print(f"wrote metadata/1.root.json: online key {result.online_key.fingerprint}")
    print(f"created {result.registry_file}, signed by root key {result.root_key.fingerprint}")
    return 0


def _add_owner(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    owner = commands.add_parser("owner", help="manage owners in registry.toml")
    actions = owner.add_subparsers(required=True, metavar="ACTION")
    command = actions.add_parser("add", help="declare an owner and their public keys")
    command.add_argument("owner_id")
    command.add_argument("--name", required=True, help="display name")
    command.add_argument(
        "--key", action="append", required=True, help="public key ed25519:...; repeatable"
    )
    command.add_argument("--url")
    _edit_options(command)
    command.set_defaults(handler=_owner_add)
    add_owner_key_commands(actions)


def _owner_add(args: argparse.Namespace) -> int:
    keys = _signing_keys(args)
    tree = SourceTree(args.source)
    changed = add_owner(tree, args.owner_id, name=args.name, keys=args.key, url=args.url)
    return _finish_edit(args, keys, changed)


def _add_package(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    package = commands.add_parser("package", help="create packages and update their README hash")
    actions = package.add_subparsers(required=True, metavar="ACTION")
    command = actions.add_parser("new", help="create a package and delegate its name")
    command.add_argument("name")
    command.add_argument("--owner", action="append", required=True, help="owner id; repeatable")
    command.add_argument("--threshold", type=int, default=1, help="owners who must sign")
    command.add_argument("--description", required=True)
    command.add_argument("--license")
    command.add_argument("--homepage")
    command.add_argument("--repository")
    command.add_argument("--documentation")
    command.add_argument("--keyword", action="append", default=[], help="repeatable")
    _edit_options(command)
    command.set_defaults(handler=_package_new)
    readme = actions.add_parser("readme", help="record the README's sha256 in package.toml")
    readme.add_argument("name")
    readme.add_argument("--file", default="README.md")
    _edit_options(readme)
    readme.set_defaults(handler=_package_readme)


def _package_new(args: argparse.Namespace) -> int:
    keys = _signing_keys(args)
    info = PackageInfo(
        description=args.description,
        license=args.license,
        homepage=args.homepage,
        repository=args.repository,
        documentation=args.documentation,
        keywords=args.keyword,
    )
    tree = SourceTree(args.source)
    changed = new_package(tree, args.name, owners=args.owner, info=info, threshold=args.threshold)
    return _finish_edit(args, keys, changed)


def _package_readme(args: argparse.Namespace) -> int:
    keys = _signing_keys(args)
    return _finish_edit(args, keys, record_readme(SourceTree(args.source), args.name, args.file))


def _add_release(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    release = commands.add_parser("release", help="add releases to a package")
    actions = release.add_subparsers(required=True, metavar="ACTION")
    command = actions.add_parser("add", help="append a release to a package's version index")
    command.add_argument("name")
    command.add_argument("version")
    command.add_argument("--artifact", action="append", required=True, metavar="URL")
    command.add_argument("--sha256", action="append", required=True, help="one per --artifact")
    command.add_argument(
        "--size", action="append", required=True, type=int, help="bytes, one per --artifact"
    )
    command.add_argument(
        "--requires", action="append", default=[], metavar="REQ", help="e.g. 'dep>=1'; repeatable"
    )
    command.add_argument("--published", help="ISO 8601 date-time (default: now, UTC)")
    _edit_options(command)
    command.set_defaults(handler=_release_add)


def _release_add(args: argparse.Namespace) -> int:
    keys = _signing_keys(args)
    if not len(args.artifact) == len(args.sha256) == len(args.size):
        raise SourceEditError("give one --sha256 and one --size for each --artifact")
    artifacts = [
        ArtifactSpec(url, digest, size)
        for url, digest, size in zip(args.artifact, args.sha256, args.size, strict=True)
    ]
    tree = SourceTree(args.source)
    changed = add_release(
        tree,
        args.name,
        args.version,
        artifacts=artifacts,
        requires=args.requires,
        published=_published(args.published),
    )
    return _finish_edit(args, keys, changed)


def _published(text: str | None) -> datetime:
    if text is None:
        epoch = source_date_epoch()
        now = datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)
        return now.replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SourceEditError(
            f"--published {text!r}: expected ISO 8601, e.g. 2026-03-01T12:00:00Z"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _add_yank(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser("yank", help="mark a release yanked, with a reason")
    command.add_argument("name")
    command.add_argument("version")
    command.add_argument("--reason", required=True)
    _edit_options(command)
    command.set_defaults(handler=_yank)


def _yank(args: argparse.Namespace) -> int:
    keys = _signing_keys(args)
    tree = SourceTree(args.source)
    changed = yank_release(tree, args.name, args.version, reason=args.reason)
    return _finish_edit(args, keys, changed)


if __name__ == "__main__":
    sys.exit(main())
