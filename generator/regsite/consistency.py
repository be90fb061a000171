"""The consistency check (docs/portable.md): at publish, report every release whose requirements
admit no consistent set of releases at all, as the client's resolver would fail on it.

For each release that is not yanked, a quick depth-first search looks for a consistent choice
first (packages taken dependents before dependencies, newest acceptable version first, with
chronological backtracking); a choice it finds is proof enough, and nearly every release has one.
The verdict that a release is inconsistent is always resolvelib's, through the client's own
resolver (:func:`regsite.client.resolve.resolve`), which also explains it.  Both are bounded
(:data:`WITNESS_TRIES`, :data:`RESOLVE_ROUNDS`, :data:`RESOLVE_SECONDS`, and
:data:`CHECK_SECONDS` for a whole build), so a hostile graph cannot stall the build: what the
bounds leave undecided is reported as such and checked again by the next build.

Results are kept in the memo per package, under the sha256 of its closure manifest, which pins
every package state its releases can reach (:mod:`regsite.closures`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from packaging.specifiers import SpecifierSet

from regsite.budget import OutOfTime, cpu_budget
from regsite.client.resolve import Requirement, ResolutionError, ResolutionGaveUp, resolve
from regsite.memo import Memo
from regsite.model import Dependency, ReleaseStatus
from regsite.release_graph import ReleaseGraph, components, dead_releases, reachable
from regsite.versions import Version
from regsite.workers import context, run

__all__ = [
    "CHECK_FLOOR_SECONDS",
    "CHECK_SECONDS",
    "CHECK_SHARE",
    "RESOLVE_ROUNDS",
    "RESOLVE_SECONDS",
    "WITNESS_TRIES",
    "ConsistencyReport",
    "Inconsistent",
    "check_consistency",
    "check_seconds",
]

WITNESS_TRIES = 400  # versions the quick search tries for one release before resolvelib decides
WITNESS_DEPTH = 400  # packages the quick search follows for one release (its recursion depth)
RESOLVE_ROUNDS = 2_000  # resolvelib rounds (one pin or backtrack each) for one release
RESOLVE_SECONDS = 2.0  # CPU seconds of resolvelib for one release
CHECK_SECONDS = 120.0  # CPU seconds for all the releases one process checks in one build, at most
# ... and by default a share of the time the build took before the check, at least a floor, so
# the check adds at most about a tenth to a cold build; what it leaves is checked by the next.
CHECK_SHARE = 0.1
CHECK_FLOOR_SECONDS = 2.0
_BOUNDS = f"{WITNESS_TRIES} {WITNESS_DEPTH} {RESOLVE_ROUNDS} {RESOLVE_SECONDS}"


@dataclass(frozen=True, slots=True)
class Inconsistent:
    package: str
    version: str
    reason: str  # resolvelib's explanation


@dataclass(frozen=True, slots=True)
class ConsistencyReport:
    inconsistent: tuple[Inconsistent, ...]  # sorted by package, in the shard's version order
    undecided: tuple[tuple[str, str], ...]  # (package, version) the bounds left undecided
    checked: int  # packages checked in this build; the others' results came from the memo


@dataclass(slots=True)
class _Checks:
    """What a worker reads: the graph, each package's rank, and its own time left."""

    graph: ReleaseGraph
    ranks: Mapping[str, int]
    dead: Mapping[str, Mapping[int, str]]  # releases that can be in no consistent set, and why
    seconds_left: float = CHECK_SECONDS  # CPU seconds of each process
    token: int = field(default_factory=time.monotonic_ns)  # this build's check, in each process


_STARTED: dict[tuple[int, int], float] = {}  # (pid, token) -> the process's CPU time at its start


def check_seconds(elapsed: float) -> float:
    """The CPU seconds each process may spend on the check, for a build that took ``elapsed``
    seconds before it."""
    return min(CHECK_SECONDS, max(CHECK_FLOOR_SECONDS, CHECK_SHARE * elapsed))


def _spent(checks: _Checks) -> float:
    """CPU seconds this process has spent on this build's check (a forked worker's clock starts
    at its fork, not at the parent's)."""
    now = time.process_time()
    return now - _STARTED.setdefault((os.getpid(), checks.token), now)


_Result = tuple[str, bytes, tuple[Inconsistent, ...], tuple[str, ...]]


def check_consistency(
    graph: ReleaseGraph,
    closures: Mapping[str, str],
    memo: Memo,
    jobs: int,
    seconds: float = CHECK_SECONDS,
) -> ConsistencyReport:
    """Every package's releases checked, from the memo where the closure is unchanged;
    ``closures`` maps each package to the sha256 of its closure manifest; each process spends
    at most ``seconds`` of CPU on it."""
    inconsistent: list[Inconsistent] = []
    undecided: list[tuple[str, str]] = []
    tasks: list[tuple[str, bytes]] = []
    for name in graph.summaries:
        key = memo.key("consistency", [_BOUNDS, graph.scheme.name, name, closures[name]])
        found: tuple[Inconsistent, ...] | None = memo.get("consistency", key)
        if found is None:
            tasks.append((name, key))
        else:
            inconsistent.extend(found)

    def done(result: _Result) -> None:
        name, key, found, left = result
        inconsistent.extend(found)
        undecided.extend((name, version) for version in left)
        if not left:  # a package the bounds left unfinished is checked again next time
            memo.put("consistency", key, found)

    targets = {name: summary.targets for name, summary in graph.summaries.items()}
    order = components(targets)
    ranks = {name: rank for rank, group in enumerate(order) for name in group}
    reach = reachable(graph, [name for name, _ in tasks])
    dead = dead_releases(graph, order, reach)
    memo.flush()  # the workers read the packages' requirements from it
    run(_check_package, tasks, _Checks(graph, ranks, dead, seconds), jobs, done)
    shown = {name: index for index, name in enumerate(graph.summaries)}
    inconsistent.sort(key=lambda item: (shown[item.package], item.package))
    return ConsistencyReport(tuple(inconsistent), tuple(sorted(undecided)), len(tasks))


def _check_package(task: tuple[str, bytes]) -> _Result:
    return _check_releases(task)


def _check_releases(task: tuple[str, bytes]) -> _Result:
    name, key = task
    checks: _Checks = context()
    node = checks.graph.node(name)
    found: list[Inconsistent] = []
    left: list[str] = []
    witness: dict[str, int] = {}  # the last consistent set found, tried first on the next release
    for index, version in enumerate(node.versions):
        if index in node.yanked:
            continue
        if _spent(checks) >= checks.seconds_left:
            left.append(version)
            continue
        if index not in checks.dead[name] and _fits(checks.graph, witness, name, index):
            continue  # the releases of one package mostly share their requirements' shape
        verdict = _check_release(checks, name, index, witness)
        if verdict is None:
            left.append(version)
        elif verdict:
            found.append(Inconsistent(name, version, verdict))
    return name, key, tuple(found), tuple(left)


def _fits(graph: ReleaseGraph, witness: Mapping[str, int], name: str, index: int) -> bool:
    """Whether a consistent set found for another release of ``name`` stays consistent with
    this release in its place."""
    if not witness:
        return False
    for target, text in graph.node(name).requires[index]:
        pick = witness.get(target) if target != name else index
        if pick is None or not graph.specifier(text).admits(graph.versions(target)[pick]):
            return False
    version = graph.versions(name)[index]
    return all(
        graph.specifier(text).admits(version)
        for other, pick in witness.items()
        if other != name
        for target, text in graph.node(other).requires[pick]
        if target == name
    )


def _check_release(checks: _Checks, name: str, index: int, witness: dict[str, int]) -> str | None:
    """ "" when the release's requirements admit a consistent set (then kept in ``witness``),
    the reason when they admit none, None when the bounds left it undecided."""
    graph = checks.graph
    if why := checks.dead[name].get(index):
        return why
    try:
        search = _Witness(graph, checks.ranks, checks.dead, name, index)
        if search.found():
            witness.clear()
            witness.update(search.picks)
            return ""
    except _GaveUp:
        pass
    roots = [
        Requirement(name=target, specifier=graph.specifier(text))
        for target, text in graph.node(name).requires[index]
    ]
    try:
        with cpu_budget(RESOLVE_SECONDS):
            resolve(roots, _Packages(graph, name, index), graph.scheme, max_rounds=RESOLVE_ROUNDS)
    except (ResolutionGaveUp, OutOfTime):
        return None
    except ResolutionError as error:
        return "; ".join([error.args[0], *error.details])  # one line, for the warning
    return ""


class _GaveUp(Exception):
    """The quick search reached its bounds; resolvelib decides."""


@dataclass(slots=True)
class _Witness:
    """A depth-first search for one consistent choice of releases for the requirements of
    ``name``'s release ``index``; that release stands for its package throughout."""

    graph: ReleaseGraph
    ranks: Mapping[str, int]
    dead: Mapping[str, Mapping[int, str]]
    name: str
    index: int
    picks: dict[str, int] = field(default_factory=dict)
    wanted: dict[str, set[str]] = field(default_factory=dict)  # specifiers on each package
    tries: int = WITNESS_TRIES

    def found(self) -> bool:
        self.picks[self.name] = self.index
        agenda: set[str] = set()
        if not self._require(self.name, self.index, [], agenda, frozenset()):
            return False
        return self._search(agenda)

    def _search(self, agenda: set[str]) -> bool:
        if not agenda:
            return True
        if len(self.picks) > WITNESS_DEPTH:
            raise _GaveUp
        name = max(agenda, key=lambda each: (self.ranks[each], each))  # its dependents are chosen
        rest = agenda - {name}
        for index in self._live(name, frozenset(self.wanted[name])):
            self.tries -= 1
            if self.tries < 0:
                raise _GaveUp
            added: list[tuple[str, str]] = []
            new: set[str] = set()
            self.picks[name] = index
            if self._require(name, index, added, new, rest) and self._search(rest | new):
                return True
            del self.picks[name]
            self._undo(added)
        return False

    def _require(
        self,
        name: str,
        index: int,
        added: list[tuple[str, str]],
        new: set[str],
        known: frozenset[str] | set[str],
    ) -> bool:
        """Add the requirements of release ``index`` of ``name``; False when one of them cannot
        hold any more (a chosen release it excludes, or no version left)."""
        graph = self.graph
        for target, text in graph.node(name).requires[index]:
            picked = self.picks.get(target)
            if picked is not None:
                if not graph.specifier(text).admits(graph.versions(target)[picked]):
                    return False
                continue
            wanted = self.wanted.setdefault(target, set())
            if text not in wanted:
                wanted.add(text)
                added.append((target, text))
            if not self._live(target, frozenset(wanted)):
                return False
            if target not in known:
                new.add(target)
        return True

    def _live(self, name: str, specifiers: frozenset[str]) -> list[int]:
        gone = self.dead[name]
        return [index for index in self.graph.matches(name, specifiers) if index not in gone]

    def _undo(self, added: list[tuple[str, str]]) -> None:
        for target, text in added:
            wanted = self.wanted[target]
            wanted.discard(text)
            if not wanted:
                del self.wanted[target]


@dataclass(frozen=True, slots=True)
class _Release:
    """A release as the resolver reads it (client/resolve.py)."""

    version: Version
    status: ReleaseStatus
    requires: tuple[Dependency, ...]
    requires_python: SpecifierSet | None = None  # the build checks for every Python


@dataclass(frozen=True, slots=True)
class _Candidates:
    releases: tuple[_Release, ...]


@dataclass(frozen=True, slots=True)
class _Packages:
    """The graph as the resolver's ``get_package``; the checked release stands for its package."""

    graph: ReleaseGraph
    name: str
    index: int

    def __call__(self, name: str) -> _Candidates:
        if name not in self.graph.summaries:
            raise KeyError(name)
        node = self.graph.node(name)
        versions = self.graph.versions(name)
        chosen: Sequence[int] = [self.index] if name == self.name else range(len(versions))
        return _Candidates(
            tuple(
                _Release(
                    version=versions[index],
                    status=ReleaseStatus.YANKED if index in node.yanked else ReleaseStatus.ACTIVE,
                    requires=tuple(
                        Dependency(name=target, specifier=self.graph.specifier(text))
                        for target, text in node.requires[index]
                    ),
                )
                for index in chosen
            )
        )
