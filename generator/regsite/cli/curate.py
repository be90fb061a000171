"""``regsite curate add``, ``stage``, ``relax`` and ``list``: curators' amendments."""

from __future__ import annotations

import argparse

from regsite.cli.dispatch import Dispatch, Subcommands, command_group, print_warnings
from regsite.cli.edits import edit_arguments, edit_options, print_edit, source_option
from regsite.commands.curate import (
    AddOptions,
    AmendmentAdded,
    ListedAmendment,
    ListOptions,
    Relaxed,
    RelaxOptions,
    Staged,
    StageOptions,
    curate_add,
    curate_list,
    curate_relax,
    curate_stage,
)
from regsite.errors import printable

__all__ = ["add_command"]

_KINDS = ("build", "runtime")


def add_command(commands: Subcommands) -> None:
    """Add ``regsite curate`` and its actions, each handled by a Dispatch."""
    curate = commands.add_parser(
        "curate", help="narrow other packages' requirements, as a curator (docs/curation.md)"
    )
    actions = command_group(curate, "what to do with amendments")
    _add_add(actions)
    stage = actions.add_parser(
        "stage", help="before an incompatible release, bound every dependent it would reach"
    )
    stage.add_argument("name", help="the package about to be released")
    stage.add_argument("version", help="the incompatible release (it need not exist yet)")
    stage.add_argument("--kind", choices=_KINDS, default="build", help="default: build")
    stage.add_argument("--reason", help="why (default: says that NAME VERSION is staged)")
    stage.add_argument("--link", metavar="URL", help="an http(s) link: the issue, the release")
    edit_arguments(stage)
    stage.set_defaults(handler=Dispatch(_stage_options, curate_stage, _show_staged))
    _add_relax(actions)
    listing = actions.add_parser("list", help="every amendment, with who signed it")
    listing.add_argument("name", nargs="?", help="only this package's")
    source_option(listing)
    listing.set_defaults(handler=Dispatch(_list_options, curate_list, _show_list))


def _add_add(actions: Subcommands) -> None:
    add = actions.add_parser("add", help="narrow a package's requirements over a release range")
    add.add_argument("name", help="the package whose releases are amended")
    add.add_argument(
        "--releases",
        required=True,
        metavar="SPEC",
        help="which of its releases, in the registry's scheme: '<=1.4', '*' for all",
    )
    add.add_argument("--dependency", metavar="NAME", help="the dependency to narrow")
    narrowing = add.add_mutually_exclusive_group(required=True)
    narrowing.add_argument("--upper-bound", metavar="VERSION", help="leave out VERSION and later")
    narrowing.add_argument("--exclude", metavar="VERSION", help="leave out one version")
    narrowing.add_argument(
        "--conflict", metavar="PACKAGE", help="must not be installed with them: 'gamma>=2'"
    )
    add.add_argument("--kind", choices=_KINDS, required=True, help="build or runtime")
    add.add_argument("--reason", required=True, help="why, shown on the package's page")
    add.add_argument("--link", metavar="URL", help="an http(s) link: the issue, the report")
    edit_arguments(add)
    add.set_defaults(handler=Dispatch(_add_options, curate_add, _show_added))


def _add_relax(actions: Subcommands) -> None:
    relax = actions.add_parser(
        "relax", help="remove build amendments once dependents work (never runtime ones)"
    )
    relax.add_argument(
        "--package", action="append", default=[], metavar="NAME", help="its amendments"
    )
    relax.add_argument(
        "--dependency",
        action="append",
        default=[],
        metavar="NAME",
        help="only amendments naming this package (e.g. the one just released)",
    )
    relax.add_argument(
        "--all-build", action="store_true", help="every build amendment of every package"
    )
    edit_arguments(relax)
    relax.set_defaults(handler=Dispatch(_relax_options, curate_relax, _show_relaxed))


def _add_options(args: argparse.Namespace) -> AddOptions:
    return AddOptions(
        edit=edit_options(args),
        name=args.name,
        releases=args.releases,
        kind=args.kind,
        reason=args.reason,
        dependency=args.dependency,
        upper_bound=args.upper_bound,
        exclude=args.exclude,
        conflict=args.conflict,
        link=args.link,
    )


def _show_added(args: argparse.Namespace, added: AmendmentAdded) -> int:
    print(printable(f"amendment[{added.index}] of {args.name}: {added.constraint}"))
    print_edit(added.edit)
    return 0


def _stage_options(args: argparse.Namespace) -> StageOptions:
    return StageOptions(
        edit=edit_options(args),
        name=args.name,
        version=args.version,
        kind=args.kind,
        reason=args.reason,
        link=args.link,
    )


def _show_staged(args: argparse.Namespace, staged: Staged) -> int:
    print(printable(f"staged {args.name} {staged.version}: an upper bound <{staged.version} on"))
    for found in staged.ranges:
        covers = ", ".join(found.versions)
        print(printable(f"  {found.package} releases {found.releases} ({covers})"))
    if staged.skipped:
        print("left as they are:")
    for skipped in staged.skipped:
        print(printable(f"  {skipped.package} {skipped.version}: {skipped.why}"))
    print_edit(staged.edit)
    return 0


def _relax_options(args: argparse.Namespace) -> RelaxOptions:
    return RelaxOptions(
        edit=edit_options(args),
        packages=tuple(args.package),
        dependencies=tuple(args.dependency),
        all_build=args.all_build,
    )


def _show_relaxed(args: argparse.Namespace, relaxed: Relaxed) -> int:
    for removed in relaxed.removed:
        print(
            printable(
                f"removed {removed.package} amendment[{removed.index}]: {removed.constraint}"
                f" (releases {removed.releases}, {removed.kind})"
            )
        )
    print_warnings(
        printable(
            f"kept {kept.package} amendment[{kept.index}]: {kept.constraint}: a runtime"
            f" amendment, never relaxed by tools ({kept.reason})"
        )
        for kept in relaxed.kept
    )
    for path in relaxed.deleted:
        print(f"deleted {path} and its signatures: no amendment left")
    print_edit(relaxed.edit)
    return 0


def _list_options(args: argparse.Namespace) -> ListOptions:
    return ListOptions(source=args.source, name=args.name)


def _show_list(args: argparse.Namespace, listed: tuple[ListedAmendment, ...]) -> int:
    if not listed:
        print("no amendments" + (f" of {args.name}" if args.name else ""))
        return 0
    for amendment in listed:
        signed = ", ".join(amendment.signers) or "nobody"
        status = "" if amendment.verified else "  NOT VERIFIED (regsite verify says why)"
        print(
            printable(
                f"{amendment.package} amendment[{amendment.index}]  {amendment.constraint}"
                f"  releases {amendment.releases}  {amendment.kind}  {amendment.date}"
                f"  signed by {signed}{status}"
            )
        )
        print(printable(f"  reason: {amendment.reason}"))
        if amendment.link:
            print(printable(f"  link: {amendment.link}"))
    return 0 if all(amendment.verified for amendment in listed) else 1
