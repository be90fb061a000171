"""``regsite client vendor`` and ``regsite client lock --vendor DIR [--offline]``: portable
packages on the client (docs/portable.md), behind :func:`regsite.commands.client.client_vendor`
and :func:`regsite.commands.client.client_lock_vendored`.

``vendor`` copies a lockfile's closures (every manifest and shard its locked packages reach,
each checked against the hash that names it) and its artifacts into a directory.  ``lock`` with
``--vendor`` resolves from that directory first, starting from the closure manifests the
lockfile it updates (``-o``) pins; only a requirement no vendored closure reaches goes to the
registry, through the verifying client, and only the files the directory lacks are fetched.
``--offline`` never fetches: what is missing is an error that names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from regsite.client.download import DownloadResult, download_artifacts
from regsite.client.lockfile import Lock, lock_from_resolution, read_lock, write_lock
from regsite.client.offline import acceptable_versions, document_closure, resolve_from_shards
from regsite.client.portable import ClosureGraph, PortableError, PortableStore, closure_graph
from regsite.client.resolve import Requirement, parse_requirement
from regsite.commands.client_lock import LockOptions, LockWritten, client_lock
from regsite.commands.client_state import (
    ARTIFACT_FETCH,
    REGISTRY_FETCH,
    ClientState,
    client_state,
    open_registry,
)
from regsite.errors import RegistryError
from regsite.fetch import UrlFetcher

__all__ = [
    "VENDOR_ARTIFACTS",
    "VendorOptions",
    "Vendored",
    "VendoredLockOptions",
    "lock_vendored",
    "vendor_lockfile",
]

VENDOR_ARTIFACTS = "artifacts"  # the vendor directory's subdirectory for the locked artifacts


@dataclass(frozen=True, slots=True, kw_only=True)
class VendorOptions:
    lockfile: Path = Path("regsite.lock")
    dest: Path = Path("vendor")


@dataclass(frozen=True, slots=True)
class Vendored:
    dest: Path
    packages: int  # packages whose shards the directory holds: the locked packages' closures
    fetched: int  # manifests and shards fetched (the others were there, checked)
    artifacts: tuple[DownloadResult, ...]


def vendor_lockfile(options: VendorOptions) -> Vendored:
    """Fetch a lockfile's closures (manifests and shards) and artifacts into a directory."""
    lock = read_lock(options.lockfile)
    roots = {package.name: package.closure for package in lock.packages if package.closure}
    if not roots:
        raise PortableError(
            f"{options.lockfile}: no locked package names a closure manifest ('closure'): lock"
            " again with 'regsite client lock' against a registry that publishes them"
        )
    store = PortableStore(options.dest, lock.registry, UrlFetcher(config=REGISTRY_FETCH))
    graph = closure_graph(store, lock.scheme, roots)
    count = graph.read_all()
    fetcher = UrlFetcher(config=ARTIFACT_FETCH, same_origin_redirects=False)
    artifacts = download_artifacts(lock, options.dest / VENDOR_ARTIFACTS, fetcher)
    return Vendored(options.dest, count, store.fetched, tuple(artifacts))


@dataclass(frozen=True, slots=True, kw_only=True)
class VendoredLockOptions:
    lock: LockOptions
    vendor: Path | None = None  # resolve from the shards vendored here first
    offline: bool = False  # never use the network: resolve from ``vendor`` alone


def lock_vendored(options: VendoredLockOptions) -> LockWritten:
    """``client lock``: from a vendor directory first when given one, else from the registry."""
    if options.vendor is None and not options.offline:
        return client_lock(options.lock)
    if options.vendor is None:
        raise PortableError("--offline resolves from vendored shards: add --vendor DIR")
    if options.lock.format != "regsite":
        raise RegistryError("--vendor writes regsite's lockfile: leave out --format")
    if options.lock.ignore_amendments_on:  # shards hold what owners signed, no amendments
        raise RegistryError(
            "--ignore-amendments-on: --vendor resolves from the owners' shards, which carry no"
            " curators' amendments (docs/curation.md); leave out one or the other"
        )
    output = options.lock.output or Path("regsite.lock")
    lock = _lock_from_vendor(options.lock, output, options.vendor, options.offline)
    write_lock(output, lock)
    return LockWritten(lock, output, "regsite")


def _lock_from_vendor(options: LockOptions, output: Path, vendor: Path, offline: bool) -> Lock:
    previous = _previous(output, offline)
    state = client_state(options.state)
    url = previous.registry if previous is not None else None
    if previous is None:  # online, with nothing pinned yet: the registry says everything
        url, registry = open_registry(state, options.registry)
        scheme = registry.registry().version_scheme
    else:
        scheme = previous.scheme
    assert url is not None
    store = PortableStore(vendor, url, None if offline else state.fetcher(url))
    pinned = {p.name: p.closure for p in previous.packages if p.closure} if previous else {}
    graph = closure_graph(store, scheme, pinned)
    parsed = [parse_requirement(text, scheme) for text in options.requirements]
    _add_missing(graph, parsed, state, url, offline, output)
    resolved = resolve_from_shards(parsed, graph, scheme, previous)
    return lock_from_resolution(
        url,
        parsed,
        resolved,
        scheme,
        closures={name: graph.manifests[name] for name in resolved},
        acceptable=acceptable_versions(parsed, resolved, graph.package, scheme),
    )


def _previous(output: Path, offline: bool) -> Lock | None:
    """The lockfile being updated: its closure manifests are where an offline lock starts."""
    if output.exists():
        return read_lock(output)
    if offline:
        raise PortableError(
            f"{output}: no such lockfile; --offline starts from the closures a lockfile pins"
            " (the one 'regsite client vendor' read): name it with -o"
        )
    return None


def _add_missing(
    graph: ClosureGraph,
    requirements: list[Requirement],
    state: ClientState,
    url: str,
    offline: bool,
    output: Path,
) -> None:
    """Reach every requirement's package: from the registry's signed documents, for those no
    vendored closure reaches (the resolver reports a name the registry does not have)."""
    missing = sorted({r.name for r in requirements if r.name not in graph.shards})
    if not missing:
        return
    if offline:
        raise PortableError(
            f"{', '.join(missing)}: not in the closures {output} pins, and --offline forbids"
            " fetching them; lock without --offline to fetch only what is missing"
        )
    _, registry = open_registry(state, url)
    roots = []
    for name in missing:
        try:
            closure = document_closure(registry, name)
        except KeyError:
            continue
        if closure is None:
            raise PortableError(f"{url}: publishes no closure manifests; lock without --vendor")
        roots.append((name, closure))
    graph.add(roots)
