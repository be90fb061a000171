"""Everything one package publishes, rendered from the package alone, with open slots for what
only the whole registry knows: the packages that depend on it (docs/decisions.md, 24) and the
package's closure manifest (docs/portable.md).

:func:`package_outputs` runs as soon as a package is read; :func:`fill_slots` once every package
has been, so that each package's files are rendered once per build and a new dependent costs a
fill, not a render.  Both are pure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from regsite.advisories.model import Advisory
from regsite.assemble import Site
from regsite.model import Package, PackageAmendments, Registry
from regsite.render import Output
from regsite.render.api import package_api, package_document_path, with_dependents
from regsite.render.atom import package_feed, package_feed_path
from regsite.render.badge import badge_path, render_badge
from regsite.render.flavours import package_flavour_outputs
from regsite.render.html import (
    TRANSITIVE_SLOT,
    USED_BY_SLOT,
    package_page_path,
    render_package_page,
    render_release_pages,
    render_transitive,
    render_used_by,
)
from regsite.render.shard import shard_document, shard_path
from regsite.theme import Theme
from regsite.versions import VersionScheme

__all__ = ["UsedBy", "fill_slots", "package_outputs", "used_by_of"]


class UsedBy(NamedTuple):
    """What the rest of the registry says about a package: what its pages' slots show."""

    dependents: tuple[tuple[str, str | None], ...] = ()  # name, range its latest release uses
    direct: int = 0  # packages of this registry the package's latest release installs
    transitive: int = 0  # ... and with theirs, each counted once

    def parts(self) -> list[str]:
        """As the render key lists them."""
        ranges = [part for name, used in self.dependents for part in (name, str(used))]
        return [*ranges, "direct", str(self.direct), "transitive", str(self.transitive)]


def used_by_of(site: Site, name: str) -> UsedBy:
    """``name``'s dependents and the ranges their latest releases use, and its counts."""
    dependents = tuple(
        (other, dict(site.packages[other].uses).get(name))
        for other in site.dependents.get(name, ())
    )
    direct = len(site.packages[name].uses)
    return UsedBy(dependents, direct, site.transitive.get(name, 0))


# Each output path, and whether it has slots to fill: True for the package's JSON document and
# page, False for files that are final (the signed sources, republished byte for byte, and the
# enabled flavours' files: simple/<name>/, cargo's index file; the package's version-index shard).
Outputs = dict[str, tuple[bytes, bool]]


def package_outputs(
    registry: Registry,
    theme: Theme,
    package: Package,
    readme_html: str | None = None,
    amendments: PackageAmendments | None = None,
    advisories: Sequence[Advisory] = (),
) -> Outputs:
    """``readme_html``: the README as the build rendered it (within its time budget), if so;
    ``amendments``: the curators' amendments to the package, if it has any; ``advisories``:
    those naming the package (a declared input of its scan and render keys)."""
    api = package_api(registry, package, amendments, advisories)
    document = package_document_path(package.name)
    outputs = {path: (content, path == document) for path, content in api.items()}
    shard = shard_document(package)
    outputs[shard_path(package.name, hashlib.sha256(shard).hexdigest())] = (shard, False)
    page = render_package_page(registry, theme, package, readme_html, amendments, advisories)
    outputs[package_page_path(package.name)] = (page, True)
    releases = render_release_pages(registry, theme, package, amendments, advisories)
    for path, content in releases.items():
        outputs[path] = (content, True)
    outputs[badge_path(package.name)] = (render_badge(registry.name, package), False)
    outputs[package_feed_path(package.name)] = (package_feed(registry, package, advisories), False)
    for path, content in package_flavour_outputs(registry, package, amendments).items():
        outputs[path] = (content, False)  # from the package alone: final at once
    return outputs


def fill_slots(
    theme: Theme,
    scheme: VersionScheme,
    name: str,
    staged: Mapping[str, bytes],
    used_by: UsedBy,
    closure: str,
) -> Output:
    """The files of :func:`package_outputs` that had slots, with their slots filled: a release's
    page lists the dependents whose range admits it (in ``scheme``); ``closure`` is the sha256
    of the package's closure manifest (docs/portable.md)."""
    filled: Output = {}
    for path, content in staged.items():
        if path == package_document_path(name):
            names = [other for other, _ in used_by.dependents]
            filled[path] = with_dependents(content, names, closure)
        elif path == package_page_path(name):
            counts = render_transitive(used_by.direct, used_by.transitive)
            page = _filled(content, TRANSITIVE_SLOT, counts)
            filled[path] = _filled(
                page, USED_BY_SLOT, render_used_by(theme, path, used_by.dependents)
            )
        elif path.startswith(f"packages/{name}/") and path.endswith("/index.html"):
            version = scheme.parse_version(path.split("/")[2])
            users = tuple(
                (other, used)
                for other, used in used_by.dependents
                if used is not None and scheme.parse_specifier(used or "*").admits(version)
            )
            filled[path] = _filled(content, USED_BY_SLOT, render_used_by(theme, path, users))
        else:
            raise ValueError(f"{path}: not a file with slots of package {name}")
    return filled


def _filled(content: bytes, slot: str, text: str) -> bytes:
    return content.replace(slot.encode("utf-8"), text.encode("utf-8"))
