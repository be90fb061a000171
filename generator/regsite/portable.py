"""Portable packages at publish (docs/portable.md): the closure manifests and the consistency
check, run after every package is rendered (each package's shard is one of its own outputs,
:mod:`regsite.render.shard`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from regsite.catalog import Catalog
from regsite.closures import closure_manifests
from regsite.consistency import ConsistencyReport, check_consistency
from regsite.model import Site
from regsite.outputs import Published, put_site_files
from regsite.release_graph import ReleaseGraph
from regsite.write import Writer

__all__ = ["PortableOutcome", "publish_portable"]

log = logging.getLogger(__name__)

_SHOWN = 20  # inconsistent releases named one by one in the warnings; `regsite -v` logs all


@dataclass(frozen=True, slots=True)
class PortableOutcome:
    manifests_rendered: int  # closure manifests computed in this build (the rest from the memo)
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
                f" bounds (docs/portable.md): {named}; the next build checks them again"
            )
        return tuple(said)


def publish_portable(
    site: Site, catalog: Catalog, writer: Writer, published: Published, jobs: int
) -> PortableOutcome:
    """Write every package's closure manifest, and check every release for a consistent set."""
    scheme = site.registry.version_scheme
    graph = ReleaseGraph(scheme, site.packages, catalog.details)
    manifests = closure_manifests(graph, catalog.memo)
    put_site_files(writer, published, manifests.files, "closures")
    consistency = check_consistency(graph, manifests.hashes, catalog.memo, jobs)
    for item in consistency.inconsistent:
        log.info("%s %s admits no consistent set: %s", item.package, item.version, item.reason)
    return PortableOutcome(manifests.rendered, consistency)
