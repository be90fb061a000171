"""Themes: Jinja templates and static assets, the default one shipped inside the package."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from regsite.errors import RegistryError

__all__ = ["Theme", "ThemeError", "default_theme_dir", "load_theme"]

_STATIC = "static"


class ThemeError(RegistryError):
    """A theme directory is missing, or one of its templates or assets fails to render."""


@dataclass(frozen=True, slots=True)
class Theme:
    """Templates plus static assets under content-hashed names (so they can be cached forever)."""

    environment: jinja2.Environment
    assets: Mapping[str, bytes]  # output path, e.g. "static/style.1a2b3c4d.css" -> bytes
    asset_paths: Mapping[str, str]  # logical name, e.g. "style.css" -> output path
    fingerprint: str = ""  # SHA-256 over every file of the theme: pages depend on all of them


def default_theme_dir() -> Path:
    """The theme inside an installed wheel, or templates/ at the top of a source checkout."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def load_theme(override: Path | None = None) -> Theme:
    """Load the default theme; files in ``override`` (``--theme DIR``) replace theirs by name."""
    directories = [default_theme_dir()]
    if override is not None:
        if not override.is_dir():
            raise ThemeError(f"{override}: theme directory does not exist")
        directories.insert(0, override)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(directory) for directory in directories]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # one build: no need to check the template files before each page
    )
    assets: dict[str, bytes] = {}
    paths: dict[str, str] = {}
    for directory in reversed(directories):
        for logical, content in _static_files(directory / _STATIC).items():
            paths[logical] = _hashed_path(logical, content)
            assets[logical] = content
    return Theme(
        environment=environment,
        assets={paths[logical]: content for logical, content in assets.items()},
        asset_paths=paths,
        fingerprint=_fingerprint(directories),
    )


def _fingerprint(directories: list[Path]) -> str:
    digest = hashlib.sha256()
    for position, directory in enumerate(directories):
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                name = f"{position}/{path.relative_to(directory).as_posix()}"
                content = path.read_bytes()
                digest.update(f"{name}\0{len(content)}\0".encode())
                digest.update(content)
    return digest.hexdigest()


def _static_files(directory: Path) -> dict[str, bytes]:
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def _hashed_path(logical: str, content: bytes) -> str:
    stem, dot, suffix = logical.rpartition(".")
    digest = hashlib.sha256(content).hexdigest()[:10]
    if not dot:
        return f"{_STATIC}/{logical}.{digest}"
    return f"{_STATIC}/{stem}.{digest}.{suffix}"
