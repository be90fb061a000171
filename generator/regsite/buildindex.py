"""The build index: what one build leaves in the cache for the next, read and written once.

A rebuild looks every package up here, so reading and writing it must cost little per
package.  Each package's records are stored as a pickle of their own (:func:`freeze`), so a
build pickles only the records it changed and writes the others back as it read them; and as
plain tuples of strings, numbers and datetimes, which unpickle without calling back into
Python (a frozen dataclass, an enum or a named tuple costs a Python call each, and a summary
holds dozens of them).  :func:`pack_summary` and :func:`unpack_summary` convert.

The index also records, per package, the stat of the source files the scan read (the "source
stamp", as git's index does): a rebuild whose stamps match skips reading and hashing them.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from regsite.keys import PublicKey
from regsite.metadata.previous import RoleBrief
from regsite.model import PackageStatus, ReleaseStatus
from regsite.signatures import SignatureCheck, SignatureStatus, ThresholdResult
from regsite.summary import PackageSummary, ReleaseBrief, Requirement
from regsite.write import WrittenFile

__all__ = [
    "INDEX_KEY",
    "BuildIndex",
    "PackedSummary",
    "PackedVerdict",
    "SourceStamp",
    "freeze",
    "freeze_files",
    "pack_summary",
    "pack_verdict",
    "thaw",
    "thaw_files",
    "unpack_summary",
    "unpack_verdict",
]

INDEX_KEY = "0" * 64  # the cache entry ("index" kind) holding the last build's BuildIndex

# (file name, size, mtime_ns, ctime_ns, inode) of each file a package's scan digest covers
SourceStamp = tuple[tuple[str, int, int, int, int], ...]

PackedBrief = tuple[str, datetime, str]
PackedSummary = tuple[Any, ...]  # the fields of PackageSummary, in order, packed
PackedVerdict = tuple[int, tuple[tuple[int, bytes, str, str | None], ...]]


@dataclass(frozen=True, slots=True)
class BuildIndex:
    """What the next build looks up per package."""

    registry: str = ""  # the registry digest the source stamps were taken under
    sources: dict[str, tuple[SourceStamp, str]] = field(default_factory=dict)  # name -> digest
    scanned: dict[str, bytes] = field(default_factory=dict)  # scan digest -> frozen Scanned
    rendered: dict[str, bytes] = field(default_factory=dict)  # render key -> frozen files
    checked: frozenset[str] = frozenset()  # requirement checks that passed
    metadata: dict[str, RoleBrief] = field(default_factory=dict)  # targets roles, by file hash


def freeze(value: object) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def thaw(frozen: bytes) -> Any:
    return pickle.loads(frozen)  # noqa: S301 - the build cache's own (regsite.cache)


def freeze_files(files: tuple[WrittenFile, ...]) -> bytes:
    return freeze(tuple(tuple(file) for file in files))


def thaw_files(frozen: bytes) -> tuple[WrittenFile, ...]:
    return tuple(_make(WrittenFile, file) for file in thaw(frozen))


def _pack_brief(brief: ReleaseBrief) -> PackedBrief:
    return (brief.version, brief.published, brief.status.value)


# Enum members by value: a dict lookup, where calling the enum costs a Python call each
_RELEASE_STATUS = {status.value: status for status in ReleaseStatus}
_PACKAGE_STATUS = {status.value: status for status in PackageStatus}
_SIGNATURE_STATUS = {status.value: status for status in SignatureStatus}
_make = tuple.__new__  # a named tuple from a plain tuple, without a Python call per field


def _unpack_brief(packed: PackedBrief) -> ReleaseBrief:
    return _make(ReleaseBrief, (packed[0], packed[1], _RELEASE_STATUS[packed[2]]))


def pack_summary(summary: PackageSummary) -> PackedSummary:
    latest = summary.latest
    return (
        summary.name,
        summary.description,
        summary.keywords,
        summary.status.value,
        None if latest is None else _pack_brief(latest),
        tuple(_pack_brief(brief) for brief in summary.recent),
        summary.versions,
        summary.yanked,
        tuple(tuple(requirement) for requirement in summary.requirements),
        summary.depends_on,
        summary.headings,
        summary.source_path,
        summary.digest,
        summary.signers,
    )


def unpack_summary(packed: PackedSummary) -> PackageSummary:
    (name, description, keywords, status, latest, recent, versions, yanked) = packed[:8]
    (requirements, depends_on, headings, source_path, digest, signers) = packed[8:]
    return PackageSummary(
        name=name,
        description=description,
        keywords=keywords,
        status=_PACKAGE_STATUS[status],
        latest=None if latest is None else _unpack_brief(latest),
        recent=tuple(_unpack_brief(brief) for brief in recent),
        versions=versions,
        yanked=yanked,
        requirements=tuple(_make(Requirement, item) for item in requirements),
        depends_on=depends_on,
        headings=headings,
        source_path=source_path,
        digest=digest,
        signers=signers,
    )


def pack_verdict(verdict: ThresholdResult) -> PackedVerdict:
    checks = tuple(
        (check.index, check.key.raw, check.status.value, check.signer) for check in verdict.checks
    )
    return (verdict.threshold, checks)


def unpack_verdict(packed: PackedVerdict) -> ThresholdResult:
    threshold, checks = packed
    return ThresholdResult(
        checks=tuple(
            SignatureCheck(index, PublicKey(raw), _SIGNATURE_STATUS[status], signer)
            for index, raw, status, signer in checks
        ),
        threshold=threshold,
    )
