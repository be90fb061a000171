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

from regsite.advisories.model import Advisory
from regsite.model import Package, PackageAmendments, Registry
from regsite.render import Output
from regsite.render.api import package_api, package_document_path, with_dependents
from regsite.render.atom import package_feed, package_feed_path
from regsite.render.flavours import package_flavour_outputs
from regsite.render.html import USED_BY_SLOT, package_page_path, render_package_page, render_used_by
from regsite.render.shard import shard_document, shard_path
from regsite.theme import Theme

__all__ = ["fill_slots", "package_outputs"]

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
    outputs[package_feed_path(package.name)] = (package_feed(registry, package, advisories), False)
    for path, content in package_flavour_outputs(registry, package, amendments).items():
        outputs[path] = (content, False)  # from the package alone: final at once
    return outputs


def fill_slots(
    theme: Theme,
    name: str,
    staged: Mapping[str, bytes],
    dependents: Sequence[str],
    closure: str,
) -> Output:
    """The files of :func:`package_outputs` that had slots, with their slots filled;
    ``closure`` is the sha256 of the package's closure manifest (docs/portable.md)."""
    filled: Output = {}
    for path, content in staged.items():
        if path == package_document_path(name):
            filled[path] = with_dependents(content, dependents, closure)
        elif path == package_page_path(name):
            used_by = render_used_by(theme, name, dependents).encode("utf-8")
            filled[path] = content.replace(USED_BY_SLOT.encode("utf-8"), used_by)
        else:
            raise ValueError(f"{path}: not a file with slots of package {name}")
    return filled
