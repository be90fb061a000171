"""``regsite release add``; and the release edits of a package's version index (adding one,
yanking one: ``regsite yank`` is in :mod:`regsite.commands.yank`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit import TOMLDocument
from tomlkit.items import AoT, Table

from regsite.atomic_write import write_atomically
from regsite.build import source_date_epoch
from regsite.commands.release_files import (
    DependencySpec,
    FileArtifact,
    copy_hosted,
    release_from_files,
)
from regsite.commands.sign import EditOptions, SourceEdit, signed_edit, signing_keys
from regsite.crate_file import Crate, crate_release_fields, read_crate
from regsite.errors import SourceEditError
from regsite.hosted import HOSTED_SOURCE_DIR
from regsite.keys import PrivateKey
from regsite.names import name_problem, normalize_name
from regsite.render.flavours import cargo
from regsite.sources import SourceTree
from regsite.versions import SEMVER, Version, VersionScheme, VersionSyntaxError

__all__ = [
    "ArtifactSpec",
    "ReleaseAddOptions",
    "ReleaseAdded",
    "add_release",
    "normal_version",
    "parse_requirement",
    "release_add",
    "release_from_crate",
    "yank_release",
]


@dataclass(frozen=True, slots=True)
class ArtifactSpec:
    url: str | None  # an external file; None when the site hosts it
    sha256: str
    size: int
    file: str | None = None  # a hosted file's name (packages/<name>/files/ or build --files)
    core_metadata_sha256: str | None = None  # a hosted wheel's METADATA, beside it


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseAddOptions:
    edit: EditOptions
    name: str
    version: str | None  # as typed, stored in its normal form; None: the files' version
    artifacts: tuple[ArtifactSpec, ...] = ()
    requires: tuple[str, ...] = ()  # e.g. 'dep>=1'
    published: str | None = None  # ISO 8601; None is now, or $SOURCE_DATE_EPOCH
    wheels: tuple[Path, ...] = ()  # --from-wheel: the release is read from these files
    sdist: Path | None = None  # --from-sdist
    url_prefix: str | None = None  # the files are external, at URL_PREFIX/<file>
    copy: bool = True  # hosted files are copied into packages/<name>/files/
    from_crate: Path | None = None  # read name, version and cargo's fields from this .crate
    index_url: str | None = None  # this registry's cargo index, as the crate names it


@dataclass(frozen=True, slots=True)
class ReleaseAdded:
    edit: SourceEdit
    normal_form: str | None  # the version as stored, when it is not the one typed
    version: str = ""  # the version recorded
    hosted: tuple[Path, ...] = ()  # files written into packages/<name>/files/


def release_add(options: ReleaseAddOptions) -> ReleaseAdded:
    """Append a release to a package's version index and sign it with the keys that may."""
    if options.from_crate is not None:
        return release_from_crate(options)
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    if options.wheels or options.sdist is not None:
        return _release_from_files(tree, keys, options)
    if options.version is None or not options.artifacts:
        raise SourceEditError("give VERSION and --artifact, or the files: --from-wheel FILE")
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
    return ReleaseAdded(edit, normal if normal != options.version else None, normal)


def _release_from_files(
    tree: SourceTree, keys: list[PrivateKey], options: ReleaseAddOptions
) -> ReleaseAdded:
    if options.artifacts or options.requires:
        raise SourceEditError(
            "--from-wheel and --from-sdist read the files, their dependencies included:"
            " give no --artifact or --requires with them"
        )
    found = release_from_files(
        options.name, options.wheels, options.sdist, options.version, options.url_prefix
    )
    artifacts = [_artifact_spec(artifact) for artifact in found.artifacts]
    changed = add_release(
        tree,
        options.name,
        found.version,
        artifacts=artifacts,
        requires=[],
        published=_published(options.published),
        dependencies=list(found.dependencies),
        python=(found.requires_python, found.provides_extras),
    )
    copied = copy_hosted(tree, options.name, found, options.copy)
    return ReleaseAdded(signed_edit(tree, keys, changed), None, found.version, tuple(copied))


def _artifact_spec(artifact: FileArtifact) -> ArtifactSpec:
    distribution = artifact.distribution
    if artifact.url is not None:
        return ArtifactSpec(artifact.url, distribution.sha256, distribution.size)
    metadata = None
    if distribution.kind == "wheel":
        metadata = hashlib.sha256(distribution.core_metadata).hexdigest()
    return ArtifactSpec(
        None, distribution.sha256, distribution.size, distribution.filename, metadata
    )


def release_from_crate(options: ReleaseAddOptions) -> ReleaseAdded:
    """``release add NAME --from-crate FILE``: the version and cargo's fields from the crate's
    Cargo.toml; the crate hosted by the site (copied beside package.toml) unless
    ``options.artifacts`` gives its external URL."""
    assert options.from_crate is not None
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    registry = tree.registry()
    if registry.version_scheme is not SEMVER:
        raise SourceEditError(
            f'{tree.registry_path}: --from-crate needs version-scheme = "semver" (cargo\'s)'
        )
    crate = read_crate(options.from_crate)
    _check_crate(crate, options)
    own_index = options.index_url
    if own_index is None and registry.base_url is not None:
        own_index = cargo.index_url(registry.base_url)
    fields = crate_release_fields(crate, own_index)
    artifact, hosted = _crate_artifact(tree, crate, options)
    try:
        changed = add_release(
            tree,
            options.name,
            crate.version,
            artifacts=[artifact],
            requires=[],
            published=_published(options.published),
            fields=fields,
        )
    except BaseException:
        if hosted is not None:
            hosted.unlink(missing_ok=True)
        raise
    edit = signed_edit(tree, keys, changed)
    return ReleaseAdded(edit, None, crate.version, () if hosted is None else (hosted,))


def _check_crate(crate: Crate, options: ReleaseAddOptions) -> None:
    where = options.from_crate
    if crate.name != options.name:
        hint = ""
        if normalize_name(crate.name) == options.name:
            hint = (
                f"; regsite names are lower-case with '-' only: name the crate {options.name!r}"
                " in its Cargo.toml (Rust code still writes it with '_')"
            )
        raise SourceEditError(f"{where}: a crate of {crate.name!r}, not {options.name!r}{hint}")
    if options.version and options.version != crate.version:
        raise SourceEditError(
            f"{where}: Cargo.toml says version {crate.version}, not {options.version}"
        )
    if options.requires:
        raise SourceEditError("--requires with --from-crate: the crate's Cargo.toml says them")


def _crate_artifact(
    tree: SourceTree, crate: Crate, options: ReleaseAddOptions
) -> tuple[ArtifactSpec, Path | None]:
    """The crate's artifact, and the file written for it if it is hosted."""
    if len(options.artifacts) > 1:
        raise SourceEditError("--from-crate takes at most one --artifact: the crate's URL")
    if options.artifacts:
        return ArtifactSpec(options.artifacts[0].url, crate.sha256, crate.size), None
    file = cargo.crate_file_name(crate.name, crate.version)
    path = tree.package_dir(crate.name) / HOSTED_SOURCE_DIR / file
    if path.exists():
        if path.read_bytes() != crate.content:
            raise SourceEditError(f"{path} exists and differs from {options.from_crate}")
        written = None
    else:
        path.parent.mkdir(exist_ok=True)
        write_atomically(path, crate.content)
        written = path
    return ArtifactSpec(None, crate.sha256, crate.size, file=file), written


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
    upstream, colon, rest = text.partition(":")
    if not colon:
        upstream, rest = "", text
    elif name_problem(upstream) is not None:
        raise SourceEditError(
            f"--requires {text!r}: expected UPSTREAM:REQUIREMENT, an upstream name"
        )
    try:
        name, specifier = scheme.parse_requirement(rest)
    except VersionSyntaxError as exc:
        raise SourceEditError(f"--requires {text!r}: {exc}") from exc
    return normalize_name(name), str(specifier) or "*", upstream or None


def add_release(
    tree: SourceTree,
    name: str,
    version: str,
    *,
    artifacts: list[ArtifactSpec],
    requires: list[str],
    published: datetime,
    dependencies: list[DependencySpec] | None = None,
    python: tuple[str | None, tuple[str, ...]] = (None, ()),
    fields: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Append a ``[[release]]`` to the package's version index, its version in normal form;
    ``requires`` as typed on the command line, or ``dependencies`` as read from a wheel, and
    ``python``: its requires-python and provides-extras; ``fields`` are further keys of the
    release, as its source writes them (``--from-crate``)."""
    path = tree.package_path(name)
    document = tree.read(path)
    scheme = tree.version_scheme()
    parsed = normal_version(version, scheme)
    releases = _releases(path, document, parsed, scheme)
    table = tomlkit.table()
    table["version"] = str(parsed)
    table["published"] = published
    _add_python(table, *python)
    specs = list(dependencies or ())
    specs += [_spec(*parse_requirement(text, scheme)) for text in requires]
    if specs:
        table["requires"] = _requires_table(specs)
    for key, value in (fields or {}).items():
        table[key] = _written(value)
    table["artifact"] = _artifact_tables(artifacts)
    releases.append(table)
    return _save(tree, name, document)


def _releases(path: Path, document: TOMLDocument, parsed: Version, scheme: VersionScheme) -> AoT:
    """The package's ``[[release]]`` tables, which must not hold ``parsed`` yet."""
    releases = document.setdefault("release", tomlkit.aot())
    if not isinstance(releases, AoT):
        raise SourceEditError(f"{path}: 'release' must be an array of [[release]] tables")
    if any(_same_version(release, parsed, scheme) for release in releases):
        raise SourceEditError(f"{path}: version {parsed} already exists")
    return releases


def _add_python(table: Table, requires_python: str | None, extras: tuple[str, ...]) -> None:
    """A wheel's Requires-Python and Provides-Extra, when it has them."""
    if requires_python is not None:
        table["requires-python"] = requires_python
    if extras:
        table["provides-extras"] = list(extras)


def _requires_table(specs: list[DependencySpec]) -> tomlkit.items.InlineTable:
    """``name = "spec"``, or a table when a marker or extras are needed, or an array of tables
    when one name has several entries (docs/format.md)."""
    grouped: dict[str, list[DependencySpec]] = {}
    for spec in sorted(specs, key=lambda s: (s.name, s.marker or "", s.specifier)):
        grouped.setdefault(spec.name, []).append(spec)
    table = tomlkit.inline_table()
    for name, entries in grouped.items():
        if len(entries) == 1 and entries[0].is_plain:
            table[name] = entries[0].specifier
        elif len(entries) == 1:
            table[name] = _dependency_table(entries[0])
        else:
            array = tomlkit.array()
            array.extend(_dependency_table(entry) for entry in entries)
            table[name] = array
    return table


def _dependency_table(spec: DependencySpec) -> tomlkit.items.InlineTable:
    entry = tomlkit.inline_table()
    entry["version"] = spec.specifier
    if spec.marker is not None:
        entry["marker"] = spec.marker
    if spec.extras:
        entry["extras"] = list(spec.extras)
    if spec.upstream is not None:  # docs/upstreams.md: a package taken from an [[upstream]]
        entry["upstream"] = spec.upstream
    return entry


def _spec(name: str, specifier: str, upstream: str | None) -> DependencySpec:
    return DependencySpec(name, specifier, upstream=upstream)


def _artifact_tables(artifacts: list[ArtifactSpec]) -> tomlkit.items.AoT:
    files = tomlkit.aot()
    for artifact in artifacts:
        entry = tomlkit.table()
        if artifact.url is not None:
            entry["url"] = artifact.url
        else:
            entry["file"] = artifact.file
        entry["sha256"] = artifact.sha256
        entry["size"] = artifact.size
        if artifact.core_metadata_sha256 is not None:
            entry["core-metadata-sha256"] = artifact.core_metadata_sha256
        files.append(entry)
    return files


def _written(value: Any) -> Any:
    """Tables as inline tables, so that a release's keys stay together in package.toml."""
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        table.update({key: _written(item) for key, item in value.items()})
        return table
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        return [_written(item) for item in value]
    return value


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
