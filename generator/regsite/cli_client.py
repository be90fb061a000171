"""The client-side commands: ``client trust/show/lock/download`` and ``verify-site``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from regsite.client.lockfile import dump_lock
from regsite.commands.client import (
    ClientState,
    download_lock,
    lock_requirements,
    open_registry,
    registry_url,
    root_fingerprints,
    trust_registry,
)
from regsite.commands.verify_site import verify_site
from regsite.errors import RegistryError
from regsite.fetch import UrlFetcher
from regsite.metadata.roles import Role
from regsite.metadata.root import read_trusted_root
from regsite.sources import write_atomically

if TYPE_CHECKING:
    _Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_client_commands"]


def add_client_commands(commands: _Commands) -> None:
    _add_client(commands)
    _add_verify_site(commands)


def _state_options(command: argparse.ArgumentParser, registry: bool = True) -> None:
    command.add_argument(
        "--state",
        type=Path,
        help="client state (default $REGSITE_CLIENT_DIR or ~/.local/share/regsite/client)",
    )
    if registry:
        command.add_argument(
            "--registry", metavar="URL", help="a trusted registry (default: the last trusted)"
        )


def _state(args: argparse.Namespace) -> ClientState:
    return ClientState(args.state) if args.state is not None else ClientState.default()


def _add_client(commands: _Commands) -> None:
    client = commands.add_parser("client", help="use a registry: verify, resolve, lock, download")
    actions = client.add_subparsers(required=True, metavar="ACTION")
    trust = actions.add_parser("trust", help="pin a registry's root and check its metadata")
    trust.add_argument("url", metavar="URL_OR_DIR")
    trust.add_argument(
        "--root", type=Path, help="the root to pin (N.root.json); without it, trust on first use"
    )
    _state_options(trust, registry=False)
    trust.set_defaults(handler=_trust)
    show = actions.add_parser("show", help="a package's verified releases")
    show.add_argument("name")
    show.add_argument("--json", action="store_true", help="print the package's JSON document")
    _state_options(show)
    show.set_defaults(handler=_show)
    lock = actions.add_parser("lock", help="resolve requirements and write a lockfile")
    lock.add_argument("requirements", nargs="+", metavar="REQUIREMENT", help="e.g. 'http-kit>=2'")
    lock.add_argument("-o", "--output", type=Path, default=Path("regsite.lock"))
    _state_options(lock)
    lock.set_defaults(handler=_lock)
    download = actions.add_parser("download", help="download a lockfile's artifacts, checked")
    download.add_argument("lockfile", type=Path, nargs="?", default=Path("regsite.lock"))
    download.add_argument("-d", "--dest", type=Path, default=Path("artifacts"))
    download.set_defaults(handler=_download)


def _trust(args: argparse.Namespace) -> int:
    outcome = trust_registry(_state(args), registry_url(args.url), args.root)
    threshold = outcome.root.roles[Role.ROOT].threshold
    print(f"trusted {outcome.url} (root version {outcome.root.version})")
    print(f"root keys (threshold {threshold}):")
    for fingerprint in root_fingerprints(outcome.root):
        print(f"  {fingerprint}")
    if outcome.first_use:
        print(
            "trusted on first use: compare these fingerprints with ones the registry publishes"
            " elsewhere, or pin a root file with --root"
        )
    return 0


def _show(args: argparse.Namespace) -> int:
    _, registry = open_registry(_state(args), args.registry)
    try:
        package = registry.package(args.name)
    except KeyError:
        raise RegistryError(f"no package named {args.name!r} in this registry") from None
    if args.json:
        print(json.dumps(registry.document(args.name), ensure_ascii=False, indent=2))
        return 0
    signers = package.source.verification.signers if package.source.verification else set()
    print(f"{package.name}: {package.description}")
    print(f"signed by: {', '.join(sorted(signers))} (owner signatures verified)")
    for release in package.releases:
        status = "" if release.status.value == "active" else f"  [{release.status.value}]"
        requires = ", ".join(f"{d.name}{d.specifier}" for d in release.requires)
        print(f"  {release.version}{status}" + (f"  requires {requires}" if requires else ""))
    return 0


def _lock(args: argparse.Namespace) -> int:
    lock = lock_requirements(_state(args), args.registry, args.requirements)
    write_atomically(args.output, dump_lock(lock))
    count = len(lock.packages)
    print(f"locked {count} package{'s' if count != 1 else ''} into {args.output}:")
    for package in lock.packages:
        print(f"  {package.name} {package.version}")
    return 0


def _download(args: argparse.Namespace) -> int:
    for result in download_lock(args.lockfile, args.dest):
        print(f"{result.status}: {result.path}")
    return 0


def _add_verify_site(commands: _Commands) -> None:
    command = commands.add_parser(
        "verify-site", help="check every signature and hash of a published site"
    )
    command.add_argument("site", metavar="DIR_OR_URL")
    command.add_argument("--root", type=Path, required=True, help="the root to trust (N.root.json)")
    command.set_defaults(handler=_verify_site)


def _verify_site(args: argparse.Namespace) -> int:
    try:
        pinned = args.root.read_bytes()
    except OSError as exc:
        raise RegistryError(f"{args.root}: cannot read: {exc.strerror}") from exc
    read_trusted_root(pinned, str(args.root))  # so that a bad file is named in the error
    result = verify_site(registry_url(args.site), pinned, UrlFetcher())
    for problem in result.problems:
        print(f"problem: {problem}", file=sys.stderr)
    count = len(result.problems)
    verdict = "verified" if result.ok else f"FAILED with {count} problem{'s' if count > 1 else ''}"
    print(
        f"{result.url}: {verdict}: {result.files} files and {result.packages} packages' owner"
        " signatures checked"
    )
    return 0 if result.ok else 1
