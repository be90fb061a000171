"""A registry as a client sees it: every file TUF-verified, every package owner-verified.

TUF metadata proves a file is what the registry's online key published.  That key signs at
build time, so it is the one most exposed; the owners' signatures on the republished
``package.toml`` do not depend on it.  :class:`RemoteRegistry` checks both, and refuses a package
JSON document that disagrees with the owner-signed source it was built from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from tuf.api.metadata import Root

from regsite.errors import ErrorReport, RegistryError
from regsite.load import LoadedPackage, loaded_file
from regsite.metadata.root import role_keys
from regsite.model import Package, Registry, Release
from regsite.names import name_problem
from regsite.package_file import read_package
from regsite.registry_file import read_registry
from regsite.verify import PinnedRoot, verify_package_index, verify_registry_file

__all__ = ["ClientError", "RemoteRegistry", "TargetSource"]

API = "api/v1"


class ClientError(RegistryError):
    """A registry's content failed a client-side check (owner signature, consistency)."""


class TargetSource(Protocol):
    """What :class:`RemoteRegistry` needs from the TUF updater."""

    @property
    def root(self) -> Root: ...

    def fetch_target(self, path: str) -> bytes: ...


@dataclass(slots=True)
class RemoteRegistry:
    source: TargetSource
    _registry: Registry | None = None
    _packages: dict[str, Package] = field(default_factory=dict)

    def registry(self) -> Registry:
        """registry.toml, signed by a threshold of the root keys the TUF root names."""
        if self._registry is None:
            self._registry = self._read_registry()
        return self._registry

    def package(self, name: str) -> Package:
        """A package from its owner-signed package.toml, checked against its JSON document.

        Raises ``KeyError`` if the registry has no such package (for the resolver).
        """
        if name_problem(name) is not None or name not in self.registry().delegations:
            raise KeyError(name)
        if name not in self._packages:
            self._packages[name] = self._read_package(name)
        return self._packages[name]

    def document(self, name: str) -> dict[str, Any]:
        """The package's JSON document (``api/v1/packages/NAME.json``), TUF-verified."""
        if name_problem(name) is not None:
            raise KeyError(name)
        document: dict[str, Any] = json.loads(
            self.source.fetch_target(f"{API}/packages/{name}.json")
        )
        return document

    def _read_registry(self) -> Registry:
        report = ErrorReport()
        content = self.source.fetch_target(f"{API}/sources/registry.toml")
        signature = self.source.fetch_target(f"{API}/sources/registry.toml.sig")
        loaded = loaded_file("registry.toml", content, signature, report)
        registry = read_registry(loaded, report) if loaded is not None else None
        if registry is not None and loaded is not None:
            root = self.source.root
            keys = role_keys(root, "root")
            pinned = PinnedRoot(keys=keys, threshold=root.roles["root"].threshold)
            verify_registry_file(registry, loaded, report, pinned)
        _raise(report, "registry.toml")
        assert registry is not None
        return registry

    def _read_package(self, name: str) -> Package:
        registry = self.registry()
        base = f"{API}/sources/{name}"
        report = ErrorReport()
        content = self.source.fetch_target(f"{base}/package.toml")
        signature = self.source.fetch_target(f"{base}/package.toml.sig")
        index = loaded_file(f"packages/{name}/package.toml", content, signature, report)
        _raise(report, f"{name}'s package.toml")
        assert index is not None
        verdict = verify_package_index(registry, name, index, report)
        _raise(report, f"{name}'s package.toml")
        readme = None
        declared = index.document.get("package", {})
        entry = declared.get("readme") if isinstance(declared, dict) else None
        if isinstance(entry, dict) and isinstance(file := entry.get("file"), str):
            readme = self.source.fetch_target(f"{base}/{file}") if "/" not in file else None
        loaded = LoadedPackage(name=name, index=index, readme=readme)
        package = read_package(loaded, verdict, report, scheme=registry.version_scheme)
        _raise(report, f"{name}'s package.toml")
        assert package is not None
        _check_document(package, self.document(name))
        return package


def _raise(report: ErrorReport, what: str) -> None:
    if report:
        problems = "; ".join(str(problem) for problem in report)
        raise ClientError(f"{what} did not verify: {problems}")


def _check_document(package: Package, document: dict[str, Any]) -> None:
    """The JSON a client reads must say what the owners signed."""
    expected = [_release_summary(release) for release in package.releases]
    found = [_document_summary(entry) for entry in document.get("releases", [])]
    if document.get("name") != package.name or expected != found:
        raise ClientError(
            f"api/v1/packages/{package.name}.json disagrees with the owner-signed package.toml"
            " (versions, status, dependencies or artifacts differ): the registry's build or its"
            " online key is not to be trusted"
        )


def _release_summary(release: Release) -> tuple[object, ...]:
    requires = tuple((d.name, str(d.specifier)) for d in release.requires)
    # A hosted file's URL is relative to the document, api/v1/packages/NAME.json.
    artifacts = tuple((a.href("../../../"), a.sha256, a.size) for a in release.artifacts)
    return (str(release.version), release.status.value, requires, artifacts)


def _document_summary(entry: Any) -> tuple[object, ...]:
    if not isinstance(entry, dict):
        return ()
    requires = tuple(
        (item.get("name"), item.get("specifier"))
        for item in entry.get("requires", [])
        if isinstance(item, dict)
    )
    artifacts = tuple(
        (item.get("url"), item.get("sha256"), item.get("size"))
        for item in entry.get("artifacts", [])
        if isinstance(item, dict)
    )
    return (entry.get("version"), entry.get("status"), requires, artifacts)
