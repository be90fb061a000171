"""``regsite client lock``: resolve requirements against a trusted registry and its upstreams,
with the curators' amendments in force, and write the lock in the format asked for
(``--vendor DIR`` resolves from vendored shards first: commands/vendor.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from regsite.atomic_write import write_atomically
from regsite.client.export import LOCK_FORMATS, lock_content
from regsite.client.lockfile import Lock, LockfileError, lock_from_resolution
from regsite.client.offline import acceptable_versions, check_shards, document_closure
from regsite.client.portable import ClosureGraph, PortableStore, closure_graph
from regsite.client.registry import RemoteRegistry
from regsite.client.resolve import Amended, Requirement, parse_requirement, resolve
from regsite.client.view import RegistryView
from regsite.commands.client_state import ClientState, client_state, open_registry, registry_view
from regsite.effective import EffectiveRelease, release_effective
from regsite.errors import RegistryError
from regsite.model import Registry, Release
from regsite.names import normalize_name
from regsite.versions import VersionScheme

__all__ = ["LockOptions", "LockWritten", "client_lock", "lock_requirements", "resolve_lock"]


def lock_requirements(
    state: ClientState,
    url: str | None,
    requirements: Sequence[str],
    ignore_amendments_on: Collection[str] = (),
) -> Lock:
    """Resolve requirements against the verified registry and its upstreams into a lock,
    reading and matching versions in the registry's version scheme, with the curators' verified
    amendments in force but those on the packages in ``ignore_amendments_on``."""
    return resolve_lock(state, url, requirements, ignore_amendments_on)[0]


def resolve_lock(
    state: ClientState,
    url: str | None,
    requirements: Sequence[str],
    ignore_amendments_on: Collection[str] = (),
) -> tuple[Lock, dict[str, Release], Registry]:
    """The lock, the verified releases it holds and the verified registry.toml."""
    url, registry = open_registry(state, url)
    view = registry_view(state, url, registry)
    verified = registry.registry()
    scheme = verified.version_scheme
    parsed = [parse_requirement(text, scheme) for text in requirements]
    ignore = frozenset(normalize_name(name) for name in ignore_amendments_on)
    resolved = resolve(parsed, view.package, scheme, _amended(view, ignore), view.requires)
    sources = _upstream_sources(view, resolved)
    own = [name for name in resolved if name not in sources]
    graph = _own_closures(state, url, registry, scheme, parsed, own)
    lock = lock_from_resolution(
        url,
        parsed,
        resolved,
        scheme,
        sources,
        closures={name: graph.manifests[name] for name in own if name in graph.manifests},
        acceptable=acceptable_versions(parsed, resolved, view.package, scheme),
    )
    return lock, resolved, verified


def _amended(view: RegistryView, ignore: frozenset[str]) -> Amended[Release]:
    """What the curators' verified amendments make of a release, but those on ``ignore``."""

    def amended(name: str, release: Release) -> EffectiveRelease | None:
        amendments = view.amendments(name)  # those of the registry the package comes from
        if amendments is None:
            return None
        return release_effective(release, amendments.amendments, ignore=ignore)

    return amended


def _upstream_sources(
    view: RegistryView, resolved: dict[str, Release]
) -> dict[str, tuple[str, str]]:
    """Each resolved package an upstream serves: the upstream's name and URL."""
    return {
        name: (upstream, view.upstreams[upstream].upstream.url)
        for name in resolved
        if (upstream := view.registry_of(name)) is not None
    }


def _own_closures(
    state: ClientState,
    url: str,
    registry: RemoteRegistry,
    scheme: VersionScheme,
    parsed: list[Requirement],
    own: list[str],
) -> ClosureGraph:
    """Portable packages (docs/portable.md): the closures of this registry's packages ``own``,
    each shard checked against the owner-signed package.toml. The lock names each one's closure
    manifest and the versions its requirements admitted; an upstream's packages are locked
    without them."""
    roots = {r.name: document_closure(registry, r.name) for r in parsed if r.name in own}
    graph = closure_graph(
        PortableStore(None, url, state.fetcher(url)),
        scheme,
        {name: sha256 for name, sha256 in roots.items() if sha256 is not None},
    )
    check_shards(graph, own, registry.package)
    return graph


@dataclass(frozen=True, slots=True, kw_only=True)
class LockOptions:
    requirements: tuple[str, ...]  # e.g. 'http-kit>=2'
    output: Path | None = None  # None: the format's own name (LOCK_FORMATS)
    format: str = "regsite"  # regsite (for client download), requirements (pip) or pylock
    registry: str | None = None
    state: Path | None = None
    ignore_amendments_on: tuple[str, ...] = ()  # packages whose curators' amendments are ignored


@dataclass(frozen=True, slots=True)
class LockWritten:
    lock: Lock
    path: Path
    format: str


def client_lock(options: LockOptions) -> LockWritten:
    """Resolve the requirements against the verified registry; write the lock in the format
    asked for: regsite's lockfile, pip's hash-checking requirements or PEP 751's pylock.toml."""
    if options.format not in LOCK_FORMATS:
        raise RegistryError(
            f"--format {options.format!r}: expected one of {', '.join(LOCK_FORMATS)}"
        )
    lock, releases, registry = resolve_lock(
        client_state(options.state),
        options.registry,
        options.requirements,
        options.ignore_amendments_on,
    )
    content = lock_content(options.format, lock, releases, registry)
    path = options.output or Path(LOCK_FORMATS[options.format])
    try:
        write_atomically(path, content)
    except OSError as error:
        raise LockfileError(
            f"cannot write the lockfile {path}: {error.strerror or error}; choose another path"
            " with -o"
        ) from error
    return LockWritten(lock, path, options.format)
