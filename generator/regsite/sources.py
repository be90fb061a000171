"""Editing the source directory with tomlkit, re-checked by the same readers the build uses."""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.toml_document import TOMLDocument

from regsite.errors import ErrorReport, SourceEditError
from regsite.load import PACKAGE_FILE, PACKAGES_DIR, REGISTRY_FILE, LoadedFile, LoadedPackage
from regsite.model import Package, Registry
from regsite.names import name_problem
from regsite.package_file import read_package
from regsite.registry_file import read_registry
from regsite.validate import check_dependencies

__all__ = [
    "SourceTree",
    "write_atomically",
]


def write_atomically(path: Path, content: bytes, mode: int = 0o644) -> None:
    """Replace ``path`` in one rename, so a reader never sees half a file."""
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class SourceTree:
    """A registry source directory, read and written through tomlkit to keep comments."""

    root: Path

    @property
    def registry_path(self) -> Path:
        return self.root / REGISTRY_FILE

    def package_dir(self, name: str) -> Path:
        if (problem := name_problem(name)) is not None:
            raise SourceEditError(f"package {problem}")
        return self.root / PACKAGES_DIR / name

    def package_path(self, name: str) -> Path:
        return self.package_dir(name) / PACKAGE_FILE

    def read(self, path: Path) -> TOMLDocument:
        try:
            return tomlkit.parse(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise SourceEditError(f"{path}: does not exist; is {self.root} a registry?") from exc
        except (OSError, UnicodeDecodeError, tomlkit.exceptions.TOMLKitError) as exc:
            raise SourceEditError(f"{path}: cannot read: {exc}") from exc

    def registry(self) -> Registry:
        """The registry as the build sees it (signatures are not checked here)."""
        return self.check_registry(self.registry_path.read_bytes())

    def check_registry(self, content: bytes) -> Registry:
        report = ErrorReport()
        registry = read_registry(self._loaded(REGISTRY_FILE, content), report)
        _raise_problems(report)
        assert registry is not None
        return registry

    def check_package(self, name: str, content: bytes) -> Package:
        """Model a package's new bytes; raise listing every problem the build would report."""
        report = ErrorReport()
        relative = f"{PACKAGES_DIR}/{name}/{PACKAGE_FILE}"
        loaded = self._loaded(relative, content)
        readme_entry = loaded.document.get("package", {}).get("readme")
        readme = None
        if isinstance(readme_entry, dict) and isinstance(readme_entry.get("file"), str):
            readme_path = self.package_dir(name) / readme_entry["file"]
            readme = readme_path.read_bytes() if readme_path.is_file() else None
        package = read_package(LoadedPackage(name=name, index=loaded, readme=readme), None, report)
        _raise_problems(report)
        assert package is not None
        targets = {d.name for release in package.releases for d in release.requires}
        present = [target for target in targets if self.package_path(target).is_file()]
        check_dependencies(package, self._model_packages(present), present, report)
        _raise_problems(report)
        return package

    def _model_packages(self, names: list[str]) -> dict[str, Package]:
        """Model other packages as they are on disk now; ones that fail to model are left out."""
        found = {}
        for name in names:
            content = self.package_path(name).read_bytes()
            index = self._loaded(str(self.package_path(name)), content)
            loaded = LoadedPackage(name=name, index=index, readme=None)
            modelled = read_package(loaded, None, ErrorReport())
            if modelled is not None:
                found[name] = modelled
        return found

    def _loaded(self, relative: str, content: bytes) -> LoadedFile:
        try:
            document = tomllib.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise SourceEditError(f"{relative}: not valid TOML: {exc}") from exc
        return LoadedFile(
            path=relative,
            content=content,
            document=document,
            signature_path=relative + ".sig",
            signature_content=None,
            signatures=(),
        )


def _raise_problems(report: ErrorReport) -> None:
    if report:
        lines = "\n".join(f"  {problem}" for problem in report)
        raise SourceEditError(f"the change would make the source invalid:\n{lines}")
