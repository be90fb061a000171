"""JSON API v1 renderer (docs/api.md): entry point, names list, one document per package."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from importlib.resources import files
from typing import Any

from regsite.advisories.model import Advisory
from regsite.advisories.releases import advisory_marks, mark_document
from regsite.assemble import Site
from regsite.dependency_document import dependency_document
from regsite.effective import release_effective, specifier_text
from regsite.fields import SOURCE_FORMAT
from regsite.model import (
    Amendment,
    Artifact,
    Owner,
    Package,
    PackageAmendments,
    Registry,
    Release,
    Upstream,
)
from regsite.render import Output
from regsite.render.flavours import flavour_entry_points
from regsite.summary import PackageSummary

__all__ = [
    "API_ROOT",
    "API_VERSION",
    "SCHEMA_NAMES",
    "amendment_entry",
    "dump_json",
    "package_api",
    "package_document",
    "package_document_path",
    "site_api",
    "with_dependents",
]

API_VERSION = 1
API_ROOT = "api/v1"
SCHEMA_NAMES = (
    "registry.schema.json",
    "names.schema.json",
    "package.schema.json",
    "search-manifest.schema.json",
    "search-shard.schema.json",
    "search-records.schema.json",
    "search-terms.schema.json",
    "build-report.schema.json",
    "changes.schema.json",
    "changes-page.schema.json",
    "advisories.schema.json",
    "shard.schema.json",
    "closure.schema.json",
)


def site_api(site: Site) -> Output:
    """The documents about the whole registry, its signed source and the JSON Schemas."""
    output: Output = {
        f"{API_ROOT}/registry.json": dump_json(registry_document(site)),
        f"{API_ROOT}/names.json": dump_json(names_document(site)),
    }
    registry = site.registry.source
    output[f"{API_ROOT}/sources/registry.toml"] = registry.content
    if registry.signature_content is not None:
        output[f"{API_ROOT}/sources/registry.toml.sig"] = registry.signature_content
    for upstream in site.registry.upstreams:  # the roots registry.toml pins by their sha256
        output[f"{API_ROOT}/sources/{upstream.root_file}"] = upstream.pinned
    output.update(dict(_schemas()))
    return output


def package_api(
    registry: Registry,
    package: Package,
    amendments: PackageAmendments | None = None,
    advisories: Sequence[Advisory] = (),
) -> Output:
    """One package's JSON document, without its ``dependents`` (:func:`with_dependents` adds
    them), and its signed sources, republished byte for byte: the owners' package.toml and, if
    curators amended the package, their amendments file."""
    document = package_document(registry, package, amendments, advisories)
    output = {package_document_path(package.name): dump_json(document)}
    base = f"{API_ROOT}/sources/{package.name}"
    output[f"{base}/package.toml"] = package.source.content
    if package.source.signature_content is not None:
        output[f"{base}/package.toml.sig"] = package.source.signature_content
    if package.readme is not None:
        output[f"{base}/{package.readme.file}"] = package.readme.content
    if amendments is not None:
        output[f"{base}/amendments.toml"] = amendments.source.content
        if amendments.source.signature_content is not None:
            output[f"{base}/amendments.toml.sig"] = amendments.source.signature_content
    return output


def package_document_path(name: str) -> str:
    return f"{API_ROOT}/packages/{name}.json"


def with_dependents(document: bytes, dependents: Sequence[str], closure: str) -> bytes:
    """A package document from :func:`package_api` with its last keys, which only the whole
    registry knows: ``dependents``, the packages that depend on it, and ``closure``, the sha256
    of its closure manifest (docs/portable.md)."""
    if not document.endswith(b"}\n"):
        raise ValueError("not a package document from package_api")
    names = json.dumps(list(dependents), ensure_ascii=False, separators=(",", ":"))
    tail = f',"dependents":{names},"closure":{json.dumps(closure)}}}\n'
    return document[:-2] + tail.encode("utf-8")


def dump_json(document: Any) -> bytes:
    """Compact UTF-8 JSON in the key order the renderer built: stable, byte for byte."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC; the model holds every date-time in UTC already."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# Where each document is, relative to api/v1/registry.json.
_URLS = {
    "names": "names.json",
    "package": "packages/{name}.json",
    "package_source": "sources/{name}/package.toml",
    "package_source_signature": "sources/{name}/package.toml.sig",
    "registry_source": "sources/registry.toml",
    "registry_source_signature": "sources/registry.toml.sig",
    "page": "../../packages/{name}/index.html",
    "search": "../../search/manifest.json",
    "search_page": "../../search/index.html",
    "changes": "changes.json",
    "changes_atom": "../../feed.xml",
    "package_atom": "../../packages/{name}/feed.xml",
    "advisories": "advisories/index.json",
    "advisory": "advisories/{id}.json",
    "shard": "shards/{name}/{sha256}.json",
    "closure": "closures/{name}/{sha256}.json",
}


def registry_document(site: Site) -> dict[str, Any]:
    registry = site.registry
    return {
        "api_version": API_VERSION,
        "name": registry.name,
        "title": registry.title,
        "description": registry.description,
        "base_url": registry.base_url,
        "install": registry.install,
        "updated": timestamp(site.updated),
        "counts": {
            "packages": len(site.packages),
            "releases": site.release_count,
            "owners": len(registry.owners),
        },
        "urls": dict(_URLS),
        "schemas": {name.removesuffix(".schema.json"): f"schemas/{name}" for name in SCHEMA_NAMES},
        "trust": _trust(registry),
        "owners": [_owner(owner) for owner in registry.owners.values()],
        # Added to v1 after its first release: present only when a flavour is enabled.
        **({"flavours": flavours} if (flavours := flavour_entry_points(site)) else {}),
        # Added to v1 after its first release: present only when registry.toml declares one.
        **({"upstreams": [_upstream(u) for u in registry.upstreams]} if registry.upstreams else {}),
    }


def _trust(registry: Registry) -> dict[str, Any]:
    """Whom the registry trusts and how long its timestamp lasts."""
    return {
        "source_format": SOURCE_FORMAT,
        "root_keys": [str(key) for key in registry.root_keys],
        "root_threshold": registry.root_threshold,
        "online_keys": [str(key) for key in registry.online_keys],
        "revoked_keys": sorted(str(key) for key in registry.revoked_keys),
        "metadata": "../../metadata/" if registry.root_history else None,
        "timestamp_expires": int(registry.policy.timestamp_expires.total_seconds()),
    }


def _upstream(upstream: Upstream) -> dict[str, Any]:
    return {
        "name": upstream.name,
        "url": upstream.url,
        "root": {"url": f"sources/{upstream.root_file}", "sha256": upstream.root_sha256},
        "page": upstream.page,
        "packages": list(upstream.packages),
        "shadowed": list(upstream.shadowed),
    }


def names_document(site: Site) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "packages": [
            {
                "name": package.name,
                "latest": _latest_version(package),
                "description": package.description,
                "status": package.status.value,
            }
            for package in site.packages.values()
        ],
    }


def package_document(
    registry: Registry,
    package: Package,
    amendments: PackageAmendments | None = None,
    advisories: Sequence[Advisory] = (),
) -> dict[str, Any]:
    """Everything about one package but its dependents (:func:`with_dependents`); a release
    that advisories affect lists them (``advisories``, docs/advisories.md), and one that
    curators amended its requirements in force (``effective``, docs/curation.md)."""
    delegation = registry.delegations[package.name]
    owners = [registry.owners[owner_id] for owner_id in delegation.owners]
    return {
        "api_version": API_VERSION,
        "name": package.name,
        "description": package.description,
        "license": package.license,
        "keywords": list(package.keywords),
        "homepage": package.homepage,
        "repository": package.repository,
        "documentation": package.documentation,
        "status": package.status.value,
        "status_reason": package.status_reason,
        "latest": _latest_version(package),
        "page": f"../../../packages/{package.name}/index.html",
        "owners": [_owner(owner) for owner in owners],
        "threshold": delegation.threshold,
        "source": _package_source(package),
        "readme": _readme(package),
        # Added to v1 after its first release: present only when curators amended the package.
        **({} if amendments is None else {"amendments": _amendments(package.name, amendments)}),
        "releases": [
            _release(registry, release, package.name, amendments, advisories)
            for release in package.releases
        ],
    }


def _package_source(package: Package) -> dict[str, Any]:
    """Where package.toml and its signatures are published, and who signed it."""
    verification = package.source.verification
    return {
        "url": f"../sources/{package.name}/package.toml",
        "sha256": hashlib.sha256(package.source.content).hexdigest(),
        "signature_url": f"../sources/{package.name}/package.toml.sig",
        "signed_by": sorted(verification.signers) if verification else [],
    }


def _readme(package: Package) -> dict[str, Any] | None:
    """Where the README is published, or None without one."""
    if package.readme is None:
        return None
    return {
        "url": f"../sources/{package.name}/{package.readme.file}",
        "sha256": package.readme.sha256,
    }


def _latest_version(package: Package | PackageSummary) -> str | None:
    latest = package.latest
    return None if latest is None else str(latest.version)


def _owner(owner: Owner) -> dict[str, Any]:
    return {
        "id": owner.id,
        "name": owner.name,
        "url": owner.url,
        "keys": [{"key": str(key), "fingerprint": key.fingerprint} for key in owner.keys],
    }


def _amendments(name: str, amendments: PackageAmendments) -> dict[str, Any]:
    """The curators' signed amendments file and what it says (docs/curation.md)."""
    return {
        "url": f"../sources/{name}/amendments.toml",
        "sha256": hashlib.sha256(amendments.source.content).hexdigest(),
        "signature_url": f"../sources/{name}/amendments.toml.sig",
        "signed_by": list(amendments.signers),
        "entries": [amendment_entry(amendment) for amendment in amendments.amendments],
    }


def amendment_entry(amendment: Amendment) -> dict[str, Any]:
    """One amendment as the package document (and the build report) shows it."""
    return {
        "index": amendment.index,
        "releases": str(amendment.releases),
        "narrows": amendment.narrowing.value,
        "name": amendment.target,
        "version": None if amendment.version is None else str(amendment.version),
        "specifier": None if amendment.versions is None else str(amendment.versions),
        "kind": amendment.kind.value,
        "reason": amendment.reason,
        "link": amendment.link,
        "date": amendment.date.isoformat(),
    }


def _effective(
    registry: Registry, release: Release, amendments: PackageAmendments | None
) -> dict[str, Any] | None:
    """The release's requirements once the amendments in force apply; None when none is."""
    effective = None if amendments is None else release_effective(release, amendments.amendments)
    if effective is None:
        return None
    scheme = registry.version_scheme
    return {
        "amendments": list(effective.amendments),
        "requires": [
            {
                "name": requirement.name,
                "specifier": specifier_text(scheme, requirement),
                "excluded": [str(version) for version in requirement.excluded],
            }
            for requirement in effective.requires
        ],
        "conflicts": [
            {"name": conflict.name, "specifier": str(conflict.versions)}
            for conflict in effective.conflicts
        ],
    }


_ROOT_FROM_DOCUMENT = "../../../"  # api/v1/packages/<name>.json -> the site's root


def _release(
    registry: Registry,
    release: Release,
    name: str,
    amendments: PackageAmendments | None,
    advisories: Sequence[Advisory],
) -> dict[str, Any]:
    document = _release_document(release)
    marks = advisory_marks(release, name, advisories)
    if release.advisories:
        document["status_advisories"] = list(release.advisories)
    if marks:
        document["advisories"] = [mark_document(advisory, name, "../") for advisory in marks]
    # The curators' amendments in force on it (docs/curation.md), only where some is.
    if (effective := _effective(registry, release, amendments)) is not None:
        document["effective"] = effective
    return document


def _release_document(release: Release) -> dict[str, Any]:
    document: dict[str, Any] = {
        "version": str(release.version),
        "published": timestamp(release.published),
        "status": release.status.value,
        "status_reason": release.status_reason,
        "requires": [dependency_document(dependency) for dependency in release.requires],
        "artifacts": [_artifact(artifact) for artifact in release.artifacts],
    }
    # Fields added to v1 after its first release are present only when they have a value.
    if release.requires_python is not None:
        document["requires_python"] = str(release.requires_python)
    if release.provides_extras:
        document["provides_extras"] = list(release.provides_extras)
    # Cargo's fields, only where a release has them (version-scheme "semver").
    if release.features:
        document["features"] = {key: list(values) for key, values in release.features.items()}
    if release.links is not None:
        document["links"] = release.links
    if release.rust_version is not None:
        document["rust_version"] = release.rust_version
    return document


def _artifact(artifact: Artifact) -> dict[str, Any]:
    document: dict[str, Any] = {
        "url": artifact.href(_ROOT_FROM_DOCUMENT),
        "filename": artifact.filename,
        "sha256": artifact.sha256,
        "size": artifact.size,
    }
    if artifact.path is not None:
        metadata = artifact.core_metadata_sha256
        document["hosted"] = True
        document["core_metadata"] = metadata and {
            "url": f"{document['url']}.metadata",
            "sha256": metadata,
        }
    return document


def _schemas() -> Iterator[tuple[str, bytes]]:
    schemas = files("regsite") / "schemas"
    for name in SCHEMA_NAMES:
        yield f"{API_ROOT}/schemas/{name}", (schemas / name).read_bytes()
