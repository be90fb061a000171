"""Model stage for ``packages/<name>/package.toml``: metadata and releases."""

from __future__ import annotations

import hashlib
import posixpath
import re
from typing import Any, TypeVar

from regsite.advisories.model import ADVISORY_ID
from regsite.cargo_fields import CARGO_RELEASE_KEYS, features_problems, read_features, rust_version
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
    hosted_path,
)
from regsite.names import name_problem
from regsite.requires import read_provides_extras, read_requires, read_requires_python
from regsite.signatures import ThresholdResult
from regsite.versions import SEMVER, Version, VersionScheme, VersionSyntaxError

__all__ = ["MAX_FILE_NAME", "hosted_file_problem", "read_package"]

_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_RELEASES = 10_000
MAX_ARTIFACTS = 64
MAX_FILE_NAME = 200  # characters of a hosted artifact's file name
# A hosted artifact's name is one path segment that every host and URL carries unchanged.
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+!-]*")
MAX_KEYWORDS = 10
MAX_KEYWORD_LENGTH = 32
_Status = TypeVar("_Status", PackageStatus, ReleaseStatus)


_PACKAGE_KEYS = [
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
    "successor",
]  # of [package]


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
    meta.only(_PACKAGE_KEYS)
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
        successor=_successor(meta, loaded.name, status),
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


def _successor(meta: Fields, name: str, status: PackageStatus) -> str | None:
    """``successor``: the package of this registry that replaces a deprecated one."""
    successor = meta.text("successor", required=False, max_length=64)
    if successor is None:
        return None
    problem = name_problem(successor)
    if problem is None and successor == name:
        problem = "names the package itself"
    if problem is None and status is not PackageStatus.DEPRECATED:
        problem = "given, but status is not 'deprecated': remove it or deprecate the package"
    if problem is not None:
        meta.problem("successor", problem)
        return None
    return successor


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


_RELEASE_KEYS = (
    "version",
    "published",
    "requires",
    "status",
    "status-reason",
    "advisories",
    "artifact",
)
_PYTHON_KEYS = ("requires-python", "provides-extras")


def _release(fields: Fields, package: str, scheme: VersionScheme) -> Release | None:
    fields.only([*_RELEASE_KEYS, *_PYTHON_KEYS, *CARGO_RELEASE_KEYS])
    version = _version(fields, scheme)
    published = fields.datetime("published")
    status, reason = _status(fields, ReleaseStatus)
    advisories = _advisory_ids(fields, status)
    requires = read_requires(fields, package, scheme)
    requires_python = read_requires_python(fields, scheme)
    extras = read_provides_extras(fields, scheme)
    artifacts = _artifacts(fields, package)
    cargo = _cargo_fields(fields, scheme, requires or ())
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
        requires_python=requires_python,
        provides_extras=extras,
        **cargo,
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


def _cargo_fields(
    fields: Fields, scheme: VersionScheme, requires: tuple[Dependency, ...]
) -> dict[str, Any]:
    """A release's features, links and rust-version: cargo's, so only in a semver registry."""
    if scheme is not SEMVER:
        for key in CARGO_RELEASE_KEYS:
            if key in fields.table:
                fields.problem(key, 'cargo\'s field: only under version-scheme = "semver"')
        return {}
    features = read_features(fields)
    for feature, message in features_problems(features, list(requires)):
        fields.problem(f"features.{feature}", message)
    return {
        "features": features,
        "links": fields.text("links", required=False, max_length=100, one_line=True),
        "rust_version": rust_version(fields),
    }


def _version(fields: Fields, scheme: VersionScheme) -> Version | None:
    text = fields.text("version", max_length=64)
    if text is None:
        return None
    try:
        return scheme.parse_version(text)
    except VersionSyntaxError as error:
        fields.problem("version", str(error))
        return None


def _artifacts(fields: Fields, package: str) -> tuple[Artifact, ...] | None:
    tables = fields.tables("artifact")
    if not tables:
        fields.problem("artifact", "expected at least one [[release.artifact]]")
        return None
    if len(tables) > MAX_ARTIFACTS:
        fields.problem("artifact", f"{len(tables)} artifacts; at most {MAX_ARTIFACTS}")
        return None
    artifacts = [_artifact(table, package) for table in tables]
    found = [artifact for artifact in artifacts if artifact is not None]
    _check_unique_files(fields, found)
    return tuple(found) if len(found) == len(tables) else None


def _artifact(table: Fields, package: str) -> Artifact | None:
    """``url`` (external) or ``file`` (hosted by the site), with ``sha256`` and ``size``."""
    table.only(["url", "file", "sha256", "size", "core-metadata-sha256"])
    digest, size = _sha256(table, "sha256"), table.integer("size")
    if ("url" in table.table) == ("file" in table.table):
        table.problem("", "expected exactly one of 'url' (an external file) or 'file' (hosted)")
        return None
    if "url" in table.table:
        if "core-metadata-sha256" in table.table:
            table.problem("core-metadata-sha256", "only for a hosted file ('file = …')")
        url = table.url("url", required=True)
        if url is None or digest is None or size is None:
            return None
        return Artifact(url=url, sha256=digest, size=size)
    file = table.text("file", max_length=MAX_FILE_NAME)
    if file is not None and (problem := hosted_file_problem(file)) is not None:
        table.problem("file", problem)
        file = None
    metadata = _sha256(table, "core-metadata-sha256", required=False)
    if file is None or digest is None or size is None:
        return None
    path = hosted_path(package, digest, file)
    return Artifact(url=None, sha256=digest, size=size, file=file, path=path,
                    core_metadata_sha256=metadata)  # fmt: skip


def hosted_file_problem(file: str) -> str | None:
    """A hosted artifact's name is a plain file name: never a path, never hidden."""
    if len(file) > MAX_FILE_NAME or _FILE_NAME.fullmatch(file) is None or ".." in file:
        return (
            "expected a plain file name (letters, digits and . _ + ! -, starting with a letter"
            f" or digit, no '..', at most {MAX_FILE_NAME} characters), found {file!r:.80}"
        )
    return None


def _check_unique_files(fields: Fields, artifacts: list[Artifact]) -> None:
    """Two files of one release with one name could not both be downloaded side by side."""
    seen: set[str] = set()
    for artifact in artifacts:
        if artifact.file is not None and artifact.file in seen:
            fields.problem("artifact", f"the file {artifact.file!r} is listed twice")
        seen.add(artifact.filename)


def _sha256(fields: Fields, key: str, *, required: bool = True) -> str | None:
    value = fields.text(key, required=required, max_length=64)
    if value is not None and _SHA256.fullmatch(value) is None:
        fields.problem(key, "expected 64 lower-case hexadecimal digits")
        return None
    return value
