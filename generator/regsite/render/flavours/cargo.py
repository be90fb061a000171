"""The cargo flavour: a sparse registry index, as cargo's registry-index reference describes it.

``cargo/config.json`` says where crates are downloaded (``dl``); ``cargo/<prefix>/<name>`` holds
one JSON line per version.  Cargo reads it with ``index = "sparse+<base URL>cargo/"`` (decision
27 in docs/decisions.md; what users type is in docs/flavours.md).

Cargo needs an absolute ``dl``: it does not resolve a relative one against the index.  Crates
hosted by the site are reached through their content-addressed path, so the site's base URL
must be known; crates hosted elsewhere need one template that gives every crate's URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from regsite.assemble import Site
from regsite.effective import EffectiveRequirement, release_effective, specifier_text
from regsite.errors import SourceProblem
from regsite.model import (
    Artifact,
    Dependency,
    Narrowing,
    Package,
    PackageAmendments,
    Registry,
    Release,
    ReleaseStatus,
)
from regsite.render import Output

__all__ = [
    "INDEX_DIR",
    "crate_artifact",
    "crate_file_name",
    "dl_template",
    "entry_points",
    "index_path",
    "index_url",
    "inputs",
    "install_lines",
    "package_problems",
    "render_package",
    "render_site",
    "site_problems",
    "unseen_amendments",
]

INDEX_DIR = "cargo"  # not "index": hosts match /index/* against /index.html too
HOSTED_DL = "files/{crate}/{sha256-checksum}/{crate}-{version}.crate"


def index_path(name: str) -> str:
    """Cargo's path for a crate's index file: ``1/a``, ``2/ab``, ``3/a/abc``, ``ab/cd/abcd``."""
    return f"{INDEX_DIR}/{_prefix(name.lower())}/{name.lower()}"


def _prefix(name: str) -> str:
    if len(name) <= 2:
        return str(len(name))
    if len(name) == 3:
        return f"3/{name[0]}"
    return f"{name[:2]}/{name[2:4]}"


def index_url(base_url: str) -> str:
    """What a user writes in ``.cargo/config.toml``: ``sparse+<base URL>cargo/``."""
    return f"sparse+{_slashed(base_url)}{INDEX_DIR}/"


def _slashed(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def install_lines(registry: Registry, name: str) -> tuple[str, ...]:
    """What a user types to add ``name`` from this registry with cargo: ``cargo add`` and the
    registry's entry in ``.cargo/config.toml`` (BASE_URL when the base URL is not known)."""
    url = index_url(registry.base_url or "BASE_URL/")
    return (
        f"cargo add {name} --registry {registry.name}",
        f'[registries.{registry.name}]\nindex = "{url}"',
    )


def entry_points(site: Site) -> dict[str, Any]:
    """registry.json's ``flavours.cargo``: URLs relative to registry.json (docs/api.md)."""
    base_url = site.registry.base_url
    return {
        "index": f"../../{INDEX_DIR}/",
        "config": f"../../{INDEX_DIR}/config.json",
        "sparse": None if base_url is None else index_url(base_url),
    }


def inputs(registry: Registry) -> str:
    """What :func:`render_package` reads of registry.toml besides its name and base URL."""
    return f"dl {None if registry.cargo is None else registry.cargo.dl}"


def crate_file_name(name: str, version: str) -> str:
    """The name of a crate file, as ``cargo package`` writes it."""
    return f"{name}-{version}.crate"


def dl_template(registry: Registry) -> str | None:
    """``dl`` of config.json: the registry's own template, or the hosted files' path under the
    base URL; None when neither is known (:func:`site_problems` says so)."""
    assert registry.cargo is not None
    if registry.cargo.dl is not None:
        return registry.cargo.dl
    if registry.base_url is None:
        return None
    return _slashed(registry.base_url) + HOSTED_DL


def site_problems(registry: Registry) -> list[SourceProblem]:
    """What the flavour needs of the registry as a whole."""
    if registry.cargo is None or dl_template(registry) is not None:
        return []
    message = (
        "cargo needs an absolute URL to download the crates this site hosts (it does not"
        " resolve config.json's dl against the index): set [registry] base-url, pass"
        " --base-url, or give [flavours.cargo] dl for crates hosted elsewhere"
    )
    return [SourceProblem(registry.source.path, "flavours.cargo", message)]


def crate_artifact(registry: Registry, name: str, release: Release) -> Artifact | None:
    """The release's ``.crate``: the hosted file ``NAME-VERSION.crate``, or with a ``dl``
    template, the artifact at the URL the template gives."""
    assert registry.cargo is not None
    dl, version = registry.cargo.dl, str(release.version)
    for artifact in release.artifacts:
        if dl is None and artifact.file == crate_file_name(name, version):
            return artifact
        if dl is not None and artifact.url == _expand(dl, name, version, artifact.sha256):
            return artifact
    return None


def _expand(template: str, name: str, version: str, sha256: str) -> str:
    """cargo's substitution of ``dl``'s markers (names here are lower-case already)."""
    prefix = _prefix(name)
    for marker, value in (
        ("{crate}", name),
        ("{version}", version),
        ("{prefix}", prefix),
        ("{lowerprefix}", prefix),
        ("{sha256-checksum}", sha256),
    ):
        template = template.replace(marker, value)
    return template


def package_problems(registry: Registry, package: Package) -> list[SourceProblem]:
    """Every release needs its crate where config.json's ``dl`` sends cargo."""
    if registry.cargo is None:
        return []
    problems = []
    for index, release in enumerate(package.releases):
        if crate_artifact(registry, package.name, release) is not None:
            continue
        version = str(release.version)
        file = crate_file_name(package.name, version)
        if registry.cargo.dl is None:
            expected = f"a hosted artifact file = {file!r} (regsite release add --from-crate)"
        else:
            expected = f"an artifact at {_expand(registry.cargo.dl, package.name, version, '…')}"
        message = f"the cargo flavour needs the release's crate: expected {expected}"
        problems.append(SourceProblem(package.source.path, f"release[{index}]", message))
    return problems


def render_site(site: Site) -> Output:
    """``cargo/config.json``; no ``api``: a static site takes no ``cargo publish``."""
    config = {"dl": dl_template(site.registry)}
    return {f"{INDEX_DIR}/config.json": _dump(config) + b"\n"}


def render_package(
    registry: Registry, package: Package, amendments: PackageAmendments | None = None
) -> Output:
    """The crate's index file: one line per release, oldest publish time first (as an index
    that is only ever appended to would hold them).  Cargo resolves from the index alone, so
    each dependency's ``req`` is its effective requirement: the owners' with the curators'
    upper bound in force (docs/curation.md)."""
    releases = sorted(package.releases, key=lambda release: (release.published, release.version))
    lines = [_dump(_entry(registry, package.name, r, amendments)) for r in releases]
    if not lines:
        return {}
    return {index_path(package.name): b"\n".join(lines) + b"\n"}


def _entry(
    registry: Registry, name: str, release: Release, amendments: PackageAmendments | None
) -> dict[str, Any]:
    crate = crate_artifact(registry, name, release)
    assert crate is not None  # package_problems refused the build otherwise
    features, features2 = _split_features(release.features)
    effective = None if amendments is None else release_effective(release, amendments.amendments)
    # One effective requirement per declared dependency, in the same order.
    narrowed = effective.requires if effective else (None,) * len(release.requires)
    deps = zip(release.requires, narrowed, strict=True)
    entry: dict[str, Any] = {
        "name": name,
        "vers": str(release.version),
        "deps": [_dependency(registry, dependency, amended) for dependency, amended in deps],
        "cksum": crate.sha256,
        "features": features,
        "yanked": release.status is ReleaseStatus.YANKED,
        "links": release.links,
    }
    if release.rust_version is not None:
        entry["rust_version"] = release.rust_version
    if features2:
        entry["features2"] = features2
    entry["v"] = 2 if features2 else 1
    return entry


def _split_features(
    features: Mapping[str, tuple[str, ...]],
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """As crates.io: features using ``dep:`` or ``?/`` go to ``features2`` (with ``v: 2``), so
    that cargo older than 1.60, which cannot read them, still reads the rest."""
    plain: dict[str, list[str]] = {}
    extended: dict[str, list[str]] = {}
    for name, values in sorted(features.items()):
        new_syntax = any(value.startswith("dep:") or "?/" in value for value in values)
        (extended if new_syntax else plain)[name] = list(values)
    return plain, extended


def _dependency(
    registry: Registry, dependency: Dependency, effective: EffectiveRequirement | None
) -> dict[str, Any]:
    """A dependency as cargo's index writes it, with the curators' upper bound in ``req`` when
    one is in force (docs/curation.md); one taken from an [[upstream]] names the upstream's own
    cargo index (docs/upstreams.md), which the build checks it publishes."""
    req = str(dependency.specifier)
    if effective is not None and effective.bound is not None:
        req = specifier_text(registry.version_scheme, effective)
    other = dependency.registry
    if dependency.upstream is not None:
        upstream = next(u for u in registry.upstreams if u.name == dependency.upstream)
        other = index_url(upstream.url)
    return {
        "name": dependency.rename or dependency.name,
        "req": req,
        "features": list(dependency.features),
        "optional": dependency.optional,
        "default_features": dependency.default_features,
        "target": dependency.target,
        "kind": dependency.kind.value,
        "registry": other,
        "package": dependency.name if dependency.rename is not None else None,
    }


def unseen_amendments(site: Site) -> list[str]:
    """The amendments cargo's index cannot carry: an excluded version or a conflict (cargo's
    requirements have no ``!=`` and no way to say "not with"); cargo users resolve without
    them, so the operator is told, once per amendment."""
    if site.registry.cargo is None:
        return []
    return [
        f"amendments/{name}/amendments.toml: amendment[{amendment.index}]"
        f" ({amendment.constraint}): cargo's index cannot write an excluded version or a"
        " conflict, so cargo resolves without it; bound the dependency (upper-bound) where"
        " that will do, or have its owners yank the release (docs/curation.md)"
        for name, found in site.amendments.items()
        for amendment in found.amendments
        if amendment.narrowing in (Narrowing.EXCLUDE, Narrowing.CONFLICT)
    ]


def _dump(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
