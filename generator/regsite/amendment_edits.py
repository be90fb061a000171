"""Editing a package's amendments file with tomlkit, checked by the build's own functions
before anything is written (``regsite curate``).

A change is modelled from its new bytes (:func:`regsite.amendment_file.read_amendments`) and
validated against the packages as they are on disk (:func:`regsite.amendment_checks.
amendment_problems`): a curator learns of a widening bound or an unsatisfiable requirement from
the command, not from the next build.  Its signatures are left out: the edit is signed after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import tomlkit
from tomlkit.items import AoT
from tomlkit.toml_document import TOMLDocument

from regsite.amendment_checks import amendment_problems
from regsite.amendment_file import AMENDMENTS_DIR, AMENDMENTS_FILE, read_amendments
from regsite.atomic_write import write_atomically
from regsite.errors import ErrorReport, SourceEditError
from regsite.load import PACKAGES_DIR, load_package, load_signed_file, loaded_file
from regsite.model import Package, PackageAmendments, Registry
from regsite.options import source_date_epoch
from regsite.scan import model_package
from regsite.sources import SourceTree
from regsite.summary import PackageSummary, summarize
from regsite.upstream_checks import Upstreams
from regsite.verify import verify_amendments
from regsite.versions import Version

__all__ = [
    "AmendmentsEdit",
    "amended_packages",
    "amendments_file",
    "append_entry",
    "check_amendments",
    "current_amendments",
    "dependents_on",
    "edit_of",
    "entries",
    "on_disk",
    "package_names",
    "packages_on_disk",
    "read_amendments_document",
    "today",
]


def amendments_file(tree: SourceTree, name: str) -> Path:
    """``amendments/<name>/amendments.toml`` in the source (``name`` is checked first)."""
    tree.package_dir(name)  # the name rules, before the name becomes a path
    return tree.root / AMENDMENTS_DIR / name / AMENDMENTS_FILE


def read_amendments_document(tree: SourceTree, name: str) -> TOMLDocument:
    """The amendments file of package ``name`` for editing, or a new one."""
    path = amendments_file(tree, name)
    if not path.exists():
        document = tomlkit.document()
        document["format"] = 1
        document["package"] = name
        document.add(tomlkit.nl())
        document["amendment"] = tomlkit.aot()
        return document
    document = tree.read(path)
    if not isinstance(document.get("amendment"), AoT):
        raise SourceEditError(f"{path}: 'amendment' must be an array of [[amendment]] tables")
    return document


def entries(document: TOMLDocument) -> AoT:
    found = document.get("amendment")
    assert isinstance(found, AoT)  # read_amendments_document checked it
    return found


@dataclass(frozen=True, slots=True)
class AmendmentsEdit:
    """One amendments file's new content (``None``: the file and its .sig are deleted)."""

    name: str
    path: Path
    content: bytes | None
    modelled: PackageAmendments | None = None  # the new content, as the build reads it

    def write(self) -> list[Path]:
        """Write or delete the file; return the paths changed (the ones to sign)."""
        if self.content is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, self.content)
            return [self.path]
        self.path.unlink(missing_ok=True)
        self.path.with_name(f"{AMENDMENTS_FILE}.sig").unlink(missing_ok=True)
        if self.path.parent.is_dir() and not any(self.path.parent.iterdir()):
            self.path.parent.rmdir()
        return []


def edit_of(
    tree: SourceTree, registry: Registry, name: str, document: TOMLDocument
) -> AmendmentsEdit:
    """The edit that saves ``document``, checked; no amendment left: the file is deleted."""
    path = amendments_file(tree, name)
    if not entries(document):
        return AmendmentsEdit(name, path, None)
    content = tomlkit.dumps(document).encode("utf-8")
    return AmendmentsEdit(name, path, content, check_amendments(tree, registry, name, content))


def check_amendments(
    tree: SourceTree, registry: Registry, name: str, content: bytes
) -> PackageAmendments:
    """Model an amendments file's new bytes and validate it as the build does; raise listing
    every problem."""
    report = ErrorReport()
    relative = f"{AMENDMENTS_DIR}/{name}/{AMENDMENTS_FILE}"
    loaded = loaded_file(relative, content, None, report)
    _raise(report)
    assert loaded is not None
    scheme = registry.version_scheme
    amendments = read_amendments(loaded, name, None, report, scheme=scheme)
    _raise(report)
    package = on_disk(tree, registry, name)
    if package is None:
        raise SourceEditError(f"packages/{name}/package.toml: no such package, or it has problems")
    summary, details = summarize(package, b"")
    targets = {amendment.target for amendment in amendments.amendments} | set(summary.targets)
    present = [target for target in targets if tree.package_path(target).is_file()]
    others = packages_on_disk(tree, registry, present)

    def versions(texts: tuple[str, ...]) -> tuple[Version, ...]:
        return tuple(scheme.parse_version(text) for text in texts)

    parse = (scheme.parse_specifier, versions)
    taken = Upstreams.of(registry).taken
    found = amendment_problems(
        amendments, summary, details.requirements, others, present, scheme, parse, taken=taken
    )
    report.extend(found)
    _raise(report)
    return amendments


def on_disk(tree: SourceTree, registry: Registry, name: str) -> Package | None:
    """Package ``name`` modelled as it is on disk (signatures unchecked), or None."""
    loaded = load_package(tree.root, name, ErrorReport(), tree.limits)
    return model_package(registry, loaded, ErrorReport(), tree.limits, verify=False)[1]


def packages_on_disk(
    tree: SourceTree, registry: Registry, names: Iterable[str]
) -> dict[str, PackageSummary]:
    """The packages ``names`` as they are on disk; ones that fail to model are left out."""
    found = {}
    for name in names:
        package = on_disk(tree, registry, name)
        if package is not None:
            found[name] = summarize(package, b"")[0]
    return found


def amended_packages(tree: SourceTree) -> list[str]:
    """The packages with an amendments file, sorted."""
    directory = tree.root / AMENDMENTS_DIR
    if not directory.is_dir():
        return []
    return sorted(path.parent.name for path in directory.glob(f"*/{AMENDMENTS_FILE}"))


def package_names(tree: SourceTree) -> list[str]:
    """Every package directory with a package.toml, sorted."""
    return sorted(path.parent.name for path in (tree.root / PACKAGES_DIR).glob("*/package.toml"))


def current_amendments(
    tree: SourceTree, registry: Registry, name: str, *, verify: bool = False
) -> PackageAmendments | None:
    """Package ``name``'s amendments as on disk (verified against the curators with
    ``verify``, its problems then in the verdict); None without a file."""
    path = amendments_file(tree, name)
    if not path.exists():
        return None
    report = ErrorReport()
    relative = path.relative_to(tree.root).as_posix()
    loaded = load_signed_file(
        tree.root, relative, tree.limits.amendments_bytes, tree.limits, report
    )
    if loaded is None:
        raise SourceEditError(f"{path}: cannot be read: {'; '.join(map(str, report))}")
    verdict = verify_amendments(registry, name, loaded, ErrorReport()) if verify else None
    return read_amendments(loaded, name, verdict, report, scheme=registry.version_scheme)


def append_entry(document: TOMLDocument, fields: Iterable[tuple[str, object]]) -> None:
    """Append an ``[[amendment]]`` with ``fields`` in order (None values left out), a blank
    line before it."""
    table = tomlkit.table()
    for key, value in fields:
        if value is not None:
            table[key] = value
    found = entries(document)
    if len(found) and not tomlkit.dumps(document).endswith("\n\n"):
        found[-1].add(tomlkit.nl())
    found.append(table)


def dependents_on(
    tree: SourceTree, registry: Registry, name: str
) -> tuple[dict[str, Package], list[str]]:
    """The packages on disk with a release that requires ``name``, and those that have problems
    (so whether they do is unknown)."""
    found: dict[str, Package] = {}
    broken: list[str] = []
    for other in package_names(tree):
        if other == name:
            continue
        package = on_disk(tree, registry, other)
        if package is None:
            broken.append(other)
        elif any(d.name == name for release in package.releases for d in release.requires):
            found[other] = package
    return found, broken


def today() -> date:
    """An amendment's date: ``$SOURCE_DATE_EPOCH``'s day when it is set, else today (UTC)."""
    epoch = source_date_epoch()
    return (datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)).date()


def _raise(report: ErrorReport) -> None:
    if report:
        raise SourceEditError(
            "the change would make the source invalid:", details=[str(p) for p in report]
        )
