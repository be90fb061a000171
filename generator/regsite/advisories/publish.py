"""Advisories as the site publishes them, in OSV's layout for its tools.

``api/v1/advisories/<ID>.json`` is the OSV document byte for byte as signed (with
``<ID>.json.sig`` beside it), as osv.dev's bucket serves ``<ECOSYSTEM>/<ID>.json``;
``all.zip`` holds every document, as its ``<ECOSYSTEM>/all.zip`` does (the file osv-scanner's
offline mode reads); ``index.json`` lists them for regsite's clients.  The zip is stored, not
compressed, with fixed times, so the same advisories give the same bytes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from regsite.advisories.model import Advisory
from regsite.advisories.read import ecosystem_of
from regsite.model import Registry
from regsite.render import Output
from regsite.render.api import API_ROOT, API_VERSION, dump_json, timestamp

__all__ = ["ADVISORIES_ROOT", "advisory_files"]

ADVISORIES_ROOT = f"{API_ROOT}/advisories"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def advisory_files(registry: Registry, advisories: Sequence[Advisory]) -> Output:
    """Every advisory's document and signature, the index and all.zip (both published even
    when empty, so that a client tells "no advisories" from a file it could not fetch)."""
    output: Output = {}
    for advisory in advisories:
        output[f"{ADVISORIES_ROOT}/{advisory.id}.json"] = advisory.content
        if advisory.signature_content is not None:
            output[f"{ADVISORIES_ROOT}/{advisory.id}.json.sig"] = advisory.signature_content
    output[f"{ADVISORIES_ROOT}/index.json"] = dump_json(_index(registry, advisories))
    output[f"{ADVISORIES_ROOT}/all.zip"] = _zip(advisories)
    return output


def _index(registry: Registry, advisories: Sequence[Advisory]) -> dict[str, Any]:
    return {
        "api_version": API_VERSION,
        "ecosystem": ecosystem_of(registry),
        "all": "all.zip",
        "advisories": [
            {
                "id": advisory.id,
                "summary": advisory.summary,
                "aliases": list(advisory.aliases),
                "modified": timestamp(advisory.modified),
                "withdrawn": advisory.withdrawn and timestamp(advisory.withdrawn),
                "packages": list(advisory.packages),
                "url": f"{advisory.id}.json",
                "signature_url": f"{advisory.id}.json.sig",
            }
            for advisory in advisories
        ],
    }


def _zip(advisories: Sequence[Advisory]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for advisory in advisories:
            entry = zipfile.ZipInfo(f"{advisory.id}.json", date_time=_ZIP_TIME)
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, advisory.content)
    return buffer.getvalue()
