"""``regsite package new`` and ``regsite package readme``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit

from regsite.atomic_write import write_atomically
from regsite.commands.sign import EditOptions, SourceEdit, signed_edit, signing_keys
from regsite.errors import SourceEditError
from regsite.load import readme_file_problem
from regsite.sources import SourceTree

__all__ = [
    "PackageInfo",
    "PackageNewOptions",
    "PackageReadmeOptions",
    "new_package",
    "package_new",
    "package_readme",
    "record_readme",
]

_README = "README.md"


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageInfo:
    description: str
    license: str | None = None
    homepage: str | None = None
    repository: str | None = None
    documentation: str | None = None
    keywords: list[str] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageNewOptions:
    edit: EditOptions
    name: str
    owners: tuple[str, ...]  # owner ids who may sign it
    threshold: int = 1  # owners who must sign
    info: PackageInfo


@dataclass(frozen=True, kw_only=True, slots=True)
class PackageReadmeOptions:
    edit: EditOptions
    name: str
    file: str = _README  # beside package.toml


def package_new(options: PackageNewOptions) -> SourceEdit:
    """Create a package, delegate its name, and sign both files with the keys that may."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    changed = new_package(
        tree,
        options.name,
        owners=list(options.owners),
        info=options.info,
        threshold=options.threshold,
    )
    return signed_edit(tree, keys, changed)


def package_readme(options: PackageReadmeOptions) -> SourceEdit:
    """Record the README's sha256 in package.toml and sign it with the keys that may."""
    keys = signing_keys(options.edit.sign)
    tree = SourceTree(options.edit.source)
    return signed_edit(tree, keys, record_readme(tree, options.name, options.file))


def new_package(
    tree: SourceTree, name: str, *, owners: list[str], info: PackageInfo, threshold: int = 1
) -> list[Path]:
    """Create ``packages/<name>/package.toml`` and delegate the name in registry.toml."""
    directory = tree.package_dir(name)
    if tree.package_path(name).exists():
        raise SourceEditError(f"{tree.package_path(name)}: package already exists")
    registry_document = tree.read(tree.registry_path)
    delegations = registry_document.setdefault("packages", tomlkit.table())
    if name in delegations:
        raise SourceEditError(f"{tree.registry_path}: packages.{name} is already delegated")
    delegation = tomlkit.inline_table()
    delegation["owners"] = owners
    if threshold != 1:
        delegation["threshold"] = threshold
    delegations[name] = delegation
    registry_content = tomlkit.dumps(registry_document).encode("utf-8")
    tree.check_registry(registry_content)
    package_content = _package_document(name, info, directory)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        tree.check_package(name, package_content)
    except SourceEditError:
        if not any(directory.iterdir()):
            directory.rmdir()
        raise
    write_atomically(tree.package_path(name), package_content)
    write_atomically(tree.registry_path, registry_content)
    return [tree.registry_path, tree.package_path(name)]


def _package_document(name: str, info: PackageInfo, directory: Path) -> bytes:
    document = tomlkit.document()
    document.add(tomlkit.comment(f"Version index of {name} (docs/format.md); owners sign it."))
    document["format"] = 1
    meta = tomlkit.table()
    meta["name"] = name
    meta["description"] = info.description
    for key, value in (
        ("license", info.license),
        ("homepage", info.homepage),
        ("repository", info.repository),
        ("documentation", info.documentation),
    ):
        if value is not None:
            meta[key] = value
    if info.keywords:
        meta["keywords"] = info.keywords
    readme = directory / _README
    if readme.is_file():
        meta["readme"] = _readme_entry(readme)
    document["package"] = meta
    return tomlkit.dumps(document).encode("utf-8")


def _readme_entry(path: Path) -> tomlkit.items.InlineTable:
    entry = tomlkit.inline_table()
    entry["file"] = path.name
    entry["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entry


def record_readme(tree: SourceTree, name: str, file: str = _README) -> list[Path]:
    """Record the README's current sha256 in package.toml, so the next signature covers it."""
    if (problem := readme_file_problem(file)) is not None:
        raise SourceEditError(f"--file: {problem}")
    readme = tree.package_dir(name) / file
    if readme.is_symlink() or not readme.is_file():
        raise SourceEditError(f"{readme}: no such regular file")
    document = tree.read(tree.package_path(name))
    meta = document.get("package")
    if not isinstance(meta, dict):
        raise SourceEditError(f"{tree.package_path(name)}: has no [package] table")
    meta["readme"] = _readme_entry(readme)
    content = tomlkit.dumps(document).encode("utf-8")
    tree.check_package(name, content)
    write_atomically(tree.package_path(name), content)
    return [tree.package_path(name)]
