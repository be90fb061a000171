"""The term shards of the search index as published (format 3, docs/search.md "Files").

A first page of results needs each hit's name, version and summary. Fetched from the record
files, that is one request per hit (the hits are spread over the registry). So each published
term shard holds, besides its terms' postings, the records of each term's :data:`FEATURED`
best-scoring documents, each record once per shard: the page a query for that word alone shows.
A reader reads a query word's postings and its best hits' records in one request.

The memo keeps the postings only, cut at about SHARD_BYTES (``render.search``). Each build
re-cuts them here with this build's records, at about TERM_SHARD_BYTES of postings and records
together, so a new release's version shows without computing the postings again.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterator, Sequence
from typing import Any

from regsite.render.api import dump_json
from regsite.search.format import FEATURED, TERM_SHARD_BYTES, shard_path

__all__ = ["TermShards", "display_record"]


def display_record(doc: int, record: list[object]) -> str:
    """A record as a term shard writes it: ``[doc, name, version, summary, status, deps]``."""
    return json.dumps([doc, *record], ensure_ascii=False, separators=(",", ":"))


class TermShards:
    """Cuts the postings of the memo's term shards, in term order, into published term shards."""

    def __init__(self, records: Sequence[str]) -> None:
        self._records = records  # each document's display record, by document number
        self._index = 0
        self._boundary = ""
        self._keys: list[str] = []
        self._values: list[list[int]] = []
        self._docs: set[int] = set()
        self._size = 0
        self._finished = False

    def add(self, content: bytes) -> Iterator[tuple[str, str, bytes]]:
        """Take the terms of one memo shard (``{"keys": [...], "values": [postings...]}``);
        yield (path, first key as the manifest lists it, content) of each shard it completes."""
        shard = json.loads(content)
        for term, flat in zip(shard["keys"], shard["values"], strict=True):
            if self._keys and self._size >= TERM_SHARD_BYTES:
                yield self._shard()
                self._next_shard(_boundary(self._keys[-1], term))
            new = set(_best(flat)) - self._docs
            self._keys.append(term)
            self._values.append(flat)
            self._docs |= new
            self._size += len(term) + 8 + 4 * len(flat)  # postings: mostly 1-5 digit numbers
            self._size += sum(len(self._records[doc]) + 1 for doc in new)

    def _next_shard(self, boundary: str) -> None:
        self._index += 1
        self._boundary = boundary
        self._keys, self._values, self._docs, self._size = [], [], set(), 0

    def finish(self) -> tuple[tuple[str, str, bytes], ...]:
        """The last shard, the first time it is asked for (an empty one when there are no
        terms); nothing after that."""
        if self._finished:
            return ()
        self._finished = True
        return (self._shard(),)

    def _shard(self) -> tuple[str, str, bytes]:
        # The records are JSON already: they are joined in, not parsed and written again.
        head = dump_json({"keys": self._keys, "values": self._values}).decode("utf-8")
        rows = ",".join(self._records[doc] for doc in sorted(self._docs))
        content = f'{head.rstrip()[:-1]},"records":[{rows}]}}\n'.encode()
        return shard_path("terms", self._index), self._boundary, content


def _best(flat: list[Any]) -> list[int]:
    """The FEATURED documents with the highest scores in ``[gap, score, ...]``, the lower number
    first among equals: the page a query for this term alone shows."""
    pairs = []
    doc = 0
    for position in range(0, len(flat), 2):
        doc += flat[position]
        pairs.append((-flat[position + 1], doc))
    return [doc for _, doc in heapq.nsmallest(FEATURED, pairs)]


def _boundary(last: str, first: str) -> str:
    """The shortest start of ``first`` that sorts after ``last``: a shard's first key as the
    manifest lists it. Any key from there up to ``first`` is in no shard, so it may go to either;
    going to this one, a word being typed finds the longer terms that start with it here."""
    for length in range(1, len(first) + 1):
        if first[:length] > last:
            return first[:length]
    return first
