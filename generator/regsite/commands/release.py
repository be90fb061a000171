"""``regsite release add``; and the release edits of a package's version index (adding one,
yanking one: ``regsite yank`` is in :mod:`regsite.commands.yank`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import tomlkit
from tomlkit.items import AoT

from regsite.build import source_date_epoch
from regsite.commands.sign import EditOptions, SourceEdit, signed_edit, signing_keys
from regsite.errors import SourceEditError
from regsite.names import name_problem, normalize_name
from regsite.sources import SourceTree, write_atomically
from regsite.versions import Version, VersionScheme, VersionSyntaxError

__all__ = [
    "ArtifactSpec",
    "ReleaseAddOptions",
    "ReleaseAdded",
    "add_release",
    "normal_version",
    "parse_requirement",
    "release_add",
    "yank_release",
]


@dataclass(frozen=True, slots=True)
class ArtifactSpec:
    url: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseAddOptions:
    edit: EditOptions
    name: str
    version: str  # as typed; stored in its normal form
    artifacts: tuple[ArtifactSpec, ...]
    requires: tuple[str, ...] = ()  # e.g. 'dep>=1'
    published: str | None = None  # ISO 8601; None is now, or $SOURCE_DATE_EPOCH


@dataclass(frozen=True, slots=True)
class ReleaseAdded:
    edit: SourceEdit
    normal_form: str | None  # the version as stored, when it is not the one typed


def release_add(options: ReleaseAddOptions) -> ReleaseAdded:
    """Append a release to a package's version index and sign it with the keys that may."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    changed = add_release(
        tree,
        options.name,
        options.version,
        artifacts=list(options.artifacts),
        requires=list(options.requires),
        published=_published(options.published),
    )
    normal = str(normal_version(options.version, tree.version_scheme()))
    edit = signed_edit(tree, keys, changed)
    return ReleaseAdded(edit=edit, normal_form=normal if normal != options.version else None)


def _published(text: str | None) -> datetime:
    if text is None:
        epoch = source_date_epoch()
        now = datetime.now(UTC) if epoch is None else datetime.fromtimestamp(epoch, UTC)
        return now.replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SourceEditError(
            f"--published {text!r}: expected ISO 8601, e.g. 2026-03-01T12:00:00Z"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_requirement(text: str, scheme: VersionScheme) -> tuple[str, str, str | None]:
    """``'dep>=1,<2'`` -> ``('dep', '>=1,<2', None)`` (``'dep ^1.2'`` in semver); a bare name
    means any version (``'*'``); ``'UPSTREAM:dep>=1'`` names the [[upstream]] it comes from."""
    registry, colon, rest = text.partition(":")
    if not colon:
        registry, rest = "", text
    elif name_problem(registry) is not None:
        raise SourceEditError(
            f"--requires {text!r}: expected UPSTREAM:REQUIREMENT, an upstream name"
        )
    try:
        name, specifier = scheme.parse_requirement(rest)
    except VersionSyntaxError as exc:
        raise SourceEditError(f"--requires {text!r}: {exc}") from exc
    return normalize_name(name), str(specifier) or "*", registry or None


def add_release(
    tree: SourceTree,
    name: str,
    version: str,
    *,
    artifacts: list[ArtifactSpec],
    requires: list[str],
    published: datetime,
) -> list[Path]:
    """Append a ``[[release]]`` to the package's version index, its version in normal form."""
    path = tree.package_path(name)
    document = tree.read(path)
    scheme = tree.version_scheme()
    parsed = normal_version(version, scheme)
    releases = document.setdefault("release", tomlkit.aot())
    if not isinstance(releases, AoT):
        raise SourceEditError(f"{path}: 'release' must be an array of [[release]] tables")
    if any(_same_version(release, parsed, scheme) for release in releases):
        raise SourceEditError(f"{path}: version {parsed} already exists")
    table = tomlkit.table()
    table["version"] = str(parsed)
    table["published"] = published
    if requires:
        dependencies = tomlkit.inline_table()
        for dependency, specifier, registry in sorted(
            (parse_requirement(r, scheme) for r in requires), key=lambda parsed: parsed[0]
        ):
            if registry is None:
                dependencies[dependency] = specifier
            else:  # docs/upstreams.md: a dependency on a package taken from an upstream
                qualified = tomlkit.inline_table()
                qualified.update({"version": specifier, "registry": registry})
                dependencies[dependency] = qualified
        table["requires"] = dependencies
    files = tomlkit.aot()
    for artifact in artifacts:
        entry = tomlkit.table()
        entry["url"] = artifact.url
        entry["sha256"] = artifact.sha256
        entry["size"] = artifact.size
        files.append(entry)
    table["artifact"] = files
    releases.append(table)
    return _save(tree, name, document)


def yank_release(tree: SourceTree, name: str, version: str, *, reason: str) -> list[Path]:
    """Mark a release yanked, with the reason shown to users; any spelling of its version."""
    path = tree.package_path(name)
    document = tree.read(path)
    scheme = tree.version_scheme()
    parsed = normal_version(version, scheme)
    releases = document.get("release", [])
    if not isinstance(releases, list):
        raise SourceEditError(f"{path}: 'release' must be an array of [[release]] tables")
    matches = [release for release in releases if _same_version(release, parsed, scheme)]
    if not matches:
        versions = [str(r.get("version")) for r in releases if isinstance(r, dict)]
        known = ", ".join(versions) or "none"
        raise SourceEditError(f"{path}: no release {parsed} to yank; its releases: {known}")
    matches[0]["status"] = "yanked"
    matches[0]["status-reason"] = reason
    return _save(tree, name, document)


def _save(tree: SourceTree, name: str, document: tomlkit.TOMLDocument) -> list[Path]:
    content = tomlkit.dumps(document).encode("utf-8")
    tree.check_package(name, content)
    write_atomically(tree.package_path(name), content)
    return [tree.package_path(name)]


def normal_version(text: str, scheme: VersionScheme) -> Version:
    """The version a user typed, parsed in the registry's scheme; ``str()`` of it is the normal
    form that is stored (PEP 440: ``1.0.0.beta`` is ``1.0.0b0``, ``v1.0`` is ``1.0``).  The one
    place versions typed on the command line are read."""
    try:
        return scheme.parse_version(text)
    except VersionSyntaxError as exc:
        raise SourceEditError(str(exc)) from exc


def _same_version(release: object, version: Version, scheme: VersionScheme) -> bool:
    if not isinstance(release, dict):
        return False
    try:
        return scheme.parse_version(str(release.get("version"))) == version
    except VersionSyntaxError:
        return False
