"""Portable packages at publish (docs/portable.md): the closure manifests, computed before the
packages are rendered (each package's document names its manifest, so the manifest's hash is a
declared input of the package's render key), and the consistency check, run after (each
package's shard is one of its own outputs, :mod:`regsite.render.shard`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from regsite.assemble import Site
from regsite.catalog import Catalog
from regsite.closures import ClosureManifests, closure_manifests, closure_path
from regsite.consistency import ConsistencyReport, check_consistency, check_seconds
from regsite.outputs import Published, put_site_files, site_producer
from regsite.release_graph import ReleaseGraph
from regsite.write import Writer

__all__ = ["PortableOutcome", "check_releases", "publish_closures"]

log = logging.getLogger(__name__)

_SHOWN = 20  # inconsistent releases named one by one in the warnings; `regsite -v` logs all


@dataclass(frozen=True, slots=True)
class PortableOutcome:
    manifests_rendered: int  # closure manifests computed in this build (the rest from the memo)
    closures_changed: int  # packages whose closure manifest is not the one the output held
    consistency: ConsistencyReport

    def warnings(self, site: Site) -> tuple[str, ...]:
        """What the build says about releases no resolver can install, and what it left."""
        found = self.consistency.inconsistent
        said = [
            f"{site.packages[item.package].source_path}: release[version={item.version}]: its"
            f" requirements admit no consistent set of releases ({item.reason}); yank it, or"
            " release a version whose requirements can hold together"
            for item in found[:_SHOWN]
        ]
        if len(found) > _SHOWN:
            said.append(
                f"{len(found) - _SHOWN} more releases admit no consistent set of releases"
                f" ({len(found)} in all); 'regsite -v build' lists every one"
            )
        if left := self.consistency.undecided:
            named = ", ".join(f"{name} {version}" for name, version in left[:_SHOWN])
            said.append(
                f"{len(left)} releases were not checked for a consistent set within the check's"
                f" bounds (a tenth of the build's time, docs/portable.md): {named}; a build"
                " with --cache keeps what it checked, and the next one with that cache checks"
                " the rest"
            )
        return tuple(said)


def _graph(site: Site, catalog: Catalog) -> ReleaseGraph:
    return ReleaseGraph(site.registry.version_scheme, site.packages, catalog.details)


def publish_closures(
    site: Site, catalog: Catalog, writer: Writer, published: Published
) -> tuple[ClosureManifests, int]:
    """Write every package's closure manifest (from the memo where its inputs are unchanged);
    also return how many packages' manifests the output did not hold (every one, when the
    output is not the one the memo describes)."""
    manifests = closure_manifests(_graph(site, catalog), catalog.memo)
    held = published.held(site_producer("closures"))
    changed = sum(closure_path(n, sha) not in held for n, sha in manifests.hashes.items())
    put_site_files(writer, published, manifests.files, site_producer("closures"))
    return manifests, changed


def check_releases(
    site: Site,
    catalog: Catalog,
    manifests: ClosureManifests,
    changed: int,
    jobs: int,
    elapsed: float,
) -> PortableOutcome:
    """Check every release for a consistent set (from the memo where its closure is unchanged),
    within a share of the ``elapsed`` seconds the build took before the check."""
    graph = _graph(site, catalog)
    seconds = check_seconds(elapsed)
    consistency = check_consistency(graph, manifests.hashes, catalog.memo, jobs, seconds)
    for item in consistency.inconsistent:
        log.info("%s %s admits no consistent set: %s", item.package, item.version, item.reason)
    return PortableOutcome(manifests.rendered, changed, consistency)
