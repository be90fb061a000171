"""Query a published search index: the same ranking as ``static/search-core.js``, step for step.

Ranking (docs/search.md, "Ranking"): the package whose normalised name is the query, then the one
whose name without separators is the query's tokens run together, then packages whose names start
with the query, then text matches by the number of query words they match and their summed integer
scores. Every tie goes to the lower document number, which is the more depended-upon package.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

from regsite.errors import RegistryError
from regsite.search.format import (
    EXPANSIONS,
    FORMAT,
    MANIFEST,
    RECORDS_PER_SHARD,
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


class Searcher:
    """Answers queries from one site's shards, loading each shard at most once."""

    def __init__(self, source: ShardSource) -> None:
        self._source = source
        self._shards: dict[str, Any] = {}
        self.manifest = self._load(MANIFEST)
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise SearchError(f"{MANIFEST}: expected search format {FORMAT}")
        for kind in ("terms", "names", "typos"):
            boundaries = self.manifest.get(kind)
            if not isinstance(boundaries, list) or not boundaries:
                raise SearchError(f"{MANIFEST}: {kind}: expected a list of shard boundaries")
        if self.manifest.get("tokenizer") != TOKENIZER_ID:
            raise SearchError(
                f"{MANIFEST}: tokenizer is {self.manifest.get('tokenizer')!r},"
                f" expected {TOKENIZER_ID!r}"
            )

    def search(self, query: str) -> SearchResults:
        """Rank every package for ``query``; see the module's docstring for the order."""
        with _malformed("search/"):
            return self._search(query)

    def _search(self, query: str) -> SearchResults:
        tokens = tuple(dict.fromkeys(tokenize(query)))
        if not tokens:
            return SearchResults(query=query, tokens=(), hits=(), suggestion=None)
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
        return SearchResults(
            query=query, tokens=tokens, hits=tuple(ordered.values()), suggestion=suggestion
        )

    def records(self, docs: Sequence[int]) -> list[Record]:
        """The display records of ``docs``, in the order given."""
        with _malformed("search/records/"):
            found = []
            for doc in docs:
                row = self._load(record_shard_path(doc))[doc % RECORDS_PER_SHARD]
                name, version, summary, status, dependents = row
                found.append(Record(doc, name, version, summary, status, dependents))
            return found

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
        shard = self._load(path)
        keys, values = shard.get("keys"), shard.get("values")
        if not isinstance(keys, list) or not isinstance(values, list) or len(keys) != len(values):
            raise SearchError(f"{path}: expected equally long 'keys' and 'values' lists")
        return keys, values

    def _load(self, path: str) -> Any:
        if path not in self._shards:
            self._shards[path] = self._source.load(path)
        return self._shards[path]


@contextmanager
def _malformed(where: str) -> Iterator[None]:
    """Turn the errors a hand-edited or truncated shard provokes into one clear message."""
    try:
        yield
    except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise SearchError(f"{where}: the search index is malformed ({exc})") from exc


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
