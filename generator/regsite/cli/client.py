"""``regsite client trust``, ``show``, ``lock``, ``vendor`` and ``download``: use a registry."""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from regsite.cli.dispatch import Dispatch, Subcommands, command_group
from regsite.client.audit import Finding
from regsite.client.changes import Changes
from regsite.client.download import DownloadResult
from regsite.client.export import LOCK_FORMATS
from regsite.commands.client import (
    AuditOptions,
    ChangesOptions,
    DownloadOptions,
    PackageShown,
    RegistryTrusted,
    ShowOptions,
    TrustOptions,
    client_audit,
    client_changes,
    client_download,
    client_lock_vendored,
    client_show,
    client_trust,
    client_vendor,
)
from regsite.commands.client_lock import LockOptions, LockWritten
from regsite.commands.vendor import Vendored, VendoredLockOptions, VendorOptions
from regsite.errors import printable

__all__ = ["add_command"]


def add_command(commands: Subcommands) -> None:
    """Add ``regsite client`` and its actions, each handled by a Dispatch."""
    client = commands.add_parser("client", help="use a registry: verify, resolve, lock, download")
    actions = command_group(client, "what to do")
    trust = actions.add_parser("trust", help="pin a registry's root and check its metadata")
    trust.add_argument("url", metavar="URL_OR_DIR", help="the registry's site: URL or directory")
    trust.add_argument(
        "--root", type=Path, help="the root to pin (N.root.json); without it, trust on first use"
    )
    _state_options(trust, registry=False)
    trust.set_defaults(handler=Dispatch(_trust_options, client_trust, _show_trusted))
    show = actions.add_parser("show", help="a package's verified releases")
    show.add_argument("name", help="package name")
    show.add_argument("--json", action="store_true", help="print the package's JSON document")
    _state_options(show)
    show.set_defaults(handler=Dispatch(_show_options, client_show, _show_package))
    _add_lock(actions)
    _add_vendor(actions)
    _add_download(actions)
    _add_changes(actions)
    _add_audit(actions)


def _add_lock(actions: Subcommands) -> None:
    lock = actions.add_parser("lock", help="resolve requirements and write a lockfile")
    lock.add_argument("requirements", nargs="+", metavar="REQUIREMENT", help="e.g. 'http-kit>=2'")
    lock.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="the file to write (default regsite.lock, requirements.txt or pylock.toml)",
    )
    lock.add_argument(
        "--format",
        choices=list(LOCK_FORMATS),
        default="regsite",
        help="regsite: for 'client download' (default); requirements: for"
        " 'pip install --require-hashes -r'; pylock: PEP 751, for 'uv pip install -r'",
    )
    lock.add_argument(
        "--ignore-amendments-on",
        action="append",
        default=[],
        metavar="NAME",
        help="ignore curators' amendments that narrow requirements on NAME (as opam's"
        " --ignore-constraints-on); the owners' requirements still hold; repeatable",
    )
    lock.add_argument(
        "--vendor",
        type=Path,
        metavar="DIR",
        help="resolve from the shards vendored in DIR first (client vendor), starting from the"
        " closures the lockfile -o pins; fetch only what DIR lacks",
    )
    lock.add_argument("--offline", action="store_true", help="with --vendor: never use the network")
    _state_options(lock)
    lock.set_defaults(handler=Dispatch(_lock_options, client_lock_vendored, _show_lock))


def _add_vendor(actions: Subcommands) -> None:
    vendor = actions.add_parser(
        "vendor", help="fetch a lockfile's closures (shards) and artifacts, checked"
    )
    vendor.add_argument(
        "lockfile",
        type=Path,
        nargs="?",
        default=Path("regsite.lock"),
        help="a lockfile written by client lock (default regsite.lock)",
    )
    vendor.add_argument(
        "-d",
        "--dest",
        type=Path,
        default=Path("vendor"),
        metavar="DIR",
        help="directory to vendor into (default vendor)",
    )
    vendor.set_defaults(handler=Dispatch(_vendor_options, client_vendor, _show_vendored))


def _add_download(actions: Subcommands) -> None:
    download = actions.add_parser("download", help="download a lockfile's artifacts, checked")
    download.add_argument(
        "lockfile",
        type=Path,
        nargs="?",
        default=Path("regsite.lock"),
        help="a lockfile written by client lock (default regsite.lock)",
    )
    download.add_argument(
        "-d",
        "--dest",
        type=Path,
        default=Path("artifacts"),
        metavar="DIR",
        help="directory to download into (default artifacts)",
    )
    download.set_defaults(handler=Dispatch(_download_options, client_download, _show_download))


def _add_changes(actions: Subcommands) -> None:
    changes = actions.add_parser("changes", help="what changed: the registry's signed feed")
    changes.add_argument(
        "--since", type=int, default=0, metavar="N", help="the last event already seen (default 0)"
    )
    changes.add_argument(
        "--epoch", metavar="ID", help="the feed's epoch N belongs to: refuse a restarted feed"
    )
    changes.add_argument("--json", action="store_true", help="print the events as JSON")
    _state_options(changes)
    changes.set_defaults(handler=Dispatch(_changes_options, client_changes, _show_changes))


def _add_audit(actions: Subcommands) -> None:
    audit = actions.add_parser("audit", help="locked releases that advisories affect (exit 1)")
    audit.add_argument(
        "lockfile",
        type=Path,
        nargs="?",
        default=Path("regsite.lock"),
        help="a lockfile written by client lock (default regsite.lock)",
    )
    audit.add_argument("--json", action="store_true", help="print the findings as JSON")
    _state_options(audit, registry=False)
    audit.set_defaults(handler=Dispatch(_audit_options, client_audit, _show_audit))


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


def _trust_options(args: argparse.Namespace) -> TrustOptions:
    return TrustOptions(url=args.url, root=args.root, state=args.state)


def _show_trusted(args: argparse.Namespace, trusted: RegistryTrusted) -> int:
    print(printable(f"trusted {trusted.url} (root version {trusted.root_version})"))
    print(f"root keys (threshold {trusted.threshold}):")
    for fingerprint in trusted.fingerprints:
        print(f"  {fingerprint}")
    for name, url, version in trusted.upstreams:
        line = f"and upstream {name}: {url} (root version {version}, pinned by its registry.toml)"
        print(printable(line))
    if trusted.first_use:
        print(
            "trusted on first use: compare these fingerprints with ones the registry publishes"
            " elsewhere, or pin a root file with --root"
        )
    return 0


def _show_options(args: argparse.Namespace) -> ShowOptions:
    return ShowOptions(name=args.name, document=args.json, registry=args.registry, state=args.state)


def _show_package(args: argparse.Namespace, package: PackageShown) -> int:
    """The registry's text is the owners' (and a compromised build's): shown escaped, and the
    JSON in ASCII, so nothing in it can move the cursor, recolour or fake a line."""
    if package.document is not None:
        print(json.dumps(package.document, ensure_ascii=True, indent=2))
        return 0
    print(printable(f"{package.name}: {package.description}"))
    print(printable(f"signed by: {', '.join(package.signers)} (owner signatures verified)"))
    for release in package.releases:
        status = "" if release.status == "active" else f"  [{release.status}]"
        requires = ", ".join(release.requires)
        line = f"  {release.version}{status}" + (f"  requires {requires}" if requires else "")
        print(printable(line))
        if release.amended:
            print(printable(f"      amended: {', '.join(release.amended)}"))
    if package.amendments is not None:
        curators = ", ".join(package.amendments.signers)
        print(printable(f"amended by curators (signatures verified: {curators}):"))
        for amendment in package.amendments.amendments:
            releases = str(amendment.releases) or "*"
            print(
                printable(
                    f"  amendment[{amendment.index}] {amendment.constraint} on releases"
                    f" {releases} ({amendment.kind.value}, {amendment.date}): {amendment.reason}"
                )
            )
    return 0


def _lock_options(args: argparse.Namespace) -> VendoredLockOptions:
    lock = LockOptions(
        requirements=tuple(args.requirements),
        output=args.output,
        format=args.format,
        registry=args.registry,
        state=args.state,
        ignore_amendments_on=tuple(args.ignore_amendments_on),
    )
    return VendoredLockOptions(lock=lock, vendor=args.vendor, offline=args.offline)


def _vendor_options(args: argparse.Namespace) -> VendorOptions:
    return VendorOptions(lockfile=args.lockfile, dest=args.dest)


def _show_vendored(args: argparse.Namespace, vendored: Vendored) -> int:
    print(
        printable(
            f"vendored the closures of {vendored.packages} packages into {vendored.dest}"
            f" ({vendored.fetched} shards and manifests fetched, each checked against its hash)"
        )
    )
    for result in vendored.artifacts:
        print(printable(f"{result.status}: {result.path}"))
    return 0


def _show_lock(args: argparse.Namespace, written: LockWritten) -> int:
    count = len(written.lock.packages)
    print(f"locked {count} package{'s' if count != 1 else ''} into {written.path}:")
    for package in written.lock.packages:
        print(printable(f"  {package.name} {package.version}"))
    return 0


def _changes_options(args: argparse.Namespace) -> ChangesOptions:
    return ChangesOptions(
        since=args.since, epoch=args.epoch, registry=args.registry, state=args.state
    )


def _show_changes(args: argparse.Namespace, changes: Changes) -> int:
    """Events as the registry published them; its text escaped (or the JSON in ASCII)."""
    if args.json:
        document = {"epoch": changes.epoch, "latest": changes.latest, "events": changes.events}
        print(json.dumps(document, ensure_ascii=True, indent=2))
        return 0
    print(f"epoch {changes.epoch}, latest {changes.latest}: {len(changes.events)} new event(s)")
    for event in changes.events:
        fields = [f"{key}={_value(value)}" for key, value in event.items() if key not in _SHOWN]
        print(
            printable(f"  {event.get('seq')} {event.get('date')} {event.get('kind')} ")
            + printable(" ".join(fields))
        )
    return 0


_SHOWN = ("seq", "date", "kind")


def _value(value: object) -> str:
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def _audit_options(args: argparse.Namespace) -> AuditOptions:
    return AuditOptions(lockfile=args.lockfile, state=args.state)


def _show_audit(args: argparse.Namespace, findings: tuple[Finding, ...]) -> int:
    """Exit status 1 when any locked release is affected, as other audit tools do."""
    if args.json:
        print(json.dumps([dataclasses.asdict(f) for f in findings], ensure_ascii=True, indent=2))
        return 1 if findings else 0
    if not findings:
        print(printable(f"no advisory affects the releases locked in {args.lockfile}"))
        return 0
    for finding in findings:
        fixed = ", ".join(finding.fixed) or "no fixed version yet"
        found = f"{finding.package} {finding.version}: {finding.advisory} {finding.summary}"
        print(printable(f"{found} (fixed in: {fixed})"))
    count = len(findings)
    print(f"{count} affected release{'s' if count != 1 else ''}: upgrade, then lock again")
    return 1


def _download_options(args: argparse.Namespace) -> DownloadOptions:
    return DownloadOptions(lockfile=args.lockfile, dest=args.dest)


def _show_download(args: argparse.Namespace, results: tuple[DownloadResult, ...]) -> int:
    for result in results:
        print(printable(f"{result.status}: {result.path}"))
    return 0
