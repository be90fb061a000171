"""Query a published search index: the same ranking as ``static/search-core.js``, step for step.

Ranking (docs/search.md, "Ranking"): the package whose normalised name is the query, then the one
whose name without separators is the query's tokens run together, then packages whose names start
with the query, then text matches by the number of query words they match and their summed integer
scores. Every tie goes to the lower document number, which is the more depended-upon package.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NoReturn, Protocol

from regsite.errors import RegistryError, describe
from regsite.search.format import (
    EXPANSIONS,
    FORMAT,
    MANIFEST,
    MAX_QUERY_LENGTH,
    RECORDS_PER_SHARD,
    SHARD_KINDS,
    TYPO_MIN_LENGTH,
    record_shard_path,
    shard_index,
    shard_path,
    typo_keys,
)
from regsite.search.tokenizer import TOKENIZER_ID, join_key, tokenize

__all__ = [
    "Hit",
    "Record",
    "SearchError",
    "SearchResults",
    "Searcher",
    "ShardSource",
    "Tier",
    "one_typo_apart",
]


class SearchError(RegistryError):
    """A search index is missing, unreadable or in a format this version does not read."""


_MAX_NUMBER = 2**53 - 1  # document numbers, gaps and scores: exact in JavaScript too
_DAMAGED = "the search index is damaged or was not written by this regsite; rebuild the site"


class ShardSource(Protocol):
    """Where shards come from: a built site's directory, or its URL."""

    def load(self, path: str) -> Any:
        """The parsed JSON at ``path``, relative to the site's root."""
        ...


class Tier(IntEnum):
    EXACT = 0  # the normalised name is the query
    JOINED = 1  # the name without separators is the query's tokens run together
    PREFIX = 2  # the name starts with the query
    TEXT = 3  # name, keywords, description or README headings match


@dataclass(frozen=True, slots=True)
class Hit:
    doc: int
    tier: Tier
    matched: int = 0  # query tokens matched (text tier)
    score: int = 0  # summed integer scores (text tier)


@dataclass(frozen=True, slots=True)
class Record:
    """What a result shows: from ``search/records/N.json``."""

    doc: int
    name: str
    version: str | None
    summary: str
    status: str
    dependents: int

    @property
    def url(self) -> str:
        return f"packages/{self.name}/"


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: str
    tokens: tuple[str, ...]
    hits: tuple[Hit, ...]
    suggestion: str | None  # "did you mean", offered on a miss
    truncated: bool = False  # the query was longer than MAX_QUERY_LENGTH: ``query`` is its start


class Searcher:
    """Answers queries from one site's shards, loading each shard at most once."""

    def __init__(self, source: ShardSource) -> None:
        self._source = source
        self._shards: dict[str, Any] = {}
        self._featured: dict[int, Record] = {}  # from the term shards loaded so far
        self.manifest: dict[str, Any] = _checked_manifest(self._source.load(MANIFEST))

    def search(self, query: str) -> SearchResults:
        """Rank every package for ``query`` (its first MAX_QUERY_LENGTH code points); see the
        module's docstring for the order."""
        truncated = len(query) > MAX_QUERY_LENGTH
        query = query[:MAX_QUERY_LENGTH]
        tokens = tuple(dict.fromkeys(tokenize(query)))
        if not tokens:
            return SearchResults(query, (), (), None, truncated)
        name, joined = "-".join(tokens), "".join(tokens)
        exact = self._name_docs(name, kinds={0})
        by_joined = self._name_docs(joined, kinds={1} if joined == name else {0, 1})
        prefix = sorted(
            set(self._prefix_docs(name, {name, joined}))
            | set(self._prefix_docs(joined, {name, joined}) if joined != name else ())
        )
        ordered: dict[int, Hit] = {}
        for tier, docs in ((Tier.EXACT, exact), (Tier.JOINED, by_joined), (Tier.PREFIX, prefix)):
            for doc in docs:
                ordered.setdefault(doc, Hit(doc, tier))
        text = self._text_hits(tokens)
        for hit in text:
            ordered.setdefault(hit.doc, hit)
        # A miss: no name matched, and no package matches every word of the query.
        complete = bool(text) and text[0].matched == len(tokens)
        missed = not (exact or by_joined or prefix or complete)
        suggestion = self._suggestion(joined) if missed else None
        return SearchResults(query, tokens, tuple(ordered.values()), suggestion, truncated)

    def records(self, docs: Sequence[int]) -> list[Record]:
        """The display records of ``docs``, in the order given: from the term shards the
        queries loaded, else from the record files."""
        return [self._featured.get(doc) or self._record(doc) for doc in docs]

    def _record(self, doc: int) -> Record:
        path = record_shard_path(doc)
        rows = self._load(path, _checked_list)
        row = rows[doc % RECORDS_PER_SHARD] if doc % RECORDS_PER_SHARD < len(rows) else None
        return _checked_record(path, doc, row)

    # Names

    def _name_docs(self, key: str, kinds: set[int]) -> list[int]:
        keys, values = self._shard("names", key)
        at = bisect.bisect_left(keys, key)
        if at == len(keys) or keys[at] != key:
            return []
        pairs = values[at]
        return sorted(pairs[i] for i in range(0, len(pairs), 2) if pairs[i + 1] in kinds)

    def _prefix_docs(self, prefix: str, exclude: set[str]) -> list[int]:
        """Docs whose name (or joined name) starts with ``prefix``, from two shards at most."""
        index = shard_index(self.manifest["names"], prefix)
        docs: list[int] = []
        for shard in (index, index + 1):
            if shard >= len(self.manifest["names"]):
                break
            keys, values = self._load_shard("names", shard)
            at = bisect.bisect_left(keys, prefix)
            while at < len(keys) and keys[at].startswith(prefix):
                if keys[at] not in exclude:
                    docs += values[at][0::2]
                at += 1
            if at < len(keys):  # the prefix's range ended inside this shard
                break
        return docs

    # Text

    def _text_hits(self, tokens: tuple[str, ...]) -> list[Hit]:
        scores: dict[int, list[int]] = {}  # doc -> [matched, score]
        for position, token in enumerate(tokens):
            last = position == len(tokens) - 1
            for doc, score in self._token_scores(token, expand=last).items():
                entry = scores.setdefault(doc, [0, 0])
                entry[0] += 1
                entry[1] += score
        hits = [Hit(doc, Tier.TEXT, matched, score) for doc, (matched, score) in scores.items()]
        hits.sort(key=lambda hit: (-hit.matched, -hit.score, hit.doc))
        return hits

    def _token_scores(self, token: str, *, expand: bool) -> dict[int, int]:
        """Each doc's score for ``token``; the last token also counts, at half, as a prefix."""
        keys, values = self._shard("terms", token)
        at = bisect.bisect_left(keys, token)
        scores: dict[int, int] = {}
        if at < len(keys) and keys[at] == token:
            scores = dict(_postings(values[at]))
            at += 1
        if expand:
            longer = []
            while at < len(keys) and keys[at].startswith(token):
                longer.append((-len(values[at]), keys[at], values[at]))
                at += 1
            for _, _, postings in sorted(longer)[:EXPANSIONS]:
                for doc, score in _postings(postings):
                    scores[doc] = max(scores.get(doc, 0), score // 2)
        return scores

    # "Did you mean"

    def _suggestion(self, joined: str) -> str | None:
        if len(joined) < TYPO_MIN_LENGTH:
            return None
        candidates: dict[str, int] = {}
        for length in (len(joined) - 1, len(joined), len(joined) + 1):
            for key in typo_keys(joined, length):
                keys, values = self._shard("typos", key)
                at = bisect.bisect_left(keys, key)
                if at < len(keys) and keys[at] == key:
                    entry = values[at]
                    candidates.update(zip(entry[0::2], entry[1::2], strict=True))
        close = [
            (doc, name)
            for name, doc in candidates.items()
            if one_typo_apart(join_key(name), joined)
        ]
        return min(close)[1] if close else None

    # Loading

    def _shard(self, kind: str, key: str) -> tuple[list[str], list[Any]]:
        return self._load_shard(kind, shard_index(self.manifest[kind], key))

    def _load_shard(self, kind: str, index: int) -> tuple[list[str], list[Any]]:
        path = shard_path(kind, index)
        if path not in self._shards:
            loaded = self._source.load(path)
            self._shards[path] = _checked_shard(kind, path, loaded)
            if kind == "terms":  # it holds its terms' best documents' records too
                self._featured.update(_checked_records(path, loaded))
        shard: tuple[list[str], list[Any]] = self._shards[path]
        return shard

    def _load(self, path: str, check: Callable[[str, Any], Any]) -> Any:
        """The file's JSON as ``check`` accepted it; each file is loaded and checked once."""
        if path not in self._shards:
            self._shards[path] = check(path, self._source.load(path))
        return self._shards[path]


# Checking what was loaded: a published index is read as untrusted input, so every value is
# checked for the type the ranking uses before it is used, and a bad one names its file.


def _damaged(path: str, expected: str) -> NoReturn:
    raise SearchError(f"{path}: expected {expected}; {_DAMAGED}")


def _is_text(value: object) -> bool:
    """A string that can be printed and written out (no lone surrogates from a JSON escape)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_number(value: object) -> bool:
    return type(value) is int and 0 <= value <= _MAX_NUMBER


def _checked_manifest(manifest: object) -> dict[str, Any]:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        _damaged(MANIFEST, f"search format {FORMAT}")
    for kind in SHARD_KINDS:
        boundaries = manifest.get(kind)
        if not isinstance(boundaries, list) or not boundaries:
            _damaged(MANIFEST, f"{kind}: a list of shard boundaries")
        if not all(isinstance(boundary, str) for boundary in boundaries):
            _damaged(MANIFEST, f"{kind}: shard boundaries that are strings")
    if manifest.get("tokenizer") != TOKENIZER_ID:
        found = describe(manifest.get("tokenizer"), typed=False)
        raise SearchError(f"{MANIFEST}: tokenizer is {found}, expected {TOKENIZER_ID!r}")
    return manifest


def _checked_records(path: str, shard: object) -> dict[int, Record]:
    """The display records a term shard holds, by document."""
    rows = shard.get("records") if isinstance(shard, dict) else None
    if not isinstance(rows, list):
        _damaged(path, "'records': an array of records")
    found = {}
    for row in rows:
        if not isinstance(row, list) or len(row) != 6 or not _is_number(row[0]):
            _damaged(path, "records [doc, name, version, summary, status, dependents]")
        found[row[0]] = _checked_record(path, row[0], row[1:])
    return found


def _checked_record(path: str, doc: int, row: object) -> Record:
    if not isinstance(row, list) or len(row) != 5:
        _damaged(path, f"a record [name, version, summary, status, dependents] for doc {doc}")
    name, version, summary, status, dependents = row
    if not (_is_text(name) and _is_text(summary) and _is_text(status)):
        _damaged(path, f"name, summary and status of doc {doc} to be strings")
    if not (version is None or _is_text(version)) or not _is_number(dependents):
        _damaged(path, f"a version string or null and a count of dependents for doc {doc}")
    return Record(doc, name, version, summary, status, dependents)


def _checked_list(path: str, value: object) -> list[Any]:
    if not isinstance(value, list):
        _damaged(path, "an array of records")
    return value


def _checked_shard(kind: str, path: str, shard: object) -> tuple[list[str], list[Any]]:
    keys = shard.get("keys") if isinstance(shard, dict) else None
    values = shard.get("values") if isinstance(shard, dict) else None
    if not isinstance(keys, list) or not isinstance(values, list) or len(keys) != len(values):
        _damaged(path, "an object with equally long 'keys' and 'values' lists")
    if not all(isinstance(key, str) for key in keys):
        _damaged(path, "'keys' to be strings")
    typos = kind == "typos"
    for value in values:
        if not isinstance(value, list) or len(value) % 2:
            _damaged(path, "each of 'values' to be an array of pairs")
        firsts, seconds = value[0::2], value[1::2]
        if not all(map(_is_text if typos else _is_number, firsts)):
            _damaged(path, "names" if typos else "document numbers (whole numbers)")
        if not all(map(_is_number, seconds)):
            _damaged(path, "document numbers" if typos else "whole numbers")
    return keys, values


def _postings(flat: list[int]) -> list[tuple[int, int]]:
    pairs = []
    doc = 0
    for index in range(0, len(flat), 2):
        doc += flat[index]
        pairs.append((doc, flat[index + 1]))
    return pairs


def one_typo_apart(a: str, b: str) -> bool:
    """True when one insertion, deletion, substitution or swap of neighbours turns a into b."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    if len(a) == len(b):
        swapped = a[start + 1 : start + 2] + a[start : start + 1] + a[start + 2 :]
        return a[start + 1 :] == b[start + 1 :] or swapped == b[start:]
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return shorter[start:] == longer[start + 1 :]
