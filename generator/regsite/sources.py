"""Editing the source directory with tomlkit, re-checked by the same stages the build uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from tomlkit.toml_document import TOMLDocument

from regsite.errors import ErrorReport, SourceEditError
from regsite.hosted import HostedFiles, hosted_problems
from regsite.load import (
    PACKAGE_FILE,
    PACKAGES_DIR,
    REGISTRY_FILE,
    SourceLimits,
    load_package,
    package_from_content,
    registry_from_content,
)
from regsite.model import Package, Registry
from regsite.names import name_problem
from regsite.readme import readme_path, readme_problems
from regsite.registry_file import read_registry
from regsite.render.flavours import flavour_package_problems
from regsite.scan import model_package
from regsite.summary import PackageSummary, summarize
from regsite.validate import edited_requirement_problems
from regsite.versions import VersionScheme

__all__ = ["SourceTree"]


@dataclass(frozen=True, slots=True)
class SourceTree:
    """A registry source directory, read and written through tomlkit to keep comments."""

    root: Path
    limits: SourceLimits = field(default_factory=SourceLimits)

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
            raise SourceEditError(self._missing(path)) from exc
        except (OSError, ValueError, RecursionError) as exc:  # tomlkit errors are ValueErrors
            raise SourceEditError(f"{path}: cannot read: {exc}") from exc

    def _missing(self, path: Path) -> str:
        """Why ``path`` is missing, and the command that creates what was expected there."""
        if not self.registry_path.is_file():
            return (
                f"{self.registry_path}: does not exist, so {self.root} is not a registry source"
                " (give another with -C DIR, or start one with 'regsite init DIR --name NAME"
                " --title TITLE --root-key KEY')"
            )
        if path.name == PACKAGE_FILE:
            name = path.parent.name
            where = "" if self.root == Path() else f" -C {self.root}"
            return (
                f"{path}: does not exist: this registry has no package {name!r}; create it"
                f" with 'regsite package new {name} --owner OWNER --description TEXT{where}'"
            )
        return f"{path}: does not exist"

    def registry(self) -> Registry:
        """The registry as the build sees it (signatures are not checked here)."""
        try:
            content = self.registry_path.read_bytes()
        except FileNotFoundError as exc:
            raise SourceEditError(self._missing(self.registry_path)) from exc
        except OSError as exc:
            raise SourceEditError(f"{self.registry_path}: cannot read: {exc.strerror}") from exc
        return self.check_registry(content, lead=f"{self.registry_path} has problems; fix them")

    def check_registry(
        self, content: bytes, lead: str = "the change would make the source invalid"
    ) -> Registry:
        """Model registry.toml's new bytes; raise listing every problem the build would report."""
        report = ErrorReport()
        loaded = registry_from_content(self.root, content, self.limits, report)
        registry = read_registry(loaded, report) if loaded is not None else None
        _raise_problems(report, lead)
        assert registry is not None
        return registry

    def check_package(self, name: str, content: bytes) -> Package:
        """Model a package's new bytes, with its README, and check its requirements against the
        packages it names, with the build's own scan and validation functions (its signatures
        are left out: the edit is signed afterwards)."""
        registry = self.registry()
        report = ErrorReport()
        loaded = package_from_content(self.root, name, content, self.limits, report)
        package = model_package(registry, loaded, report, self.limits, verify=False)[1]
        if package is not None and package.readme is not None:  # the build's README limits
            for line, message in readme_problems(package.readme.text, self.limits):
                report.add(readme_path(package), f"line {line}" if line else "", message)
        _raise_problems(report)
        assert package is not None
        # A hosted file not in the source may come from 'regsite build --files DIR'.
        report.extend(hosted_problems(HostedFiles(self.root), package, missing_ok=True))
        report.extend(flavour_package_problems(registry, package))
        _raise_problems(report)
        targets = {d.name for r in package.releases for d in r.requires if d.in_registry}
        present = [target for target in targets if self.package_path(target).is_file()]
        others = self._model_packages(registry, present)
        summary, details = summarize(package, b"")
        found = edited_requirement_problems(
            registry, summary.source_path, details.requirements, others, present
        )
        report.extend(found)
        _raise_problems(report)
        return package

    def version_scheme(self) -> VersionScheme:
        """The registry's version scheme, from registry.toml as the build reads it."""
        return self.registry().version_scheme

    def _model_packages(self, registry: Registry, names: list[str]) -> dict[str, PackageSummary]:
        """Model other packages as they are on disk now; ones that fail to model are left out."""
        found = {}
        for name in names:
            loaded = load_package(self.root, name, ErrorReport(), self.limits)
            modelled = model_package(registry, loaded, ErrorReport(), self.limits, verify=False)[1]
            if modelled is not None:
                found[name] = summarize(modelled, b"")[0]
        return found


def _raise_problems(
    report: ErrorReport, lead: str = "the change would make the source invalid"
) -> None:
    if report:
        problems = [str(problem) for problem in report]
        raise SourceEditError(f"{lead}:", details=problems)
