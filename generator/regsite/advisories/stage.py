"""The advisories stage: ``advisories/*.json`` read, checked and verified before the packages
are scanned, so that each package's scan and outputs can read the advisories naming it.

Each file's result is memoised under its bytes, its signature's, registry.toml's and the set
of package directories (an advisory may only name a package of this registry).  Problems go to
the one validation stage with every other problem of the source.
"""

from __future__ import annotations

import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from regsite.advisories.model import ADVISORIES_DIR, Advisory, advisories_by_package
from regsite.advisories.read import MAX_ADVISORY_BYTES, AdvisoryInput, read_advisory
from regsite.advisories.verify import verify_advisory
from regsite.errors import ErrorReport, SourceProblem
from regsite.memo import Memo, digest_of
from regsite.model import Registry

__all__ = ["AdvisoryScan", "scan_advisories"]

MAX_ADVISORIES = 100_000
_SIGNATURE_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class AdvisoryScan:
    advisories: tuple[Advisory, ...] = ()  # sorted by id; only those without problems
    problems: tuple[SourceProblem, ...] = ()
    by_package: Mapping[str, tuple[Advisory, ...]] = field(default_factory=dict)


def scan_advisories(
    root: Path, registry: Registry | None, directories: Sequence[str], memo: Memo
) -> AdvisoryScan:
    """Every advisory of the source; none (and no problem) without an ``advisories/``."""
    report = ErrorReport()
    inputs = _inputs(root, report)
    if registry is None or not inputs:
        return AdvisoryScan(problems=tuple(report))
    context = digest_of([registry.source.content, *directories])
    advisories = []
    for source in inputs:
        key = memo.key("advisory", [source.content, source.signature_content or b"-", context])
        found = memo.get("advisory", key)
        if found is None:
            found = _checked(source, registry, directories)
            memo.put("advisory", key, found)
        advisory, problems = found
        report.extend(problems)
        if advisory is not None:
            advisories.append(advisory)
    return AdvisoryScan(tuple(advisories), tuple(report), advisories_by_package(advisories))


def _checked(
    source: AdvisoryInput, registry: Registry, directories: Sequence[str]
) -> tuple[Advisory | None, tuple[SourceProblem, ...]]:
    report = ErrorReport()
    advisory = read_advisory(source, registry, frozenset(directories), report)
    packages = advisory.packages if advisory is not None else ()
    verified = verify_advisory(
        registry, source.path, source.content, source.signature_content, packages, report
    )
    return (advisory if verified and not report else None), tuple(report)


def _inputs(root: Path, report: ErrorReport) -> list[AdvisoryInput]:
    """The advisory files, sorted; anything else in ``advisories/`` is a problem."""
    directory = root / ADVISORIES_DIR
    if not directory.is_dir() or directory.is_symlink():
        if directory.is_symlink() or directory.exists():
            report.add(ADVISORIES_DIR, "", "expected a directory (symbolic links are refused)")
        return []
    names = sorted(entry.name for entry in directory.iterdir())
    if len(names) > 2 * MAX_ADVISORIES:
        report.add(ADVISORIES_DIR, "", f"{len(names)} files; at most {MAX_ADVISORIES} advisories")
        return []
    found = []
    for name in names:
        relative = f"{ADVISORIES_DIR}/{name}"
        if name.endswith(".json.sig") and name.removesuffix(".sig") in names:
            continue
        if not name.endswith(".json") or name.startswith("."):
            report.add(
                relative, "", "unexpected file: advisories/ holds <ID>.json and <ID>.json.sig"
            )
            continue
        content = _read(directory / name, relative, MAX_ADVISORY_BYTES, report)
        signature = _read(directory / f"{name}.sig", f"{relative}.sig", _SIGNATURE_BYTES, report)
        if content is not None:
            found.append(AdvisoryInput(relative, content, signature))
    return found


def _read(path: Path, relative: str, limit: int, report: ErrorReport) -> bytes | None:
    """A regular file's bytes up to ``limit``; ``None`` when missing, or with a problem."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        report.add(relative, "", f"cannot read: {exc.strerror}")
        return None
    if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
        report.add(relative, "", f"expected a regular file of at most {limit} bytes")
        return None
    with path.open("rb") as handle:
        return handle.read(limit + 1)[:limit]
