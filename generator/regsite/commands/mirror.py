"""``regsite mirror``: write a verified mirror of a registry's site (docs/upstreams.md)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regsite.client.mirror import MIRROR_JOBS, Mirrored, mirror_site
from regsite.client.trust import trust_on_first_use
from regsite.commands.client_state import (
    REGISTRY_FETCH,
    read_root_file,
    registry_url,
    root_fingerprints,
)
from regsite.fetch import UrlFetcher
from regsite.metadata.layout import METADATA_DIR
from regsite.metadata.root import read_trusted_root

__all__ = ["MirrorOptions", "MirrorResult", "mirror_registry"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MirrorOptions:
    url: str  # the registry's site: URL or directory
    output: Path  # the mirror's directory: new, or written by an earlier run
    root: Path | None = None  # the root to pin; None: the mirror's own, else trust on first use
    jobs: int = MIRROR_JOBS  # targets fetched at once


@dataclass(frozen=True, slots=True)
class MirrorResult:
    mirrored: Mirrored
    first_use: bool  # no root given or held: the registry's 1.root.json was taken on trust
    fingerprints: tuple[str, ...]  # the pinned root's keys, to compare when first_use


def mirror_registry(options: MirrorOptions) -> MirrorResult:
    """Mirror a registry, verified from the root given, the mirror's first root, or (first
    use) the registry's own first root."""
    url = registry_url(options.url)
    fetcher = UrlFetcher(config=REGISTRY_FETCH)
    held = options.output / METADATA_DIR / "1.root.json"
    first_use = False
    if options.root is not None:
        pinned, name = read_root_file(options.root), str(options.root)
    elif held.is_file():
        pinned, name = read_root_file(held), f"{held} (the mirror's first root)"
    else:
        pinned, _ = trust_on_first_use(url, fetcher)
        name, first_use = f"{url}{METADATA_DIR}/1.root.json", True
    mirrored = mirror_site(
        url, options.output, pinned, fetcher, pinned_name=name, jobs=options.jobs
    )
    fingerprints = tuple(root_fingerprints(read_trusted_root(pinned, name)))
    return MirrorResult(mirrored, first_use, fingerprints)
