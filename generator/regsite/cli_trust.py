"""The key lifecycle and metadata commands: ``root``, ``trust``, ``owner add-key/revoke-key``,
``timestamp refresh``.  Parsing and printing only; the work is in :mod:`regsite.commands.trust`."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from regsite.build import source_date_epoch
from regsite.commands.sign import sign_edited
from regsite.commands.trust import (
    RootStatus,
    add_owner_key,
    change_root_keys,
    drop_signatures_by,
    revoke_owner_key,
    root_status,
    set_online_keys,
    sign_root_file,
    write_next_root,
)
from regsite.errors import RegistryError
from regsite.keys import PrivateKey, load_private_key
from regsite.metadata.layout import TIMESTAMP_FILE
from regsite.metadata.previous import DirectoryPrevious, refresh_timestamp, timestamp_period
from regsite.sources import SourceTree, write_atomically
from regsite.write import SITE_MARKER

__all__ = ["add_owner_key_commands", "add_trust_commands"]

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    _Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


def add_trust_commands(commands: _Commands) -> None:
    _add_root(commands)
    _add_trust(commands)
    _add_timestamp(commands)


def _now() -> datetime:
    epoch = source_date_epoch()
    return datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)


def _source_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "-C", "--source", type=Path, default=Path(), help="registry source directory (default .)"
    )


def _sign_option(command: argparse.ArgumentParser, what: str) -> None:
    command.add_argument(
        "--sign", action="append", default=[], metavar="KEY", help=f"{what}; repeatable"
    )


def _keys(args: argparse.Namespace) -> list[PrivateKey]:
    return [load_private_key(reference) for reference in args.sign]


def _print_status(status: RootStatus) -> int:
    if status.complete:
        print(f"wrote {status.path} (root version {status.version}), fully signed")
        return 0
    print(f"wrote {status.path} (root version {status.version}); still needs:")
    for missing in status.missing:
        print(f"  {missing}")
    print(f"each remaining key holder runs: regsite root sign {status.path} --key KEY")
    return 1


# root ------------------------------------------------------------------------------------------


def _add_root(commands: _Commands) -> None:
    root = commands.add_parser("root", help="the root metadata that clients pin")
    actions = root.add_subparsers(required=True, metavar="ACTION")
    update = actions.add_parser(
        "update", help="write metadata/N+1.root.json from registry.toml [trust] (or renew it)"
    )
    _source_option(update)
    _sign_option(update, "root key (old or new) that signs the new root")
    update.set_defaults(handler=_root_update)
    sign = actions.add_parser("sign", help="add a root key's signature to a root file")
    sign.add_argument("file", type=Path)
    sign.add_argument("--key", required=True, help="root private key file, or env:VAR")
    _source_option(sign)
    sign.set_defaults(handler=_root_sign)
    show = actions.add_parser("status", help="each root version: keys, expiry, signatures")
    _source_option(show)
    show.set_defaults(handler=_root_show)


def _root_update(args: argparse.Namespace) -> int:
    return _print_status(write_next_root(SourceTree(args.source), _keys(args), _now()))


def _root_sign(args: argparse.Namespace) -> int:
    """Co-sign a root, and registry.toml too if the key is one of its root keys: a rotation
    needs both signed by the new threshold."""
    tree = SourceTree(args.source)
    key = load_private_key(args.key)
    status = sign_root_file(tree, args.file, key)
    for outcome in sign_edited(tree, [tree.registry_path], [key]):
        print(f"signed {outcome.path} with {outcome.key.fingerprint}")
    return _print_status(status)


def _root_show(args: argparse.Namespace) -> int:
    tree = SourceTree(args.source)
    files = sorted((args.source / "metadata").glob("*.root.json"), key=_version_of)
    if not files:
        print("no root metadata yet: regsite root update --sign ROOT_KEY")
        return 1
    worst = 0
    for path in files:
        status = root_status(tree, path)
        document = json.loads(path.read_bytes())["signed"]
        state = "signed" if status.complete else "NEEDS " + "; ".join(status.missing)
        print(f"{path.name}: expires {document['expires']}, {state}")
        worst = worst if status.complete else 1
    return worst


def _version_of(path: Path) -> int:
    return int(path.name.split(".", 1)[0])


# trust -----------------------------------------------------------------------------------------


def _add_trust(commands: _Commands) -> None:
    trust = commands.add_parser("trust", help="rotate the root and online keys")
    actions = trust.add_subparsers(required=True, metavar="ACTION")
    online = actions.add_parser("online-key", help="set the key that signs published metadata")
    online.add_argument("key", nargs="+", metavar="PUBKEY", help="new online key(s), ed25519:…")
    _source_option(online)
    _sign_option(online, "root key that signs registry.toml and the new root")
    online.set_defaults(handler=_trust_online)
    roots = actions.add_parser("root-keys", help="add or remove root keys, set the threshold")
    roots.add_argument("--add", action="append", default=[], metavar="PUBKEY")
    roots.add_argument("--remove", action="append", default=[], metavar="PUBKEY")
    roots.add_argument("--threshold", type=int, help="root keys that must sign from now on")
    _source_option(roots)
    _sign_option(roots, "old and new root keys: a threshold of each must sign the new root")
    roots.set_defaults(handler=_trust_roots)


def _after_trust_edit(args: argparse.Namespace, keys: list[PrivateKey], changed: list[Path]) -> int:
    tree = SourceTree(args.source)
    signed = {outcome.path for outcome in sign_edited(tree, changed, keys)}
    for path in changed:
        note = "and signed" if path in signed else f"(sign it: regsite sign {path} --key KEY)"
        print(f"updated {path} {note}")
    return _print_status(write_next_root(tree, keys, _now()))


def _trust_online(args: argparse.Namespace) -> int:
    keys = _keys(args)
    return _after_trust_edit(args, keys, set_online_keys(SourceTree(args.source), args.key))


def _trust_roots(args: argparse.Namespace) -> int:
    keys = _keys(args)
    tree = SourceTree(args.source)
    changed = change_root_keys(tree, args.add, args.remove, args.threshold)
    return _after_trust_edit(args, keys, changed)


# owner add-key / revoke-key ---------------------------------------------------------------------


def add_owner_key_commands(actions: _Commands) -> None:
    """``owner add-key`` and ``owner revoke-key``, beside ``owner add``."""
    add = actions.add_parser("add-key", help="give an owner a new key (before revoking the old)")
    revoke = actions.add_parser(
        "revoke-key", help="remove an owner's key and list it in [trust] revoked-keys"
    )
    for command, handler in ((add, add_owner_key), (revoke, revoke_owner_key)):
        command.add_argument("owner")
        command.add_argument("key", metavar="PUBKEY")
        _source_option(command)
        _sign_option(command, "root key that signs registry.toml")
        command.set_defaults(handler=_owner_key, edit=handler)


def _owner_key(args: argparse.Namespace) -> int:
    keys = _keys(args)
    tree = SourceTree(args.source)
    changed = args.edit(tree, args.owner, args.key)
    signed = {outcome.path for outcome in sign_edited(tree, changed, keys)}
    for path in changed:
        note = "and signed" if path in signed else f"(sign it: regsite sign {path} --key KEY)"
        print(f"updated {path} {note}")
    if args.edit is revoke_owner_key:
        for path in drop_signatures_by(tree, args.key):
            print(f"removed the revoked key's signature from {path}")
        print(
            f"{args.key} is revoked; a package no longer signed by enough owners fails to build:"
            " sign it with the owner's new key (regsite sign FILE --key KEY)"
        )
    return 0


# timestamp refresh ------------------------------------------------------------------------------


def _add_timestamp(commands: _Commands) -> None:
    timestamp = commands.add_parser("timestamp", help="re-sign a published site's timestamp")
    actions = timestamp.add_subparsers(required=True, metavar="ACTION")
    refresh = actions.add_parser(
        "refresh", help="sign a new metadata/timestamp.json in place, without a rebuild"
    )
    refresh.add_argument("output", type=Path, help="a built site")
    refresh.add_argument(
        "--online-key", help="online key file or env:VAR; default $REGSITE_ONLINE_KEY"
    )
    refresh.add_argument("--expires", help="validity, like 1d or 12h; default the registry's")
    refresh.set_defaults(handler=_timestamp_refresh)


def _timestamp_refresh(args: argparse.Namespace) -> int:
    site = args.output
    if not (site / SITE_MARKER).is_file():
        raise RegistryError(f"{site}: holds no {SITE_MARKER}; is it a site built by regsite?")
    key = load_private_key(args.online_key or "env:REGSITE_ONLINE_KEY")
    period = _period(args.expires, site)
    # Always the clock: a refresh exists to move the expiry forward from now.
    content = refresh_timestamp(DirectoryPrevious(site), key, datetime.now(UTC), period)
    write_atomically(site / TIMESTAMP_FILE, content)
    version = json.loads(content)["signed"]["version"]
    hours = int(period.total_seconds() // 3600)
    print(f"signed {site / TIMESTAMP_FILE} version {version}, valid for {hours} hours")
    return 0


def _period(text: str | None, site: Path) -> timedelta:
    if text is None:
        return timestamp_period(DirectoryPrevious(site))
    amount, unit = text[:-1], text[-1:]
    if not amount.isdigit() or unit not in ("h", "d") or int(amount) == 0:
        raise RegistryError(f"--expires: expected a duration like '12h' or '1d', found {text!r}")
    return timedelta(hours=int(amount)) if unit == "h" else timedelta(days=int(amount))
