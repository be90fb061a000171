"""The commands that write the source: ``init``, ``keygen``, ``sign``, ``owner add``,
``package new/readme``, ``release add`` and ``yank``.  Parsing and printing only; the work is
in :mod:`regsite.commands`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from regsite.build import source_date_epoch
from regsite.commands.init import InitResult, init_registry
from regsite.commands.keygen import generate_key_file
from regsite.commands.owner import add_owner
from regsite.commands.package import PackageInfo, new_package, record_readme
from regsite.commands.release import ArtifactSpec, add_release, normal_version, yank_release
from regsite.commands.sign import EditSigning, remove_signature, sign_edit, sign_permitted
from regsite.errors import SourceEditError
from regsite.keys import PrivateKey, load_private_key
from regsite.sources import SourceTree

if TYPE_CHECKING:
    _Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_edit_commands", "command_group", "print_edit", "source_option"]


def add_edit_commands(commands: _Commands) -> _Commands:
    """Add the commands; return ``owner``'s actions, for the key rotation commands."""
    _add_init(commands)
    _add_keygen(commands)
    owner_actions = _add_owner(commands)
    _add_package(commands)
    _add_release(commands)
    _add_yank(commands)
    _add_sign(commands)
    return owner_actions


def command_group(parser: argparse.ArgumentParser, what: str) -> _Commands:
    """Subcommands of ``parser``; the group on its own prints its help and exits 2."""

    def usage(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    parser.set_defaults(handler=usage)
    return parser.add_subparsers(title="actions", metavar="ACTION", help=what)


def source_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-C",
        "--source",
        type=Path,
        default=Path(),
        metavar="DIR",
        help="registry source directory (default: the current directory)",
    )


def _edit_options(command: argparse.ArgumentParser) -> None:
    source_option(command)
    command.add_argument(
        "--sign",
        action="append",
        default=[],
        metavar="KEY",
        help="sign the changed files this key may sign (a private key file or env:VARIABLE);"
        " repeatable",
    )


def _signing_keys(args: argparse.Namespace) -> list[PrivateKey]:
    """Load every --sign key before editing, so a bad key path changes nothing."""
    return [load_private_key(reference) for reference in args.sign]


def print_edit(signing: EditSigning, changed: Sequence[Path]) -> None:
    """What an edit changed, what ``--sign`` signed, and why a key signed nothing."""
    for refusal in signing.refused:
        print(f"warning: --sign: {refusal}", file=sys.stderr)
    signed = {outcome.path for outcome in signing.signed}
    for path in changed:
        if path in signed:
            print(f"updated {path} and signed")
        else:
            print(f"updated {path}; sign it: regsite sign {path} --key KEY")


def _finish_edit(args: argparse.Namespace, keys: list[PrivateKey], changed: list[Path]) -> int:
    print_edit(sign_edit(SourceTree(args.source), changed, keys), changed)
    return 0


# keygen, init, sign -----------------------------------------------------------------------------


def _add_keygen(commands: _Commands) -> None:
    command = commands.add_parser("keygen", help="create an ed25519 private key file (mode 0600)")
    command.add_argument(
        "path", type=Path, help="where to write the private key (missing directories are made)"
    )
    command.set_defaults(handler=_keygen)


def _keygen(args: argparse.Namespace) -> int:
    public = generate_key_file(args.path)
    print(f"wrote private key {args.path} (keep it secret)", file=sys.stderr)
    print(f"fingerprint {public.fingerprint}", file=sys.stderr)
    print(public)
    return 0


def _add_init(commands: _Commands) -> None:
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
        metavar="KEY",
        help="online private key file (created if missing) or public key that will sign the"
        " published metadata; writes metadata/1.root.json",
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
    print(f"wrote {args.directory}/.gitignore (*.key) and .gitattributes (signed files byte-exact)")
    _print_init_signatures(args.directory, result)
    return 0


def _print_init_signatures(directory: Path, result: InitResult) -> None:
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


def _add_sign(commands: _Commands) -> None:
    command = commands.add_parser(
        "sign", help="sign registry.toml or package.toml files, or remove a signature"
    )
    command.add_argument(
        "files", type=Path, nargs="+", metavar="FILE", help="registry.toml or package.toml files"
    )
    how = command.add_mutually_exclusive_group(required=True)
    how.add_argument(
        "--key",
        metavar="KEY",
        help="sign with this private key file, or env:VARIABLE; it must be a key the build"
        " accepts on every FILE",
    )
    how.add_argument(
        "--remove",
        metavar="PUBKEY",
        help="remove the signature by this key (ed25519:... or its SHA256: fingerprint)",
    )
    command.set_defaults(handler=_sign)


def _sign(args: argparse.Namespace) -> int:
    if args.remove is not None:
        for path in args.files:
            for key in remove_signature(path, args.remove):
                print(f"removed the signature by {key.fingerprint} from {path}.sig")
        return 0
    for outcome in sign_permitted(args.files, load_private_key(args.key)):
        print(f"signed {outcome.path} with {outcome.key.fingerprint}")
        for stale in outcome.dropped:
            print(f"  removed signature by {stale.fingerprint} (no longer valid, or revoked)")
    return 0


# owner add, package new/readme ------------------------------------------------------------------


def _add_owner(commands: _Commands) -> _Commands:
    owner = commands.add_parser("owner", help="manage owners and their keys in registry.toml")
    actions = command_group(owner, "what to do with owners")
    command = actions.add_parser("add", help="declare an owner and their public keys")
    command.add_argument("owner_id", metavar="ID", help="owner id, e.g. ada (normalised)")
    command.add_argument("--name", required=True, help="display name")
    command.add_argument(
        "--key",
        action="append",
        required=True,
        metavar="PUBKEY",
        help="public key ed25519:... (as regsite keygen prints it); repeatable",
    )
    command.add_argument("--url", help="the owner's web page")
    _edit_options(command)
    command.set_defaults(handler=_owner_add)
    return actions


def _owner_add(args: argparse.Namespace) -> int:
    keys = _signing_keys(args)
    tree = SourceTree(args.source)
    changed = add_owner(tree, args.owner_id, name=args.name, keys=args.key, url=args.url)
    return _finish_edit(args, keys, changed)


def _add_package(commands: _Commands) -> None:
    package = commands.add_parser("package", help="create packages and update their README hash")
    actions = command_group(package, "what to do with packages")
    command = actions.add_parser("new", help="create a package and delegate its name")
    command.add_argument("name", help="package name, normalised (e.g. http-kit)")
    command.add_argument(
        "--owner", action="append", required=True, help="owner id who may sign it; repeatable"
    )
    command.add_argument(
        "--threshold", type=int, default=1, help="owners who must sign (default 1)"
    )
    command.add_argument("--description", required=True, help="one-line description")
    command.add_argument("--license", help="SPDX license expression, e.g. MIT")
    command.add_argument("--homepage", metavar="URL", help="project home page")
    command.add_argument("--repository", metavar="URL", help="source repository")
    command.add_argument("--documentation", metavar="URL", help="documentation")
    command.add_argument(
        "--keyword", action="append", default=[], help="a search keyword; repeatable"
    )
    _edit_options(command)
    command.set_defaults(handler=_package_new)
    readme = actions.add_parser("readme", help="record the README's sha256 in package.toml")
    readme.add_argument("name", help="package name")
    readme.add_argument(
        "--file", default="README.md", help="file beside package.toml (default README.md)"
    )
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


# release add, yank ------------------------------------------------------------------------------


def _add_release(commands: _Commands) -> None:
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
        "--requires", action="append", default=[], metavar="REQ", help="e.g. 'dep>=1'; repeatable"
    )
    command.add_argument(
        "--published",
        metavar="ISO8601",
        help="publish time, e.g. 2026-03-01T12:00:00Z (default: now, or $SOURCE_DATE_EPOCH)",
    )
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
    _note_normal_form(args.version, tree)
    return _finish_edit(args, keys, changed)


def _note_normal_form(typed: str, tree: SourceTree) -> None:
    normal = str(normal_version(typed, tree.version_scheme()))
    if normal != typed:
        print(f"version {typed!r} is recorded in its normal form, {normal}")


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


def _add_yank(commands: _Commands) -> None:
    command = commands.add_parser("yank", help="mark a release yanked, with a reason")
    command.add_argument("name", help="package name")
    command.add_argument("version", help="the release's version, in any spelling of it")
    command.add_argument("--reason", required=True, help="why, shown to users")
    _edit_options(command)
    command.set_defaults(handler=_yank)


def _yank(args: argparse.Namespace) -> int:
    keys = _signing_keys(args)
    tree = SourceTree(args.source)
    changed = yank_release(tree, args.name, args.version, reason=args.reason)
    return _finish_edit(args, keys, changed)
