"""The registry's dependency graph, for the stages that follow requirements across packages:
the closure manifests (:mod:`regsite.closures`) and the consistency check
(:mod:`regsite.consistency`).

Packages are ordered by :func:`components`: strongly connected components (a dependency cycle is
one component), dependencies before their dependents, from the summaries alone.  A package's
releases and requirements are read back from the memo when a stage first asks for them
(:meth:`ReleaseGraph.node`) and kept in a bounded cache, so the build never holds every
package's requirements at once (docs/decisions.md, 24).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from regsite.summary import PackageDetails, PackageSummary
from regsite.versions import Specifier, Version, VersionScheme

__all__ = [
    "PackageNode",
    "ReleaseGraph",
    "components",
    "dead_releases",
    "reachable",
    "version_ranges",
]

_NODES_KEPT = 16_384  # packages whose releases stay read; the popular ones are asked most
_MATCHES_KEPT = 200_000  # (package, specifiers) whose matching versions stay known


@dataclass(frozen=True, slots=True)
class PackageNode:
    """One package as a resolver sees it, releases in the shard's order (newest version first)."""

    name: str
    versions: tuple[str, ...]
    yanked: frozenset[int]  # indexes into versions
    requires: tuple[tuple[tuple[str, str], ...], ...]  # per release: (dependency, specifier)


@dataclass(slots=True)
class ReleaseGraph:
    """Every package of the site, its releases read on demand through ``details``."""

    scheme: VersionScheme
    summaries: Mapping[str, PackageSummary]
    details: Callable[[PackageSummary], PackageDetails]
    _nodes: OrderedDict[str, PackageNode] = field(default_factory=OrderedDict)
    _matches: dict[tuple[str, frozenset[str], int | None], tuple[int, ...]] = field(
        default_factory=dict
    )

    def node(self, name: str) -> PackageNode:
        found = self._nodes.get(name)
        if found is not None:
            self._nodes.move_to_end(name)
            return found
        summary = self.summaries[name]
        by_release: dict[str, list[tuple[str, str]]] = {version: [] for version in summary.versions}
        for requirement in self.details(summary).requirements:
            if not requirement.upstream:  # an upstream's packages are checked by its own stage
                by_release[requirement.release].append((requirement.name, requirement.specifier))
        yanked = set(summary.yanked)
        found = PackageNode(
            name=name,
            versions=summary.versions,
            yanked=frozenset(i for i, v in enumerate(summary.versions) if v in yanked),
            requires=tuple(tuple(by_release[version]) for version in summary.versions),
        )
        self._nodes[name] = found
        if len(self._nodes) > _NODES_KEPT:
            self._nodes.popitem(last=False)
        return found

    def versions(self, name: str) -> tuple[Version, ...]:
        """The package's versions, parsed, in its shard's order."""
        return _parsed_versions(self.scheme, self.summaries[name].versions)

    def specifier(self, text: str) -> Specifier:
        return _parsed_specifier(self.scheme, text)

    def matches(
        self, name: str, specifiers: frozenset[str], only: int | None = None
    ) -> tuple[int, ...]:
        """The indexes of ``name``'s versions a resolver may choose under all ``specifiers``, in
        its order of preference (client/resolve.py ``find_matches``: the scheme's rule for
        pre-releases, and a yanked release only when a specifier pins exactly that version);
        with ``only``, that version alone is considered."""
        key = (name, specifiers, only)
        found = self._matches.get(key)
        if found is None:
            if len(self._matches) >= _MATCHES_KEPT:
                self._matches.clear()  # cheap to compute again; keeps a hostile graph bounded
            found = self._matches[key] = self._select(name, specifiers, only)
        return found

    def _select(self, name: str, specifiers: frozenset[str], only: int | None) -> tuple[int, ...]:
        summary = self.summaries[name]
        yanked = set(summary.yanked)
        parsed = [self.specifier(text) for text in sorted(specifiers)]
        allowed = {
            version: index
            for index, version in enumerate(self.versions(name))
            if (only is None or index == only)
            and (summary.versions[index] not in yanked or any(s.pins(version) for s in parsed))
        }
        return tuple(allowed[version] for version in self.scheme.select(parsed, allowed))


@lru_cache(maxsize=65536)
def _parsed_specifier(scheme: VersionScheme, text: str) -> Specifier:
    return scheme.parse_specifier(text)


@lru_cache(maxsize=8192)  # the most required packages, parsed once
def _parsed_versions(scheme: VersionScheme, texts: tuple[str, ...]) -> tuple[Version, ...]:
    return tuple(scheme.parse_version(text) for text in texts)


def components(targets: Mapping[str, Sequence[str]]) -> list[tuple[str, ...]]:
    """The strongly connected components of the graph ``name -> names it requires`` (Tarjan's
    algorithm, without recursion), each sorted, dependencies before their dependents.  Names that
    are not keys of ``targets`` are left out."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[tuple[str, ...]] = []
    for start in sorted(targets):
        if start not in index:
            _strongconnect(start, targets, index, low, stack, on_stack, found)
    return found


def _strongconnect(
    start: str,
    targets: Mapping[str, Sequence[str]],
    index: dict[str, int],
    low: dict[str, int],
    stack: list[str],
    on_stack: set[str],
    found: list[tuple[str, ...]],
) -> None:
    work: list[tuple[str, Iterator[str]]] = [(start, _edges(start, targets))]
    _visit(start, index, low, stack, on_stack)
    while work:
        name, edges = work[-1]
        for target in edges:
            if target not in index:
                _visit(target, index, low, stack, on_stack)
                work.append((target, _edges(target, targets)))
                break
            if target in on_stack:
                low[name] = min(low[name], index[target])
        else:
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[name])
            if low[name] == index[name]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == name:
                        break
                found.append(tuple(sorted(members)))


def _visit(
    name: str, index: dict[str, int], low: dict[str, int], stack: list[str], on_stack: set[str]
) -> None:
    index[name] = low[name] = len(index)
    stack.append(name)
    on_stack.add(name)


def _edges(name: str, targets: Mapping[str, Sequence[str]]) -> Iterator[str]:
    return iter([target for target in targets[name] if target in targets])


def version_ranges(indexes: Iterable[int]) -> str:
    """Indexes as ranges: ``{0, 1, 2, 5}`` is ``"0-2,5"``; none is ``""``."""
    ordered = sorted(set(indexes))
    parts = []
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and ordered[end + 1] == ordered[end] + 1:
            end += 1
        first, last = ordered[start], ordered[end]
        parts.append(str(first) if first == last else f"{first}-{last}")
        start = end + 1
    return ",".join(parts)


def dead_releases(
    graph: ReleaseGraph, order: Sequence[tuple[str, ...]], reach: set[str]
) -> dict[str, dict[int, str]]:
    """The releases of ``names``' closures that no consistent set can hold, with why: those
    with a requirement that admits no release but dead ones (the least fixpoint, computed over
    ``order``'s components, dependencies first).  Each is inconsistent: a consistent set holding
    it would hold a release of that requirement, consistent in turn.  ``reach``: the packages
    to compute, closed under requirements (:func:`reachable`)."""
    dead: dict[str, dict[int, str]] = {}
    for group in order:
        if group[0] not in reach:
            continue
        dead.update({name: {} for name in group})
        changed = True
        while changed:  # more than one pass only around a dependency cycle
            changed = False
            for name in group:
                for index, requires in enumerate(graph.node(name).requires):
                    if index not in dead[name] and (why := _dead_reason(graph, dead, requires)):
                        dead[name][index] = why
                        changed = True
    return dead


def reachable(graph: ReleaseGraph, names: Iterable[str]) -> set[str]:
    """``names`` and every package their releases require, directly or not."""
    found = set(names)
    stack = list(found)
    while stack:
        for target in graph.summaries[stack.pop()].targets:
            if target in graph.summaries and target not in found:
                found.add(target)
                stack.append(target)
    return found


def _dead_reason(
    graph: ReleaseGraph, dead: Mapping[str, Mapping[int, str]], requires: Iterable[tuple[str, str]]
) -> str:
    for target, text in requires:
        if target not in graph.summaries:
            continue  # an unknown package is validation's to report
        gone = dead.get(target, {})
        matches = graph.matches(target, frozenset([text]))
        if all(index in gone for index in matches):
            if not matches:
                return f"{target}{text}: no release of {target} a resolver may choose admits it"
            versions = graph.summaries[target].versions
            shown = ", ".join(versions[index] for index in matches[:5])
            return f"{target}{text}: no release it admits ({shown}) can be installed either"
    return ""
