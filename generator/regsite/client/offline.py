"""Locking with portable packages (docs/portable.md): the closure manifests of what a resolution
chose, the versions its requirements admitted, and resolving from shards, the versions a
lockfile already accepted first."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from regsite.client.environment import LockEnvironment
from regsite.client.lockfile import Lock
from regsite.client.portable import ClosureGraph, PortableError, ShardPackage, ShardRelease
from regsite.client.registry import ClientError, RemoteRegistry
from regsite.client.resolve import (
    Candidates,
    Requirement,
    ResolutionError,
    Resolvable,
    resolve,
)
from regsite.model import Dependency, Package, ReleaseStatus
from regsite.names import normalize_name
from regsite.render.shard import shard_sha256
from regsite.versions import Version, VersionScheme

__all__ = [
    "acceptable_versions",
    "check_shards",
    "document_closure",
    "resolve_from_shards",
]


def document_closure(registry: RemoteRegistry, name: str) -> str | None:
    """The sha256 of ``name``'s closure manifest, as its TUF-verified document names it (None
    for a registry built before portable packages); KeyError for an unknown package."""
    document: Mapping[str, Any] = registry.document(name)
    closure = document.get("closure")
    if closure is None:
        return None
    if not isinstance(closure, str) or len(closure) != 64:
        raise ClientError(f"api/v1/packages/{name}.json: closure: expected a sha256")
    return closure


def check_shards(
    graph: ClosureGraph, names: Iterable[str], package: Callable[[str], Package]
) -> None:
    """Each chosen package's shard must be the one its owner-signed package.toml gives: the
    manifests come from the registry's build, the package.toml from its owners.  A shard that
    differs is read first, so that one an older (or newer) regsite wrote is named as such."""
    for name in names:
        expected = graph.shards.get(name)
        if expected is not None and expected != shard_sha256(package(name)):
            graph.package(name)  # a shard of another api_version: PortableError says which
            raise ClientError(
                f"api/v1/shards/{name}/{expected}.json: the closure manifests name a shard that"
                f" disagrees with {name}'s owner-signed package.toml: the registry's build or its"
                " online key is not to be trusted"
            )


def acceptable_versions(
    roots: Sequence[Requirement],
    resolved: Mapping[str, Resolvable],
    package: Callable[[str], Candidates[Any]],
    scheme: VersionScheme,
) -> dict[str, tuple[Version, ...]]:
    """For each chosen package, the versions that every requirement the resolution put on it
    (the user's and the chosen releases' that apply here) admits and that support this Python,
    newest first."""
    environment = LockEnvironment.here(scheme)
    asked = _extras_asked(roots, resolved, environment)
    wanted: dict[str, list[Requirement]] = {name: [] for name in resolved}
    for requirement in roots:
        wanted.setdefault(requirement.name, []).append(requirement)
    for name, release in resolved.items():
        for dependency in _applying(release, asked[name], environment):
            target = normalize_name(dependency.name)
            requirement = Requirement(name=target, specifier=dependency.specifier)
            wanted.setdefault(target, []).append(requirement)
    return {
        name: _admitted(package(name).releases, wanted[name], scheme, environment)
        for name in resolved
    }


def _applying(
    release: Resolvable, extras: Iterable[str], environment: LockEnvironment
) -> list[Dependency]:
    """The release's dependencies the resolver resolved: installed with it, and applying here."""
    return [
        d for d in release.requires if d.checked and d.installed and environment.applies(d, extras)
    ]


def _extras_asked(
    roots: Sequence[Requirement], resolved: Mapping[str, Resolvable], environment: LockEnvironment
) -> dict[str, set[str]]:
    """The extras asked of each chosen package, by the user or by a dependency that applies."""
    asked: dict[str, set[str]] = {name: set() for name in resolved}
    for requirement in roots:
        asked.setdefault(requirement.name, set()).update(requirement.extras)
    changed = True
    while changed:  # an extra asked for can make more dependencies apply, and ask for more
        changed = False
        for name, release in resolved.items():
            for dependency in _applying(release, asked[name], environment):
                more = asked.get(normalize_name(dependency.name))
                if more is not None and not more.issuperset(dependency.extras):
                    more.update(dependency.extras)
                    changed = True
    return asked


def _admitted(
    releases: Sequence[Resolvable],
    wanted: Sequence[Requirement],
    scheme: VersionScheme,
    environment: LockEnvironment,
) -> tuple[Version, ...]:
    specifiers = [requirement.specifier for requirement in wanted]
    usable = [
        release.version
        for release in releases
        if environment.supports(release.requires_python)
        and (
            release.status is not ReleaseStatus.YANKED
            or any(specifier.pins(release.version) for specifier in specifiers)
        )
    ]
    return tuple(scheme.select(specifiers, usable))


def resolve_from_shards(
    requirements: Sequence[Requirement],
    graph: ClosureGraph,
    scheme: VersionScheme,
    previous: Lock | None,
) -> dict[str, ShardRelease]:
    """Resolve from the graph's shards: within the versions ``previous`` accepted first (a
    package added to a lock moves the others only when it must), then over every version."""
    kept = {p.name: frozenset(p.acceptable) for p in (previous.packages if previous else ())}
    kept = {name: versions for name, versions in kept.items() if versions}
    if kept:
        try:
            return resolve(requirements, _Within(graph, kept), scheme, requires=_own)
        except ResolutionError:  # a tampered shard is a PortableError, and is not caught here
            pass  # the new requirements need a version the lock did not accept: widen
    return resolve(requirements, graph.package, scheme, requires=_own)


def _own(name: str, release: ShardRelease, requires: Sequence[Dependency]) -> Sequence[Dependency]:
    """The dependencies to resolve, which must be this registry's: closures hold no upstream's."""
    for dependency in requires:
        if dependency.upstream is not None:
            raise PortableError(
                f"{name} {release.version} requires {dependency.name} from upstream"
                f" {dependency.upstream!r}: a lock from vendored shards resolves this registry's"
                " packages only (closure manifests stop at its upstreams); lock without --vendor"
            )
    return requires


@dataclasses.dataclass(frozen=True, slots=True)
class _Within:
    """The graph's packages, each limited to the versions a lockfile accepted for it."""

    graph: ClosureGraph
    kept: Mapping[str, frozenset[Version]]

    def __call__(self, name: str) -> ShardPackage:
        package = self.graph.package(name)
        versions = self.kept.get(name)
        if versions is None:
            return package
        releases = tuple(release for release in package.releases if release.version in versions)
        return dataclasses.replace(package, releases=releases)
