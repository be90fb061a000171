"""Closure manifests (docs/portable.md): for each package, a small signed file that pins every
package its releases can reach, so that a closure can be fetched, vendored and resolved offline.

``api/v1/closures/<name>/<sha256>.json`` names the package's shard by its sha256 and, for each
package some release requires, that package's closure manifest by its sha256 and the versions
that satisfy some requirement.  Following those hashes from one manifest reaches every package
state in the closure, each pinned by a hash the first manifest transitively covers: a Merkle
graph whose root the package's JSON document names (``closure``), so the signed targets cover it
through that document.  Manifests, like shards, are named by their hash and never change, so
they need no content-addressed copy (docs/decisions.md, 25).  A dependency cycle is one
manifest, written under each of its packages' names.

Each manifest is kept in the memo under its declared inputs: its packages' shard hashes and the
hashes of the manifests it names, which pin, in turn, every shard of the closure.  Manifests are
rendered dependencies first, so a change to one package renders again its manifest and those of
the packages that reach it, and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from regsite.memo import Memo
from regsite.release_graph import ReleaseGraph, components, version_ranges
from regsite.render import Output

__all__ = [
    "CLOSURES_DIR",
    "ClosureManifests",
    "closure_document",
    "closure_manifests",
    "closure_path",
]

CLOSURES_DIR = "api/v1/closures"
CLOSURE_API_VERSION = 1


@dataclass(frozen=True, slots=True)
class ClosureManifests:
    files: Output  # closures/<name>/<sha256>.json for every package
    hashes: dict[str, str]  # package -> sha256 of its closure manifest
    rendered: int  # manifests computed in this build (the others came from the memo)


def closure_path(name: str, sha256: str) -> str:
    """Where the closure manifest of ``name`` whose sha256 is ``sha256`` is published."""
    return f"{CLOSURES_DIR}/{name}/{sha256}.json"


def closure_document(shards: Mapping[str, str], requires: Mapping[str, tuple[str, str]]) -> bytes:
    """A manifest's bytes: ``shards`` maps each package of the cycle (usually one) to its
    shard's sha256; ``requires`` maps each other package a release requires to the sha256 of its
    closure manifest and the versions that satisfy some requirement, as index ranges into its
    shard's releases."""
    document = {
        "api_version": CLOSURE_API_VERSION,
        "packages": dict(sorted(shards.items())),
        "requires": {name: list(requires[name]) for name in sorted(requires)},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def closure_manifests(graph: ReleaseGraph, memo: Memo) -> ClosureManifests:
    """Every package's closure manifest, dependencies first, from the memo where it holds them."""
    summaries = graph.summaries
    hashes: dict[str, str] = {}
    files: Output = {}
    rendered = 0
    for members in components({name: s.targets for name, s in summaries.items()}):
        shards = {name: summaries[name].shard for name in members}
        targets = sorted({t for name in members for t in summaries[name].targets} - set(members))
        requires = [target for target in targets if target in summaries]
        key = memo.key(
            "closure",
            [
                graph.scheme.name,
                *(f"{name} {shard}" for name, shard in shards.items()),
                "requires",
                *(f"{target} {hashes[target]}" for target in requires),
            ],
        )
        content: bytes | None = memo.get("closure", key)
        if content is None:
            content = _render(graph, members, shards, {t: hashes[t] for t in requires})
            memo.put("closure", key, content)
            rendered += 1
        sha256 = hashlib.sha256(content).hexdigest()
        for name in members:
            hashes[name] = sha256
            files[closure_path(name, sha256)] = content
    return ClosureManifests(files=files, hashes=hashes, rendered=rendered)


def _render(
    graph: ReleaseGraph,
    members: Iterable[str],
    shards: Mapping[str, str],
    manifests: Mapping[str, str],
) -> bytes:
    """The manifest of one component: the versions of each required package that some release
    of a member accepts (as the resolver would choose them, on its own)."""
    accepted: dict[str, set[int]] = {name: set() for name in manifests}
    for name in members:
        for requirements in graph.node(name).requires:
            for target, specifier in requirements:
                if target in accepted:
                    accepted[target].update(graph.matches(target, frozenset([specifier])))
    requires = {
        target: (manifests[target], version_ranges(indexes)) for target, indexes in accepted.items()
    }
    return closure_document(shards, requires)
