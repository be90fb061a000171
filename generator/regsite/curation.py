"""The curation stage: every package's signed amendments file, read, verified and modelled
before the packages are scanned, so that each package's render and requirement checks can
declare its amendments as inputs (docs/curation.md, docs/decisions.md "Curated constraints").

``amendments/<name>/amendments.toml`` (and its ``.sig``) holds the curators' amendments to the
package ``<name>``.  Each file is memoised under its bytes and what its verification reads of
registry.toml: the curators whose scope holds the package, their threshold, the revoked keys and
the version scheme.  A file with problems is read again every build, so its messages never go
stale.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from regsite.amendment_file import AMENDMENTS_DIR, AMENDMENTS_FILE, read_amendments
from regsite.errors import ErrorReport, SourceProblem
from regsite.load import SourceLimits, load_signed_file
from regsite.memo import Memo, digest_of
from regsite.model import PackageAmendments, Registry
from regsite.names import name_problem
from regsite.verify import verify_amendments

__all__ = ["Curation", "amendments_inputs", "amendments_path", "curator_inputs", "scan_curation"]

_INPUTS = frozenset({AMENDMENTS_FILE, f"{AMENDMENTS_FILE}.sig"})
# What the memo keeps of one file: the model (None when it could not be read) and its problems.
_Record = tuple[PackageAmendments | None, tuple[SourceProblem, ...]]


@dataclass(frozen=True, slots=True)
class Curation:
    """Every package's amendments, and every problem found in the amendments files."""

    amendments: Mapping[str, PackageAmendments] = field(default_factory=dict)  # by package
    problems: tuple[SourceProblem, ...] = ()


def amendments_path(name: str) -> str:
    """The source path of package ``name``'s amendments file."""
    return f"{AMENDMENTS_DIR}/{name}/{AMENDMENTS_FILE}"


def scan_curation(
    root: Path,
    limits: SourceLimits,
    registry: Registry | None,
    packages: Collection[str],
    memo: Memo,
) -> Curation:
    """Read, verify and model ``amendments/``; ``packages`` are the package directories found."""
    report = ErrorReport()
    names = _directories(root, packages, report)
    if registry is None:  # the build fails on registry.toml; nothing here can be verified
        return Curation(problems=tuple(report))
    found = {}
    for name in names:
        files = memo.files_digest(root / AMENDMENTS_DIR / name, _INPUTS.__contains__)
        key = memo.key("amendments", [name, files, *curator_inputs(registry, name), repr(limits)])
        record: _Record | None = memo.get("amendments", key)
        if record is None or record[1]:
            record = _model(root, limits, registry, name)
            memo.put("amendments", key, record)
        modelled, problems = record
        report.extend(problems)
        if modelled is not None:
            found[name] = modelled
    return Curation(amendments=found, problems=tuple(report))


def curator_inputs(registry: Registry, name: str) -> Iterable[str]:
    """What verifying and modelling package ``name``'s amendments read of registry.toml."""
    yield f"scheme {registry.version_scheme.name}"
    yield f"curator threshold {registry.curator_threshold}"
    yield "revoked " + " ".join(sorted(str(key) for key in registry.revoked_keys))
    for curator in registry.curators_of(name):
        yield f"curator {curator.id} " + " ".join(str(key) for key in curator.keys)


def amendments_inputs(amendments: PackageAmendments | None, registry: Registry) -> list[str]:
    """What a package's outputs show of its amendments: the signed bytes and who signed them."""
    if amendments is None:
        return ["no amendments"]
    source = amendments.source
    parts = [digest_of([source.content, source.signature_content or b""]).hex()]
    for signer in amendments.signers:
        curator = registry.curators.get(signer)
        parts += [signer, curator.name if curator else "-", (curator and curator.url) or "-"]
    return parts


def _model(root: Path, limits: SourceLimits, registry: Registry, name: str) -> _Record:
    report = ErrorReport()
    loaded = load_signed_file(root, amendments_path(name), limits.amendments_bytes, limits, report)
    if loaded is None:
        return None, tuple(report)
    verdict = verify_amendments(registry, name, loaded, report)
    scheme = registry.version_scheme
    modelled = read_amendments(loaded, name, verdict, report, scheme=scheme)
    if not verdict.verified and not report:  # fail closed, even if no check said why
        report.add(loaded.path, "", "signatures did not verify")
    return modelled, tuple(report)


def _directories(root: Path, packages: Collection[str], report: ErrorReport) -> list[str]:
    """``amendments/<name>/`` for each package with amendments; anything else is a problem."""
    directory = root / AMENDMENTS_DIR
    if not directory.exists():
        return []
    if directory.is_symlink() or not directory.is_dir():
        report.add(AMENDMENTS_DIR, "", "expected a directory (symbolic links are refused)")
        return []
    names = []
    for entry in sorted(os.scandir(directory), key=lambda item: item.name):
        relative = f"{AMENDMENTS_DIR}/{entry.name}"
        if entry.name.startswith("."):
            continue
        if entry.is_symlink() or not entry.is_dir():
            report.add(relative, "", f"expected a directory {relative}/{AMENDMENTS_FILE}")
        elif (problem := name_problem(entry.name)) is not None:
            report.add(relative, "", f"directory {problem}")
        elif entry.name not in packages:
            report.add(
                relative,
                "",
                f"amends {entry.name!r}, which is not a package of this registry"
                f" (no packages/{entry.name}/); remove the directory",
            )
        else:
            names.append(entry.name)
    return names
