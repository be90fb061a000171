"""What the validation stage checks of the upstreams (docs/upstreams.md): the names this
registry shares with them (dependency confusion, as PEP 708 means it), and what a requirement on
an upstream package reads (:class:`Upstreams`).  Nothing here fetches: the upstream stage
(:mod:`regsite.upstreams`) has read them already.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from regsite.errors import SourceProblem
from regsite.load import REGISTRY_FILE
from regsite.memo import digest_of
from regsite.model import Registry, Upstream

if TYPE_CHECKING:
    from regsite.upstream_fetch import UpstreamIndex

__all__ = ["UpstreamScan", "Upstreams", "confusion_problems", "upstream_key"]

_SHOWN = 20  # shared names listed per pair of registries; the rest are counted


@dataclass(frozen=True, slots=True)
class UpstreamScan:
    """The upstreams that could be read, by name, and every problem found on the way."""

    indexes: Mapping[str, UpstreamIndex] = field(default_factory=dict)
    problems: tuple[SourceProblem, ...] = ()
    roots: Mapping[str, bytes] = field(default_factory=dict)  # the pinned roots that verified


def upstream_key(upstream: Upstream, *more: str) -> str:
    """The key path of an upstream's table in registry.toml's problems."""
    return ".".join([f"upstream[name={upstream.name}]", *more])


# Names shared with the upstreams (dependency confusion) -------------------------------------------


def confusion_problems(
    registry: Registry, local: Collection[str], scan: UpstreamScan
) -> list[SourceProblem]:
    """A name this registry serves and an upstream has too, or two upstreams both have, must be
    declared: the upstream whose package is never used lists it in ``shadowed``."""
    problems = []
    ours = frozenset(local)
    declared = [u for u in registry.upstreams if u.name in scan.indexes]
    for position, upstream in enumerate(declared):
        names = scan.indexes[upstream.name].names - frozenset(upstream.shadowed)
        shared = sorted(names & ours)
        if shared:
            problems.append(_shared_with_us(upstream, shared))
        for other in declared[position + 1 :]:
            theirs = scan.indexes[other.name].names - frozenset(other.shadowed)
            if both := sorted(names & theirs):
                problems.append(_shared_by_two(upstream, other, both))
    return problems


def _shared_with_us(upstream: Upstream, names: list[str]) -> SourceProblem:
    return SourceProblem(
        REGISTRY_FILE,
        upstream_key(upstream, "shadowed"),
        f"{_listed(names)} {'is a package' if len(names) == 1 else 'are packages'} of this"
        f" registry and of upstream {upstream.name!r} (dependency confusion): declare which"
        " wins: list them in shadowed to keep this registry's, or remove this registry's and"
        " take the upstream's (packages)",
    )


def _shared_by_two(first: Upstream, second: Upstream, names: list[str]) -> SourceProblem:
    return SourceProblem(
        REGISTRY_FILE,
        upstream_key(second, "shadowed"),
        f"{_listed(names)}: packages of both upstreams {first.name!r} and {second.name!r}"
        " (dependency confusion): declare which wins: list them in the shadowed of the one"
        " whose package is never used",
    )


def _listed(names: list[str]) -> str:
    shown = ", ".join(repr(name) for name in names[:_SHOWN])
    more = len(names) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


# What a requirement check reads of the upstreams ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Upstreams:
    """Which upstream each taken name comes from and, once fetched, its versions."""

    declared: frozenset[str]  # the [[upstream]] names
    taken: Mapping[str, str]  # package name -> the upstream it is taken from
    versions: Mapping[str, tuple[str, ...]] | None  # taken name -> versions; None: not fetched
    identity: bytes  # a digest of the declarations, for the requirement checks' keys

    @classmethod
    def of(cls, registry: Registry | None, scan: UpstreamScan | None = None) -> Upstreams:
        """``scan=None`` (an edit, which fetches nothing) checks requirements by name only."""
        upstreams = registry.upstreams if registry is not None else ()
        taken = {name: u.name for u in upstreams for name in u.packages}
        versions = None if scan is None else dict(_versions(upstreams, scan))
        identity = digest_of(
            [f"{u.name} {u.url}" for u in upstreams]
            + [f"{n} {r}" for n, r in sorted(taken.items())]
        )
        return cls(frozenset(u.name for u in upstreams), taken, versions, identity)

    def versions_digest(self, name: str) -> bytes | str:
        """For a requirement check's key: the versions of ``name`` where it is taken from."""
        found = None if self.versions is None else self.versions.get(name)
        return "not fetched" if found is None else digest_of([self.taken[name], *found])


def _versions(
    upstreams: tuple[Upstream, ...], scan: UpstreamScan
) -> Iterator[tuple[str, tuple[str, ...]]]:
    for upstream in upstreams:
        index = scan.indexes.get(upstream.name)
        if index is not None:
            for name, package in index.packages.items():
                yield name, package.versions
