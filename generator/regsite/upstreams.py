"""The upstream stage: every ``[[upstream]]`` of registry.toml read, verified and modelled
before the packages are scanned (docs/upstreams.md).

For each upstream: its pinned root from the source, checked against the sha256 registry.toml
records; then its signed metadata, registry.toml and the packages taken from it, through the
verifying client (:mod:`regsite.upstream_fetch`), from its URL or from a local mirror.  Every
problem, an unreachable upstream included, is one line in the one validation report; the
validation stage then checks the names this registry shares with its upstreams and each
requirement on an upstream package (:mod:`regsite.upstream_checks`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from regsite.errors import ErrorReport, RegistryError
from regsite.fetch import FetchConfig
from regsite.load import REGISTRY_FILE, SourceLimits, read_upstream_root
from regsite.memo import Memo
from regsite.metadata.envelope import MetadataError
from regsite.metadata.root import read_trusted_root
from regsite.model import Registry, Upstream
from regsite.upstream_checks import UpstreamScan, upstream_key
from regsite.upstream_fetch import FETCH_JOBS, UpstreamIndex, read_upstream

__all__ = ["UpstreamOptions", "scan_upstreams", "with_upstreams"]


@dataclass(frozen=True, kw_only=True, slots=True)
class UpstreamOptions:
    """Where the build reads its upstreams from, and how long each fetch may take."""

    mirrors: Mapping[str, Path] = field(default_factory=dict)  # upstream name -> a local mirror
    fetch: FetchConfig = field(default_factory=FetchConfig)  # 30 s a fetch by default
    jobs: int = FETCH_JOBS  # files fetched at once from each upstream


def scan_upstreams(
    root: Path,
    registry: Registry | None,
    memo: Memo,
    options: UpstreamOptions,
    limits: SourceLimits,
) -> UpstreamScan:
    """Read every upstream registry.toml declares; never raises for an upstream's failure."""
    report = ErrorReport()
    declared = {upstream.name: upstream for upstream in registry.upstreams} if registry else {}
    for name in sorted(set(options.mirrors) - set(declared)):
        known = ", ".join(sorted(declared)) or "none"
        report.add("--upstream-mirror", name, f"not an [[upstream]] of registry.toml ({known})")
    indexes, roots = {}, {}
    for upstream in declared.values():
        pinned = _pinned_root(root, upstream, limits, report)
        if pinned is None:
            continue
        roots[upstream.name] = pinned
        index = _read(upstream, pinned, memo, options, report)
        if index is not None and _usable(registry, upstream, index, report):
            indexes[upstream.name] = index
    return UpstreamScan(indexes, tuple(report), roots)


def _pinned_root(
    root: Path, upstream: Upstream, limits: SourceLimits, report: ErrorReport
) -> bytes | None:
    """The root registry.toml pins: its bytes have the sha256 recorded, and it signs itself."""
    content = read_upstream_root(root, upstream.root_file, limits, report)
    if content is None:
        return None
    actual = hashlib.sha256(content).hexdigest()
    if actual != upstream.root_sha256:
        report.add(
            upstream.root_file,
            "",
            f"has sha256 {actual}, but registry.toml pins {upstream.root_sha256}"
            f" ({upstream_key(upstream, 'root.sha256')}); if the root was replaced on purpose,"
            " record its sha256 there and sign registry.toml again",
        )
        return None
    try:
        read_trusted_root(content, upstream.root_file)
    except MetadataError as error:
        report.add(upstream.root_file, "", f"not a root that signs itself: {error}")
        return None
    return content


def _read(
    upstream: Upstream, pinned: bytes, memo: Memo, options: UpstreamOptions, report: ErrorReport
) -> UpstreamIndex | None:
    """The upstream, read from its mirror or its URL; its failure as one line naming it."""
    mirror = options.mirrors.get(upstream.name)
    location = upstream.url if mirror is None else mirror.resolve().as_uri() + "/"
    where = upstream.url if mirror is None else f"the mirror {mirror}"
    try:
        return read_upstream(upstream, pinned, location, memo, options.fetch, options.jobs)
    except RegistryError as error:
        reason = "; ".join(str(error).splitlines())
        message = f"upstream {upstream.name!r} at {where}: {reason}"
        report.add(REGISTRY_FILE, upstream_key(upstream), message)
        return None


def _usable(
    registry: Registry | None, upstream: Upstream, index: UpstreamIndex, report: ErrorReport
) -> bool:
    """Its problems reported; an upstream whose versions this registry cannot read is left
    out, so no requirement is checked against them."""
    for key, message in index.problems:
        report.add(REGISTRY_FILE, upstream_key(upstream, key), message)
    if registry is not None and registry.cargo is not None and "cargo" not in index.flavours:
        report.add(
            REGISTRY_FILE,
            upstream_key(upstream),
            f"upstream {upstream.name!r} publishes no cargo index ([flavours] cargo), and this"
            " registry's does: cargo could not fetch the crates taken from it",
        )
    if registry is None or index.scheme == registry.version_scheme.name:
        return True
    report.add(
        REGISTRY_FILE,
        upstream_key(upstream),
        f"upstream {upstream.name!r} writes versions in {index.scheme!r}, this registry in"
        f" {registry.version_scheme.name!r}: an upstream must use the same version scheme",
    )
    return False


def with_upstreams(registry: Registry, scan: UpstreamScan) -> Registry:
    """The registry with what was read of each upstream: its pinned root's bytes (published
    for clients) and its page template."""
    upstreams = tuple(
        dataclasses.replace(
            upstream,
            page=index.page if (index := scan.indexes.get(upstream.name)) else None,
            pinned=scan.roots.get(upstream.name, b""),
        )
        for upstream in registry.upstreams
    )
    return dataclasses.replace(registry, upstreams=upstreams)
