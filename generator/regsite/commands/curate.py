"""``regsite curate add``, ``stage``, ``relax`` and ``list``: curators' amendments to other
packages' requirements, in ``amendments/<name>/amendments.toml`` (docs/curation.md).

``stage`` and ``relax`` are opam's staged release, steps 1 and 3: before a new, incompatible
release of a package, bound every dependent release it would reach; once dependents are known
to work with it, remove the ``build`` amendments again.  ``runtime`` amendments are never
removed by a tool.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

from regsite.amendment_edits import (
    AmendmentsEdit,
    amended_packages,
    append_entry,
    current_amendments,
    dependents_on,
    edit_of,
    entries,
    on_disk,
    read_amendments_document,
    today,
)
from regsite.commands.release import normal_version
from regsite.commands.sign import (
    EditOptions,
    SourceEdit,
    signed_edit,
    signing_keys,
    signing_refusal,
)
from regsite.errors import SourceEditError
from regsite.keys import PrivateKey
from regsite.model import AmendmentKind, Narrowing, PackageAmendments, Registry
from regsite.names import normalize_name
from regsite.sources import SourceTree
from regsite.staging import Skipped, StagedRange, stage_plan
from regsite.versions import VersionScheme, VersionSyntaxError

__all__ = [
    "AddOptions",
    "AmendmentAdded",
    "ListOptions",
    "ListedAmendment",
    "RelaxOptions",
    "Relaxed",
    "RelaxedAmendment",
    "StageOptions",
    "Staged",
    "curate_add",
    "curate_list",
    "curate_relax",
    "curate_stage",
]


def _require_package(tree: SourceTree, name: str) -> None:
    if not tree.package_path(name).is_file():
        raise SourceEditError(
            f"packages/{name}/package.toml: this registry has no package {name!r}"
        )


def _kind(text: str) -> str:
    if text not in AmendmentKind.__members__.values():
        raise SourceEditError(f"--kind {text!r}: expected 'build' or 'runtime'")
    return text


# regsite curate add ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AddOptions:
    edit: EditOptions
    name: str  # the package whose releases are amended
    releases: str  # which of its releases: a specifier in the registry's scheme; '*' is all
    kind: str  # build or runtime
    reason: str
    dependency: str | None = None  # with upper_bound or exclude
    upper_bound: str | None = None  # the first version left out
    exclude: str | None = None
    conflict: str | None = None  # a package, with a specifier or not: 'gamma' or 'gamma>=2'
    link: str | None = None


@dataclass(frozen=True, slots=True)
class AmendmentAdded:
    edit: SourceEdit
    index: int  # amendment[index] in the file
    constraint: str  # what it says, e.g. "alpha <2.0"


def curate_add(options: AddOptions) -> AmendmentAdded:
    """Add one amendment to a package's amendments file, checked as the build checks it, and
    sign the file with the ``--sign`` keys that may (curators whose scope holds the package)."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    registry = tree.registry()
    _require_package(tree, options.name)
    document = read_amendments_document(tree, options.name)
    append_entry(document, _entry(options, registry.version_scheme))
    edit = edit_of(tree, registry, options.name, document)
    assert edit.modelled is not None  # the file has the amendment just added
    added = edit.modelled.amendments[-1]
    return AmendmentAdded(signed_edit(tree, keys, edit.write()), added.index, added.constraint)


def _entry(options: AddOptions, scheme: VersionScheme) -> list[tuple[str, object]]:
    narrowings = [
        (key, value)
        for key, value in (
            ("upper-bound", options.upper_bound),
            ("exclude", options.exclude),
            ("conflict", options.conflict),
        )
        if value is not None
    ]
    if len(narrowings) != 1:
        raise SourceEditError("give exactly one of --upper-bound, --exclude or --conflict")
    key, value = narrowings[0]
    fields: list[tuple[str, object]] = [("releases", _releases(options.releases, scheme))]
    if key == Narrowing.CONFLICT:
        if options.dependency is not None:
            raise SourceEditError("--conflict names its package itself; leave out --dependency")
        fields += _conflict(value, scheme)
    else:
        if options.dependency is None:
            raise SourceEditError(f"--{key} needs --dependency NAME: the dependency it narrows")
        fields += [("dependency", normalize_name(options.dependency))]
        fields += [(key, str(normal_version(value, scheme)))]
    fields += [("kind", _kind(options.kind)), ("reason", options.reason)]
    return [*fields, ("link", options.link), ("date", today())]


def _releases(text: str, scheme: VersionScheme) -> str:
    try:
        specifier = scheme.parse_specifier(text)
    except VersionSyntaxError as exc:
        raise SourceEditError(f"--releases {text!r}: {exc}") from exc
    return "*" if specifier.is_any else str(specifier)


def _conflict(text: str, scheme: VersionScheme) -> list[tuple[str, object]]:
    try:
        name, specifier = scheme.parse_requirement(text)
    except VersionSyntaxError as exc:
        raise SourceEditError(f"--conflict {text!r}: {exc}") from exc
    versions = None if specifier.is_any else str(specifier)
    return [("conflict", normalize_name(name)), ("versions", versions)]


# regsite curate stage -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StageOptions:
    edit: EditOptions
    name: str  # the package about to have a new, incompatible release
    version: str  # that release; it need not exist yet
    kind: str = "build"
    reason: str | None = None  # None: says that NAME VERSION is staged
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Staged:
    edit: SourceEdit
    version: str  # in its normal form
    ranges: tuple[StagedRange, ...]  # the amendments added, one per range
    skipped: tuple[Skipped, ...]  # releases it reaches that are left as they are


def curate_stage(options: StageOptions) -> Staged:
    """opam's step 1: bound every dependent release that would take ``NAME VERSION`` below it,
    as one change, signed by the ``--sign`` keys (which must be able to sign every file)."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    registry = tree.registry()
    scheme = registry.version_scheme
    _require_package(tree, options.name)
    version = normal_version(options.version, scheme)
    target = on_disk(tree, registry, options.name)
    existing = [release.version for release in target.releases] if target else []
    dependents, broken = dependents_on(tree, registry, options.name)
    skipped = [Skipped(name, "*", "has problems; run regsite verify") for name in broken]
    amendments = {
        name: found
        for name in dependents
        if (found := current_amendments(tree, registry, name)) is not None
    }
    plan = stage_plan(options.name, version, dependents, amendments, existing, scheme)
    if not plan.ranges:
        raise SourceEditError(
            f"no release of any dependent would take {options.name} {version}: nothing to stage",
            details=[f"{s.package} {s.version}: {s.why}" for s in (*skipped, *plan.skipped)],
        )
    reason = options.reason or (
        f"{options.name} {version} is not known to work with these releases yet (staged)"
    )
    fields: list[tuple[str, object]] = [("dependency", options.name), ("upper-bound", str(version))]
    fields += [("kind", _kind(options.kind)), ("reason", reason), ("link", options.link)]
    edits = _stage_edits(tree, registry, plan.ranges, fields)
    _require_signers(registry, keys, [edit.path for edit in edits])
    changed = [path for edit in edits for path in edit.write()]
    edit = signed_edit(tree, keys, changed)
    return Staged(edit, str(version), plan.ranges, (*skipped, *plan.skipped))


def _stage_edits(
    tree: SourceTree,
    registry: Registry,
    ranges: Sequence[StagedRange],
    fields: list[tuple[str, object]],
) -> list[AmendmentsEdit]:
    edits = []
    for package, group in groupby(ranges, key=lambda staged: staged.package):
        document = read_amendments_document(tree, package)
        for staged in group:
            append_entry(document, [("releases", staged.releases), *fields, ("date", today())])
        edits.append(edit_of(tree, registry, package, document))
    return edits


def _require_signers(registry: Registry, keys: Sequence[PrivateKey], paths: list[Path]) -> None:
    """One signed change: with ``--sign``, every file must be signable by one of the keys."""
    if not keys:
        return
    refusals = []
    for path in paths:
        found = [signing_refusal(registry, path, key.public) for key in keys]
        if all(found):
            refusals += [refusal for refusal in found if refusal is not None]
    if refusals:
        raise SourceEditError(
            "the --sign keys cannot sign every file of the change, so nothing was changed:",
            details=refusals,
        )


# regsite curate relax -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RelaxOptions:
    edit: EditOptions
    packages: tuple[str, ...] = ()  # the amended packages; none: every one
    dependencies: tuple[str, ...] = ()  # only amendments naming these; none: any
    all_build: bool = False  # every build amendment the other options select


@dataclass(frozen=True, slots=True)
class RelaxedAmendment:
    package: str
    index: int  # in the file before the change
    constraint: str
    releases: str
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class Relaxed:
    edit: SourceEdit
    removed: tuple[RelaxedAmendment, ...]
    kept: tuple[RelaxedAmendment, ...]  # runtime amendments the selection named: never relaxed
    deleted: tuple[Path, ...]  # amendments files left empty, deleted with their .sig


def curate_relax(options: RelaxOptions) -> Relaxed:
    """opam's step 3: remove the selected ``build`` amendments; ``runtime`` ones stay."""
    if not (options.packages or options.dependencies or options.all_build):
        raise SourceEditError(
            "say which amendments to relax: --package NAME, --dependency NAME or --all-build"
        )
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    registry = tree.registry()
    removed: list[RelaxedAmendment] = []
    kept: list[RelaxedAmendment] = []
    edits = []
    for name in options.packages or amended_packages(tree):
        modelled = current_amendments(tree, registry, name)
        if modelled is None:
            raise SourceEditError(f"amendments/{name}/amendments.toml: {name!r} has no amendments")
        document = read_amendments_document(tree, name)
        dropped = _select(modelled, options.dependencies, removed, kept)
        if dropped:
            table = entries(document)
            for index in sorted(dropped, reverse=True):
                del table[index]
            edits.append(edit_of(tree, registry, name, document))
    if not removed:
        raise SourceEditError(_nothing_to_relax(kept), details=[_line(a) for a in kept])
    _require_signers(registry, keys, [e.path for e in edits if e.content is not None])
    changed = [path for edit in edits for path in edit.write()]
    deleted = tuple(edit.path for edit in edits if edit.content is None)
    return Relaxed(signed_edit(tree, keys, changed), tuple(removed), tuple(kept), deleted)


def _select(
    modelled: PackageAmendments,
    dependencies: Sequence[str],
    removed: list[RelaxedAmendment],
    kept: list[RelaxedAmendment],
) -> list[int]:
    """The indices to remove from the file; the runtime ones selected go to ``kept``."""
    dropped = []
    for amendment in modelled.amendments:
        if dependencies and amendment.target not in dependencies:
            continue
        entry = RelaxedAmendment(
            package=modelled.package,
            index=amendment.index,
            constraint=amendment.constraint,
            releases=str(amendment.releases) or "*",
            kind=amendment.kind.value,
            reason=amendment.reason,
        )
        if amendment.kind is AmendmentKind.RUNTIME:
            kept.append(entry)
        else:
            removed.append(entry)
            dropped.append(amendment.index)
    return dropped


def _line(amendment: RelaxedAmendment) -> str:
    return (
        f"{amendment.package} amendment[{amendment.index}] {amendment.constraint} (releases"
        f" {amendment.releases}): runtime: {amendment.reason}"
    )


def _nothing_to_relax(kept: Sequence[RelaxedAmendment]) -> str:
    if not kept:
        return "no build amendment matches; nothing to relax (see: regsite curate list)"
    return (
        "nothing to relax: the amendments selected are runtime ones, which say the combination"
        " fails when it runs, so no tool relaxes them; a curator who knows it was fixed removes"
        " one by editing its amendments file and signing it"
    )


# regsite curate list --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ListOptions:
    source: Path = Path()
    name: str | None = None  # one package; None: every amended package


@dataclass(frozen=True, slots=True)
class ListedAmendment:
    package: str
    index: int
    constraint: str
    narrowing: str
    releases: str
    kind: str
    reason: str
    link: str | None
    date: str
    signers: tuple[str, ...]  # curators whose signatures verify
    verified: bool  # the file's signatures meet the threshold, every one valid


def curate_list(options: ListOptions) -> tuple[ListedAmendment, ...]:
    """Every amendment in the source (or of one package), with who signed its file."""
    tree = SourceTree(options.source)
    registry = tree.registry()
    names = [options.name] if options.name is not None else amended_packages(tree)
    listed = []
    for name in names:
        modelled = current_amendments(tree, registry, name, verify=True)
        if modelled is None:
            continue
        verdict = modelled.source.verification
        listed += [
            ListedAmendment(
                package=name,
                index=amendment.index,
                constraint=amendment.constraint,
                narrowing=amendment.narrowing.value,
                releases=str(amendment.releases) or "*",
                kind=amendment.kind.value,
                reason=amendment.reason,
                link=amendment.link,
                date=amendment.date.isoformat(),
                signers=modelled.signers,
                verified=verdict is not None and verdict.verified,
            )
            for amendment in modelled.amendments
        ]
    return tuple(listed)
