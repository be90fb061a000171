"""A registry and the upstreams it declares, seen by the client as one set of names
(docs/upstreams.md).

Trusting a registry trusts its ``[[upstream]]`` registries with the roots its registry.toml pins:
each pinned root is a file the registry publishes (``api/v1/sources/upstream/NAME/N.root.json``,
a TUF target) whose sha256 registry.toml records, signed by the registry's root keys.  From that
root on, an upstream is verified as any registry is (:class:`RemoteRegistry` over its own
:class:`~regsite.client.trust.Updater`).

A name means one package in a resolution.  Where it comes from depends on who asks:

- the user, or a release of this registry without ``upstream``: this registry's package; a name
  this registry does not have is looked for in the upstreams (the one that takes it first);
- a release of this registry with ``upstream = "UP"``: upstream UP's, which registry.toml must
  take from it (``packages``);
- a release of upstream UP: UP's own package of that name, unless UP's ``shadowed`` lists it,
  when it is the one this registry supplies (its own, or another upstream's).

Two answers for one name in one resolution (say, UP's package depends on ``foo`` and this
registry has its own ``foo`` that registry.toml does not declare) is dependency confusion: the
resolution stops and says so.  An upstream's own upstreams are not followed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from regsite.client.registry import ClientError, RemoteRegistry
from regsite.client.resolve import ResolutionError
from regsite.client.trust import Updater
from regsite.model import Dependency, Package, PackageAmendments, Release, Upstream

__all__ = ["PinUpstream", "RegistryView", "TrustedUpstream", "pinned_root"]

PinUpstream = Callable[[str, bytes, str], Updater]  # (URL, root bytes, whose pin) -> refreshed
_HERE = "this registry"


def pinned_root(main: RemoteRegistry, upstream: Upstream) -> bytes:
    """The root ``main`` pins for ``upstream``: fetched from ``main`` (TUF-verified) and equal
    to the sha256 its registry.toml records."""
    path = f"api/v1/sources/{upstream.root_file}"
    data = main.source.fetch_target(path)
    actual = hashlib.sha256(data).hexdigest()
    if actual != upstream.root_sha256:
        raise ClientError(
            f"{path}: sha256 {actual}, but registry.toml pins {upstream.root_sha256} for upstream"
            f" {upstream.name!r}: the registry's build is broken or not to be trusted"
        )
    return data


@dataclass(frozen=True, slots=True)
class TrustedUpstream:
    upstream: Upstream  # as the registry declares it
    remote: RemoteRegistry  # verified from the pinned root
    root_version: int  # the newest root trusted, after following its rotations


@dataclass(slots=True)
class RegistryView:
    """The registry at ``url`` and its upstreams, by name; what a resolution chose, by name."""

    main: RemoteRegistry
    upstreams: Mapping[str, TrustedUpstream]
    chosen: dict[str, str | None] = field(default_factory=dict)  # name -> upstream; None: here

    @classmethod
    def open(cls, main: RemoteRegistry, pin: PinUpstream) -> RegistryView:
        """Pin and refresh every upstream ``main`` declares; each must use its version scheme."""
        registry = main.registry()
        upstreams = {}
        for upstream in registry.upstreams:
            whose = f"{upstream.root_file} (pinned by the registry's registry.toml)"
            updater = pin(upstream.url, pinned_root(main, upstream), whose)
            remote = RemoteRegistry(updater)
            scheme = remote.registry().version_scheme
            if scheme is not registry.version_scheme:
                raise ClientError(
                    f"upstream {upstream.name!r} at {upstream.url} writes versions in"
                    f" {scheme.name!r}, the registry in {registry.version_scheme.name!r}"
                )
            upstreams[upstream.name] = TrustedUpstream(upstream, remote, updater.root.version)
        return cls(main, upstreams)

    def package(self, name: str) -> Package:
        """The package the resolution means by ``name``; KeyError when no registry has it."""
        if name not in self.chosen:
            self.chosen[name] = self._default(name, exclude=None)
        return self._remote(self.chosen[name]).package(name)

    def amendments(self, name: str) -> PackageAmendments | None:
        """The curators' amendments to the package chosen for ``name``, verified: those of the
        registry it comes from (each registry's curators amend only its own packages)."""
        return self._remote(self.chosen.get(name)).amendments(name)

    def registry_of(self, name: str) -> str | None:
        """Where the package chosen for ``name`` comes from: an upstream's name, or None."""
        return self.chosen.get(name)

    def requires(
        self, name: str, release: Release, dependencies: Sequence[Dependency]
    ) -> Sequence[Dependency]:
        """The ``dependencies`` of ``name``'s ``release`` to resolve, each bound to where it
        comes from."""
        parent = self.chosen.get(name)
        for dependency in dependencies:
            source = self._source(parent, dependency, f"{name} {release.version}")
            self._choose(dependency.name, source, f"{name} {release.version}")
        return dependencies

    def _source(self, parent: str | None, dependency: Dependency, asker: str) -> str | None:
        name, upstream = dependency.name, dependency.upstream
        if parent is None:
            if upstream is not None and name not in self._taken(upstream):
                raise ResolutionError(
                    f"{asker} requires {name!r} from {upstream!r}, which the registry does"
                    " not take from it (registry.toml, [[upstream]] packages)"
                )
            return upstream
        if upstream is not None:
            raise ResolutionError(
                f"{asker} (from upstream {parent!r}) requires {name!r} from {parent!r}'s own"
                f" upstream {upstream!r}: an upstream's upstreams are not followed"
            )
        if name not in self.upstreams[parent].upstream.shadowed:
            return parent
        try:
            return self._default(name, exclude=parent)  # this registry supplies it
        except KeyError:
            return None  # nobody does: the resolution says there is no such package

    def _choose(self, name: str, source: str | None, asker: str) -> None:
        earlier = self.chosen.setdefault(name, source)
        if earlier != source:
            raise ResolutionError(
                f"{name!r} would be {_where(earlier)}'s package for one release and"
                f" {_where(source)}'s for {asker}: dependency confusion; registry.toml must say"
                f" which wins (shadowed = [{name!r}] in the [[upstream]] whose package loses)"
            )

    def _default(self, name: str, exclude: str | None) -> str | None:
        """This registry's package; else the upstream that takes it; else the one that has it."""
        if name in self.main.registry().delegations:
            return None
        others = [u for u in self.upstreams.values() if u.upstream.name != exclude]
        for trusted in others:
            if name in trusted.upstream.packages:
                return trusted.upstream.name
        for trusted in others:
            shadowed = name in trusted.upstream.shadowed
            if not shadowed and name in trusted.remote.registry().delegations:
                return trusted.upstream.name
        raise KeyError(name)

    def _taken(self, registry: str) -> tuple[str, ...]:
        trusted = self.upstreams.get(registry)
        return () if trusted is None else trusted.upstream.packages

    def _remote(self, registry: str | None) -> RemoteRegistry:
        return self.main if registry is None else self.upstreams[registry].remote


def _where(registry: str | None) -> str:
    return _HERE if registry is None else f"upstream {registry!r}"
