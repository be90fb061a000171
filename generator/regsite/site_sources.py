"""The site-level sources, read before the packages because the packages' scans read them:
registry.toml and the root history, the curators' amendments, advisories/, and the upstreams
(each through its own stage module, each memoised under the digests of its inputs)."""

from __future__ import annotations

import dataclasses

from regsite.advisories.stage import scan_advisories
from regsite.catalog import Catalog, scan_registry
from regsite.curation import scan_curation
from regsite.memo import Memo
from regsite.options import BuildOptions
from regsite.progress import Stages
from regsite.upstreams import scan_upstreams, with_upstreams

__all__ = ["read_site_sources"]


def read_site_sources(options: BuildOptions, memo: Memo, stages: Stages) -> Catalog:
    """The catalog the packages are scanned into, with the site-level sources read; its
    registry carries ``--base-url`` and the upstreams' verified packages."""
    with stages.stage("load"):
        scan = scan_registry(options.source, options.limits, memo, options.pinned_root)
        curation = scan_curation(
            options.source, options.limits, scan.registry, scan.directories, memo
        )
    catalog = Catalog(options.source, options.limits, scan, memo, curation=curation)
    with stages.stage("advisories"):
        catalog.advisories = scan_advisories(options.source, scan.registry, scan.directories, memo)
    registry = scan.registry
    if registry is not None and options.base_url is not None:
        registry = dataclasses.replace(registry, base_url=options.base_url)
    if registry is not None and registry.upstreams:  # before the packages, which depend on them
        with stages.stage("upstreams"):
            found = scan_upstreams(
                options.source, registry, memo, options.upstreams, options.limits
            )
        catalog.upstreams, registry = found, with_upstreams(registry, found)
    catalog.scan = dataclasses.replace(scan, registry=registry)
    return catalog
