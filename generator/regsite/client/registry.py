"""A registry as a client sees it: every file TUF-verified, every package owner-verified.

TUF metadata proves a file is what the registry's online key published.  That key signs at
build time, so it is the one most exposed; the owners' signatures on the republished
``package.toml`` do not depend on it.  :class:`RemoteRegistry` checks both, and refuses a package
JSON document that disagrees with the owner-signed source it was built from.  A package's
amendments file, when the metadata lists one, must be signed by a threshold of the curators
whose scope holds the package (registry.toml ``[curators]``), or nothing of the package is used.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from tuf.api.metadata import Root

from regsite.amendment_file import AMENDMENTS_DIR, AMENDMENTS_FILE, read_amendments
from regsite.errors import ErrorReport, RegistryError
from regsite.load import LoadedPackage, loaded_file
from regsite.metadata.root import role_keys
from regsite.model import Package, PackageAmendments, Registry, Release
from regsite.names import name_problem
from regsite.package_file import read_package
from regsite.registry_file import read_registry
from regsite.render.api import amendment_entry
from regsite.verify import (
    PinnedRoot,
    verify_amendments,
    verify_package_index,
    verify_registry_file,
)

__all__ = ["ClientError", "RemoteRegistry", "TargetSource"]

API = "api/v1"


class ClientError(RegistryError):
    """A registry's content failed a client-side check (owner signature, consistency)."""


class TargetSource(Protocol):
    """What :class:`RemoteRegistry` needs from the TUF updater."""

    @property
    def root(self) -> Root: ...

    def listed(self, path: str) -> bool: ...

    def fetch_target(self, path: str) -> bytes: ...


@dataclass(slots=True)
class RemoteRegistry:
    source: TargetSource
    readmes: bool = True  # fetch each package's README and check it (the build has no use for it)
    known: Registry | None = None  # registry.toml as verified earlier under the same root keys
    _packages: dict[str, Package] = field(default_factory=dict)
    _amendments: dict[str, PackageAmendments | None] = field(default_factory=dict)

    def registry(self) -> Registry:
        """registry.toml, signed by a threshold of the root keys the TUF root names."""
        if self.known is None:
            self.known = self._read_registry()
        return self.known

    def package(self, name: str) -> Package:
        """A package from its owner-signed package.toml (and the README it pins by hash).

        Raises ``KeyError`` if the registry has no such package (for the resolver).
        """
        if name_problem(name) is not None or name not in self.registry().delegations:
            raise KeyError(name)
        if name not in self._packages:
            self._packages[name] = self._read_package(name)
        return self._packages[name]

    def amendments(self, name: str) -> PackageAmendments | None:
        """The curators' amendments to package ``name``, verified against registry.toml's
        curators; None when the signed metadata lists none.  Fails closed: an amendments file
        that does not verify is an error, never ignored."""
        if name not in self._amendments:
            self.package(name)  # the name is checked, and the package must verify first
            path = f"{API}/sources/{name}/{AMENDMENTS_FILE}"
            found = self._read_amendments(name, path) if self.source.listed(path) else None
            self._amendments[name] = found
        return self._amendments[name]

    def document(self, name: str) -> dict[str, Any]:
        """The package's JSON document (``api/v1/packages/NAME.json``), TUF-verified and
        checked against the owner-signed package.toml it was built from."""
        package = self.package(name)
        path = f"{API}/packages/{name}.json"
        try:
            document = json.loads(self.source.fetch_target(path))
        except (ValueError, RecursionError):  # signed, yet not JSON: a broken or hostile build
            document = None
        if not isinstance(document, dict):
            raise ClientError(f"{path}: expected a JSON object; the registry's build is broken")
        _check_document(package, document)
        _check_amendments(self.amendments(name), document, path)
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
            threshold, source = root.roles["root"].threshold, "those its TUF root names"
            pinned = PinnedRoot(keys=keys, threshold=threshold, source=source)
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
        if self.readmes and isinstance(entry, dict) and isinstance(file := entry.get("file"), str):
            readme = self.source.fetch_target(f"{base}/{file}") if "/" not in file else None
        loaded = LoadedPackage(name=name, index=index, readme=readme)
        package = read_package(loaded, verdict, report, scheme=registry.version_scheme)
        _raise(report, f"{name}'s package.toml")
        assert package is not None
        return package

    def _read_amendments(self, name: str, path: str) -> PackageAmendments:
        registry = self.registry()
        report = ErrorReport()
        content = self.source.fetch_target(path)
        signature = self.source.fetch_target(f"{path}.sig")
        relative = f"{AMENDMENTS_DIR}/{name}/{AMENDMENTS_FILE}"
        loaded = loaded_file(relative, content, signature, report)
        _raise(report, f"{name}'s amendments")
        assert loaded is not None
        verdict = verify_amendments(registry, name, loaded, report)
        _raise(report, f"{name}'s amendments")
        scheme = registry.version_scheme
        amendments = read_amendments(loaded, name, verdict, report, scheme=scheme)
        _raise(report, f"{name}'s amendments")
        return amendments


def _check_amendments(
    amendments: PackageAmendments | None, document: dict[str, Any], path: str
) -> None:
    """The JSON shows the amendments the curators signed, or none when there are none."""
    shown = document.get("amendments")
    found = (shown.get("sha256"), shown.get("entries")) if isinstance(shown, dict) else shown
    expected = None
    if amendments is not None:
        digest = hashlib.sha256(amendments.source.content).hexdigest()
        expected = (digest, [amendment_entry(a) for a in amendments.amendments])
    if found != expected:
        raise ClientError(
            f"{path}: its amendments disagree with the curator-signed amendments file the"
            " signed metadata lists: the registry's build or its online key is not to be trusted"
        )


def _raise(report: ErrorReport, what: str) -> None:
    if report:
        problems = "; ".join(str(problem) for problem in report)
        raise ClientError(f"{what} did not verify: {problems}")


def _check_document(package: Package, document: dict[str, Any]) -> None:
    """The JSON a client reads must say what the owners signed."""
    expected = [_release_summary(release) for release in package.releases]
    found = [_document_summary(entry) for entry in _list(document.get("releases"))]
    if document.get("name") != package.name or expected != found:
        raise ClientError(
            f"api/v1/packages/{package.name}.json disagrees with the owner-signed package.toml"
            " (versions, status, dependencies or artifacts differ): the registry's build or its"
            " online key is not to be trusted"
        )


def _release_summary(release: Release) -> tuple[object, ...]:
    requires = tuple(
        (d.name, str(d.specifier), d.marker and str(d.marker), d.extras, d.upstream)
        for d in release.requires
    )
    artifacts = tuple((a.href("../../../"), a.sha256, a.size) for a in release.artifacts)
    python = release.requires_python and str(release.requires_python)
    extras = release.provides_extras
    return (str(release.version), release.status.value, requires, artifacts, python, extras)


def _document_summary(entry: Any) -> tuple[object, ...]:
    if not isinstance(entry, dict):
        return ()
    requires = tuple(
        (
            item.get("name"),
            item.get("specifier"),
            item.get("marker"),
            _strings(item, "extras"),
            item.get("upstream"),
        )
        for item in _list(entry.get("requires"))
        if isinstance(item, dict)
    )
    artifacts = tuple(
        (item.get("url"), item.get("sha256"), item.get("size"))
        for item in _list(entry.get("artifacts"))
        if isinstance(item, dict)
    )
    python, extras = entry.get("requires_python"), _strings(entry, "provides_extras")
    return (entry.get("version"), entry.get("status"), requires, artifacts, python, extras)


def _list(value: object) -> list[Any]:
    """A JSON array, or an empty one for anything else (which then disagrees with the source)."""
    return value if isinstance(value, list) else []


def _strings(entry: dict[str, Any], key: str) -> tuple[object, ...]:
    value = entry.get(key, [])
    return tuple(value) if isinstance(value, list) else (value,)
