"""Model stage for ``packages/<name>/package.toml``: metadata and releases."""

from __future__ import annotations

import hashlib
import posixpath
import re
from typing import TypeVar

from regsite.advisories.model import ADVISORY_ID
from regsite.errors import ErrorReport
from regsite.fields import Fields, check_format
from regsite.load import LoadedPackage, crlf_hint
from regsite.model import (
    Artifact,
    Dependency,
    Package,
    PackageStatus,
    Readme,
    Release,
    ReleaseStatus,
)
from regsite.names import name_problem
from regsite.signatures import ThresholdResult
from regsite.versions import Version, VersionScheme, VersionSyntaxError

__all__ = ["read_package"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_RELEASES = 10_000
MAX_ARTIFACTS = 64
MAX_REQUIRES = 512
MAX_KEYWORDS = 10
MAX_KEYWORD_LENGTH = 32
_Status = TypeVar("_Status", PackageStatus, ReleaseStatus)


def read_package(
    loaded: LoadedPackage,
    verification: ThresholdResult | None,
    report: ErrorReport,
    *,
    scheme: VersionScheme,
) -> Package | None:
    """Build the :class:`Package` from its loaded files, its versions and specifiers in the
    registry's ``scheme``; ``None`` if its core is unusable."""
    index = loaded.index
    top = Fields(index.document, index.path, "", report)
    top.only(["format", "package", "release"])
    check_format(top)
    meta = top.table_of("package", required=True)
    if meta is None:
        return None
    meta.only(
        [
            "name",
            "description",
            "license",
            "keywords",
            "homepage",
            "repository",
            "documentation",
            "readme",
            "status",
            "status-reason",
        ]
    )
    name = meta.text("name", max_length=64)
    if name is not None and name != loaded.name:
        meta.problem("name", f"expected {loaded.name!r} (the directory name), found {name!r}")
    status, reason = _status(meta, PackageStatus)
    return Package(
        name=loaded.name,
        description=meta.text("description", one_line=True) or "",
        license=meta.text("license", required=False, max_length=100, one_line=True),
        keywords=_keywords(meta),
        homepage=meta.url("homepage"),
        repository=meta.url("repository"),
        documentation=meta.url("documentation"),
        readme=_readme(meta, loaded.readme, posixpath.dirname(index.path)),
        status=status,
        status_reason=reason,
        releases=_releases(top, loaded.name, scheme),
        source=index.source_file(verification),
    )


def _status(fields: Fields, kind: type[_Status]) -> tuple[_Status, str | None]:
    default = kind("active")
    text = fields.text("status", required=False, max_length=20)
    reason = fields.text("status-reason", required=False, max_length=500)
    if text is None:
        status = default
    elif text in kind.__members__.values():
        status = kind(text)
    else:
        choices = ", ".join(repr(member.value) for member in kind)
        fields.problem("status", f"expected one of {choices}, found {text!r}")
        status = default
    if status is not default and not reason:
        fields.problem("status-reason", f"required when status is {status.value!r}: say why")
    if status is default and reason:
        fields.problem("status-reason", "given, but status is 'active': remove it or set status")
    return status, reason


def _keywords(meta: Fields) -> tuple[str, ...]:
    keywords = meta.strings("keywords")
    if len(keywords) > MAX_KEYWORDS:
        meta.problem("keywords", f"{len(keywords)} keywords; at most {MAX_KEYWORDS}")
        return ()
    for index, keyword in enumerate(keywords):
        problem = name_problem(keyword)
        if problem is None and len(keyword) > MAX_KEYWORD_LENGTH:
            problem = f"longer than {MAX_KEYWORD_LENGTH} characters"
        if problem is not None:
            meta.problem(f"keywords[{index}]", f"keyword {problem}")
    return tuple(dict.fromkeys(keywords))


def _readme(meta: Fields, content: bytes | None, directory: str) -> Readme | None:
    entry = meta.table_of("readme")
    if entry is None:
        return None
    entry.only(["file", "sha256"])
    file, recorded = entry.text("file", max_length=64), _sha256(entry, "sha256")
    if file is None or recorded is None or content is None:
        return None
    actual = hashlib.sha256(content).hexdigest()
    if actual != recorded:
        fix = "run 'regsite package readme' and sign again"
        if b"\r\n" in content:  # most likely git's doing, not an edit: say so first
            fix = f"{crlf_hint(posixpath.join(directory, file))}; if it was edited, {fix}"
        entry.problem("sha256", f"{file} has sha256 {actual}, but {recorded} is recorded; {fix}")
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        entry.problem("file", f"{file} is not valid UTF-8")
        return None
    return Readme(file=file, sha256=actual, content=content)


def _releases(top: Fields, package: str, scheme: VersionScheme) -> tuple[Release, ...]:
    tables = top.tables("release")
    if len(tables) > MAX_RELEASES:
        top.problem("release", f"{len(tables)} releases; at most {MAX_RELEASES}")
        return ()
    releases: dict[Version, Release] = {}
    for fields in tables:
        release = _release(fields, package, scheme)
        if release is None:
            continue
        if (first := releases.get(release.version)) is not None:
            fields.problem("version", _duplicate(release.version, first.version))
            continue
        releases[release.version] = release
    return tuple(sorted(releases.values(), key=lambda r: r.version, reverse=True))


def _duplicate(version: Version, first: Version) -> str:
    """Versions of equal precedence are one version: ``1.0`` and ``1.0.0`` (PEP 440),
    ``1.0.0+a`` and ``1.0.0+b`` (SemVer, whose build metadata does not count)."""
    same = "" if str(version) == str(first) else f" (the same version as {first})"
    return f"duplicate version {version}{same}"


def _release(fields: Fields, package: str, scheme: VersionScheme) -> Release | None:
    fields.only(
        ["version", "published", "requires", "status", "status-reason", "advisories", "artifact"]
    )
    version = _version(fields, scheme)
    published = fields.datetime("published")
    status, reason = _status(fields, ReleaseStatus)
    advisories = _advisory_ids(fields, status)
    requires = _requires(fields, package, scheme)
    artifacts = _artifacts(fields)
    if version is None or published is None or requires is None or artifacts is None:
        return None
    return Release(
        version=version,
        published=published,
        requires=requires,
        artifacts=artifacts,
        status=status,
        status_reason=reason,
        advisories=advisories,
    )


def _advisory_ids(fields: Fields, status: ReleaseStatus) -> tuple[str, ...]:
    """``advisories = ["x_REG-2026-0001"]``: the advisories that make a release insecure; each
    is checked against ``advisories/`` when the package is scanned (docs/advisories.md)."""
    ids = fields.strings("advisories")
    if ids and status is not ReleaseStatus.INSECURE:
        fields.problem("advisories", "given, but status is not 'insecure': set status or remove")
    for index, advisory in enumerate(ids):
        if ADVISORY_ID.fullmatch(advisory) is None:
            fields.problem(f"advisories[{index}]", f"{advisory[:40]!r} is not an advisory id")
    return tuple(dict.fromkeys(ids))


def _version(fields: Fields, scheme: VersionScheme) -> Version | None:
    text = fields.text("version", max_length=64)
    if text is None:
        return None
    try:
        return scheme.parse_version(text)
    except VersionSyntaxError as error:
        fields.problem("version", str(error))
        return None


def _requires(fields: Fields, package: str, scheme: VersionScheme) -> tuple[Dependency, ...] | None:
    table = fields.table_of("requires")
    if table is None:
        return ()
    if len(table.table) > MAX_REQUIRES:
        table.problem("", f"{len(table.table)} dependencies; at most {MAX_REQUIRES}")
        return None
    dependencies = []
    for name, value in sorted(table.table.items()):
        if (problem := name_problem(name)) is not None:
            table.problem(name, f"dependency {problem}")
        elif name == package:
            table.problem(name, "a package may not depend on itself")
        elif not isinstance(value, str):
            table.problem(
                name, f"expected a version specifier string such as {scheme.specifier_examples}"
            )
        else:
            try:
                dependencies.append(Dependency(name=name, specifier=scheme.parse_specifier(value)))
            except VersionSyntaxError as error:
                table.problem(name, str(error))
    return tuple(dependencies) if len(dependencies) == len(table.table) else None


def _artifacts(fields: Fields) -> tuple[Artifact, ...] | None:
    tables = fields.tables("artifact")
    if not tables:
        fields.problem("artifact", "expected at least one [[release.artifact]]")
        return None
    if len(tables) > MAX_ARTIFACTS:
        fields.problem("artifact", f"{len(tables)} artifacts; at most {MAX_ARTIFACTS}")
        return None
    artifacts = []
    for table in tables:
        table.only(["url", "sha256", "size"])
        url, digest = table.url("url", required=True), _sha256(table, "sha256")
        size = table.integer("size")
        if url is not None and digest is not None and size is not None:
            artifacts.append(Artifact(url=url, sha256=digest, size=size))
    return tuple(artifacts) if len(artifacts) == len(tables) else None


def _sha256(fields: Fields, key: str) -> str | None:
    value = fields.text(key, max_length=64)
    if value is not None and _SHA256.fullmatch(value) is None:
        fields.problem(key, "expected 64 lower-case hexadecimal digits")
        return None
    return value
