"""Search renderer: the sharded static index under ``search/`` (format in docs/search.md).

The build hands :func:`search_files` a stream of :class:`SearchPackage` in search order and writes
what comes back file by file. Nothing here holds the site: the records are written as the packages
stream past, and the shards come from compact indexes of a few bytes per posting or name, built
one kind at a time. The shards are the expensive part; :func:`shards_key` digests everything they
are computed from, so a :class:`SearchMemo` can keep them from one build to the next.
"""

from __future__ import annotations

import hashlib
import math
import operator
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeVar

from regsite.assemble import Site
from regsite.render import Output
from regsite.render.api import dump_json
from regsite.render.search_terms import TermShards, display_record
from regsite.search.engine import SearchDocument, term_scores
from regsite.search.format import (
    FORMAT,
    MANIFEST,
    MAX_POSTINGS,
    RECORDS_PER_SHARD,
    SHARD_BYTES,
    SHARD_KINDS,
    SUMMARY_LENGTH,
    TYPO_MIN_LENGTH,
    record_shard_path,
    shard_path,
    typo_keys,
)
from regsite.search.tokenizer import TOKENIZER_ID, join_key
from regsite.summary import PackageSummary

__all__ = [
    "SearchMemo",
    "SearchPackage",
    "SearchPackages",
    "Shard",
    "render_search",
    "search_files",
    "search_order",
    "search_packages",
    "shards_key",
    "shards_key_of_digests",
]

_SCORE_SCALE = 1000  # BM25F scores become integers with three significant decimals
# What a memo holds under a key: the term, name and typo shards. Part of the key, so that a memo
# written by a version of regsite that kept something else under the same inputs never matches.
_MEMO_LAYOUT = "terms+names+typos/2"


@dataclass(frozen=True, kw_only=True, slots=True)
class SearchPackage:
    """What search needs of one package."""

    name: str
    keywords: tuple[str, ...]
    description: str
    headings: tuple[str, ...]  # the README's headings
    latest: str | None  # the latest version, as ``Package.latest`` picks it
    status: str  # "active" or "deprecated"
    dependents: int  # packages that depend on it directly


class SearchPackages(Protocol):
    """Every package in search order, readable more than once: most dependents first, then by
    name in code point order (SQLite's ``ORDER BY dependents DESC, name``; :func:`search_order`).

    A package's place is its document number. The stage makes up to three passes, each reading
    the packages one at a time, and checks that each gives ``len()`` packages.
    """

    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[SearchPackage]: ...


class Shard(NamedTuple):
    """One file of ``search/terms/``, ``search/names/`` or ``search/typos/``."""

    path: str
    first_key: str  # as the manifest lists it: "" for the first shard of each kind
    content: bytes

    @property
    def kind(self) -> str:
        return self.path.split("/")[1]


class SearchMemo(Protocol):
    """Where a build keeps the shards, keyed by :func:`shards_key`, for the next build.

    ``store`` consumes the shards (a stream of a few thousand files, tens of MB at 200,000
    packages) and may drop what it held under other keys: only the last build's are worth
    keeping. ``load`` streams back, in the same order, what was stored under ``key``, or gives
    None when nothing was. On a miss the stage stores the shards, then loads them back to give
    them out, so that it never holds them all.
    """

    def load(self, key: str) -> Iterable[Shard] | None: ...
    def store(self, key: str, shards: Iterable[Shard]) -> None: ...


def search_files(
    packages: SearchPackages, memo: SearchMemo | None = None, *, key: str | None = None
) -> Iterator[tuple[str, bytes]]:
    """The whole ``search/`` tree but the page, as ``(path, content)``, one file at a time: the
    record files, the term, name and typo shards, the manifest.

    The packages are read once when ``memo`` holds the shards for them, three times otherwise.
    A caller that knows the shards' ``key`` already (a digest of the same inputs as
    :func:`shards_key`, e.g. :func:`shards_key_of_digests`) may give it.
    """
    digest = _ShardsDigest() if key is None else None
    records: list[str] = []  # each document's display record, for the term shards
    yield from _record_files(packages, digest, records)  # which digests the packages as it reads
    boundaries: dict[str, list[str]] = {kind: [] for kind in SHARD_KINDS}
    shards = _memoised_shards(packages, digest.hexdigest() if digest else str(key), memo)
    terms = TermShards(records)
    for shard in shards:
        for path, first_key, content in _published(shard, terms):
            boundaries[path.split("/")[1]].append(first_key)
            yield path, content
    yield MANIFEST, _manifest(len(packages), boundaries)


def _published(shard: Shard, terms: TermShards) -> Iterable[tuple[str, str, bytes]]:
    """A shard of the memo as published: the memo's term shards hold the postings only, cut
    again with this build's records; the name and typo shards, which come after them, as kept."""
    if shard.kind == "terms":
        return terms.add(shard.content)
    return (*terms.finish(), shard)


def shards_key_of_digests(packages: Iterable[tuple[str, bytes, int]]) -> str:
    """A key for the shards from each package's name, a digest of its keywords, description and
    headings, and its dependents, in search order: what a build that keeps the packages'
    digests gives :func:`search_files`, without reading any package's headings."""
    digest = hashlib.sha256(f"{FORMAT} {TOKENIZER_ID} {_MEMO_LAYOUT} digests".encode())
    for name, text, dependents in packages:
        digest.update(repr((name, text, dependents)).encode())
    return digest.hexdigest()


def shards_key(packages: SearchPackages) -> str:
    """A digest of everything the term, name and typo shards are computed from."""
    digest = _ShardsDigest()
    for package in packages:
        digest.add(package)
    return digest.hexdigest()


class _ShardsDigest:
    def __init__(self) -> None:
        self._digest = hashlib.sha256(f"{FORMAT} {TOKENIZER_ID} {_MEMO_LAYOUT}".encode())

    def add(self, package: SearchPackage) -> None:
        parts = (package.name, *package.keywords, package.description, *package.headings)
        self._digest.update(repr((parts, package.dependents)).encode())

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _memoised_shards(
    packages: SearchPackages, key: str, memo: SearchMemo | None
) -> Iterable[Shard]:
    if memo is None:
        return _shards(packages)
    if (kept := memo.load(key)) is not None:
        return kept
    memo.store(key, _shards(packages))
    if (kept := memo.load(key)) is None:
        raise RuntimeError(f"the search memo gave nothing back for {key}, just stored")
    return kept


def _shards(packages: SearchPackages) -> Iterator[Shard]:
    """The term shards, then the name and typo shards: one pass over the packages for each."""
    yield from _cut("terms", _term_entries(packages))
    names, typos = _name_and_typo_keys(packages)
    yield from _cut("names", _name_entries(names))
    del names
    yield from _cut("typos", _typo_entries(typos))


# Records and the manifest ---------------------------------------------------------------------


def _numbered(packages: SearchPackages) -> Iterator[tuple[int, SearchPackage]]:
    """One pass over the packages with their document numbers; every pass must give as many
    packages as ``len`` says, or the files would disagree with each other."""
    count = 0
    for package in packages:
        yield count, package
        count += 1
    if count != (expected := len(packages)):
        raise ValueError(f"a pass over the packages gave {count}, but their len() is {expected}")


def _record_files(
    packages: SearchPackages, digest: _ShardsDigest | None, display: list[str]
) -> Iterator[tuple[str, bytes]]:
    records: list[list[Any]] = []
    last = len(packages) - 1
    for doc, package in _numbered(packages):
        if digest is not None:
            digest.add(package)
        records.append(_record(package))
        display.append(display_record(doc, records[-1]))
        if len(records) == RECORDS_PER_SHARD or doc == last:
            yield record_shard_path(doc), dump_json(records)
            records = []


def _record(package: SearchPackage) -> list[Any]:
    summary = package.description
    if len(summary) > SUMMARY_LENGTH:
        summary = summary[: SUMMARY_LENGTH - 1].rstrip() + "…"
    return [package.name, package.latest, summary, package.status, package.dependents]


def _manifest(documents: int, boundaries: dict[str, list[str]]) -> bytes:
    return dump_json(
        {"format": FORMAT, "tokenizer": TOKENIZER_ID, "documents": documents, **boundaries}
    )


# Shards ---------------------------------------------------------------------------------------

Entry = tuple[str, list[Any]]
_Row = TypeVar("_Row", tuple[str, int, int], tuple[str, int, str])


def _term_entries(packages: SearchPackages) -> Iterator[Entry]:
    """Term -> [gap, score, ...]: its best MAX_POSTINGS documents, by document number."""
    factors = array("d")  # each document's popularity, filled in as the engine reads them
    for term, scores in term_scores(_documents(packages, factors)):
        # Relevance times popularity, as an integer of at least 1 (every score here is > 0).
        integers = {
            doc: round(score * _SCORE_SCALE * factors[doc]) or 1 for doc, score in scores.items()
        }
        docs = sorted(integers) if len(integers) <= MAX_POSTINGS else _best(integers)
        flat = [0] * (2 * len(docs))
        flat[0::2] = map(operator.sub, docs, [0, *docs])  # document numbers as gaps: they gzip well
        flat[1::2] = map(integers.__getitem__, docs)
        yield term, flat


def _best(scores: dict[int, int]) -> list[int]:
    """The MAX_POSTINGS documents with the highest scores, the lower number first among equals,
    in document order (sorting the scores alone is much faster than sorting by a key)."""
    threshold = sorted(scores.values(), reverse=True)[MAX_POSTINGS - 1]
    above = [doc for doc, score in scores.items() if score > threshold]
    tied = sorted(doc for doc, score in scores.items() if score == threshold)
    return sorted(above + tied[: MAX_POSTINGS - len(above)])


def _documents(packages: SearchPackages, factors: array[float]) -> Iterator[SearchDocument]:
    for doc, package in _numbered(packages):
        factors.append(1 + math.log2(1 + package.dependents) / 4)
        yield SearchDocument(
            doc=doc,
            name=package.name,
            keywords=package.keywords,
            description=package.description,
            headings=package.headings,
        )


def _name_and_typo_keys(
    packages: SearchPackages,
) -> tuple[list[tuple[str, int, int]], list[tuple[str, int, str]]]:
    """Every (key, kind, doc) a name is filed under, and every (typo key, doc, name), sorted."""
    names: list[tuple[str, int, int]] = []
    typos: list[tuple[str, int, str]] = []
    for doc, package in _numbered(packages):
        names.append((package.name, 0, doc))
        joined = join_key(package.name)
        if joined != package.name:
            names.append((joined, 1, doc))
        if len(joined) >= TYPO_MIN_LENGTH:
            typos.extend((key, doc, package.name) for key in typo_keys(joined))
    names.sort()
    typos.sort()
    return names, typos


def _name_entries(keys: list[tuple[str, int, int]]) -> Iterator[Entry]:
    """Key -> [doc, kind, ...]: kind 0 when the key is the name, 1 when it is the joined name."""
    for key, group in _grouped(keys):
        yield key, [value for _, kind, doc in group for value in (doc, kind)]


def _typo_entries(keys: list[tuple[str, int, str]]) -> Iterator[Entry]:
    """Typo key -> [name, doc, ...]; see :func:`regsite.search.format.typo_keys`."""
    for key, group in _grouped(keys):
        yield key, [value for _, doc, name in group for value in (name, doc)]


def _grouped(rows: list[_Row]) -> Iterator[tuple[str, list[_Row]]]:
    """Sorted rows grouped by their first item."""
    start = 0
    for end in range(1, len(rows) + 1):
        if end == len(rows) or rows[end][0] != rows[start][0]:
            yield rows[start][0], rows[start:end]
            start = end


def _cut(kind: str, entries: Iterable[Entry]) -> Iterator[Shard]:
    """Cut sorted entries into shards of about SHARD_BYTES of JSON."""
    index = 0
    keys: list[str] = []
    values: list[list[Any]] = []
    size = 0
    for key, value in entries:
        if keys and size >= SHARD_BYTES:
            yield _shard(kind, index, keys, values)
            index, keys, values, size = index + 1, [], [], 0
        keys.append(key)
        values.append(value)
        size += len(key) + 8 + _json_length(value)
    yield _shard(kind, index, keys, values)


def _shard(kind: str, index: int, keys: list[str], values: list[list[Any]]) -> Shard:
    content = dump_json({"keys": keys, "values": values})
    return Shard(shard_path(kind, index), keys[0] if index else "", content)


def _json_length(values: list[Any]) -> int:
    """About the length of ``values`` as compact JSON (numbers here are mostly 1-5 digits)."""
    if values and isinstance(values[0], str):  # typo buckets: [name, doc, name, doc, ...]
        return sum(len(name) + 3 for name in values[0::2]) + 5 * len(values[1::2])
    return 4 * len(values)


# The model's side: adapters for the build of today ---------------------------------------------


def search_order(site: Site) -> list[PackageSummary]:
    """Documents are numbered most depended-upon first, so a lower number is the more popular.

    Every tie in ranking is broken by this number, and the top hits share few record shards.
    """
    return sorted(
        site.packages.values(),
        key=lambda package: (-len(site.dependents.get(package.name, ())), package.name),
    )


def search_packages(site: Site) -> list[SearchPackage]:
    """The site's packages as search reads them, in search order."""
    return [
        SearchPackage(
            name=package.name,
            keywords=package.keywords,
            description=package.description,
            headings=package.headings,
            latest=package.latest.version if package.latest else None,
            status=str(package.status),
            dependents=len(site.dependents.get(package.name, ())),
        )
        for package in search_order(site)
    ]


def render_search(site: Site, memo: SearchMemo | None = None) -> Output:
    """The whole ``search/`` tree but the page, in memory (tests and tools; the build streams it
    with :func:`search_files`)."""
    return dict(search_files(search_packages(site), memo))
