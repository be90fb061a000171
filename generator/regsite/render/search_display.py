"""The display shards of the search index (format 2, docs/search.md "Display shards").

A first page of results needs each hit's name, version and summary. Fetched from the record
files, that is one request per hit (the hits are spread over the registry). A display shard holds,
for each term of a range, the records of the term's :data:`FEATURED` best-scoring documents: the
first page of a query for that word, and for the words it is the beginning of. A reader fetches
the display shard of each query word with the term shards, and goes to the record files only for
hits no display shard holds.

The display shards are derived from the term shards as they stream past (their postings say each
term's best documents) and from the records of this build, so a new release's version shows
without computing the term shards again.
"""

from __future__ import annotations

import heapq
import json
from array import array
from collections.abc import Iterator, Sequence

from regsite.render.api import dump_json
from regsite.search.format import DISPLAY, DISPLAY_BYTES, FEATURED, shard_path

__all__ = ["Featured", "display_record"]


def display_record(doc: int, record: list[object]) -> str:
    """A record as a display shard writes it: ``[doc, name, version, summary, status, deps]``."""
    return json.dumps([doc, *record], ensure_ascii=False, separators=(",", ":"))


class Featured:
    """Each term's best documents, gathered from the term shards in term order."""

    def __init__(self) -> None:
        self._terms: list[str] = []
        self._ends = array("q")  # where each term's documents end in _docs
        self._docs = array("q")

    def add_shard(self, content: bytes) -> None:
        """Take the terms of one term shard (``{"keys": [...], "values": [postings...]}``)."""
        shard = json.loads(content)
        for term, flat in zip(shard["keys"], shard["values"], strict=True):
            self._terms.append(term)
            self._docs.extend(sorted(_best(flat)))
            self._ends.append(len(self._docs))

    def shards(self, records: Sequence[str]) -> Iterator[tuple[str, str, bytes]]:
        """(path, first key as the manifest lists it, content) of each display shard, cut at
        about DISPLAY_BYTES."""
        keys: list[str] = []
        docs: set[int] = set()
        index = start = size = 0
        boundary = ""
        for term, end in zip(self._terms, self._ends, strict=True):
            new = set(self._docs[start:end]) - docs
            if keys and size >= DISPLAY_BYTES:
                yield _display(index, boundary, keys, docs, records)
                boundary = _boundary(keys[-1], term)
                index, keys, docs, size = index + 1, [], set(), 0
                new = set(self._docs[start:end])
            keys.append(term)
            docs |= new
            size += len(term) + 3 + sum(len(records[doc]) + 1 for doc in new)
            start = end
        yield _display(index, boundary, keys, docs, records)


def _best(flat: list[int]) -> list[int]:
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
    manifest lists it (any key from there up to ``first`` finds the same shard; the manifest
    lists hundreds of display shards, so every character saved there is saved on every query)."""
    for length in range(1, len(first) + 1):
        if first[:length] > last:
            return first[:length]
    return first


def _display(
    index: int, boundary: str, keys: list[str], docs: set[int], records: Sequence[str]
) -> tuple[str, str, bytes]:
    # The records are JSON already: they are joined in, not parsed and written again.
    head = dump_json({"keys": keys}).decode("utf-8").rstrip("\n")[:-1]
    rows = ",".join(records[doc] for doc in sorted(docs))
    content = f'{head},"records":[{rows}]}}\n'.encode()
    return shard_path(DISPLAY, index), boundary, content
