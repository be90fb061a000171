"""Whoosh 2.7.4 scoring the packages, as the first version of the index did: the reference.

regsite computes BM25F from its own term counts (``regsite.search.engine``); these tests hold it
to Whoosh's own numbers. This is the adapter the build used before (an in-memory index, every
posting's score read back through ``BM25F().scorer()``), kept here and nowhere else.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh import scoring
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from regsite.search.engine import FIELD_BOOSTS, SearchDocument
from regsite.search.tokenizer import tokenize

__all__ = ["whoosh_term_scores"]


class RegsiteTokenizer(Tokenizer):  # type: ignore[misc] # Whoosh is untyped
    """Whoosh's view of :func:`regsite.search.tokenizer.tokenize`."""

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for position, text in enumerate(_tokens(value)):
            token.text = text
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + position
            yield token


_tokens = tokenize  # the parameter ``tokenize`` above shadows the function's name


def whoosh_term_scores(
    documents: Iterable[SearchDocument],
) -> Iterator[tuple[str, dict[int, float]]]:
    """What ``regsite.search.engine.term_scores`` yields, computed by Whoosh."""
    index = _index(documents)
    with index.searcher(weighting=scoring.BM25F()) as searcher:
        streams = [_field_terms(searcher, field) for field in FIELD_BOOSTS]
        term: str | None = None
        scores: dict[int, float] = {}
        for text, field_scores in heapq.merge(*streams, key=lambda item: item[0]):
            if text != term:
                if term is not None:
                    yield term, scores
                term, scores = text, {}
            for doc, score in field_scores:
                scores[doc] = scores.get(doc, 0.0) + score
        if term is not None:
            yield term, scores


def _index(documents: Iterable[SearchDocument]) -> Any:
    analyzer = RegsiteTokenizer()
    schema = Schema(
        **{
            field: TEXT(analyzer=analyzer, phrase=False, field_boost=boost)
            for field, boost in FIELD_BOOSTS.items()
        }
    )
    # Whoosh keeps scratch files in <tmp>/<indexname>.tmp even for a RAM index, and deletes that
    # directory when done: a name of our own keeps two runs at once from deleting each other's.
    index = RamStorage().create_index(schema, indexname=f"regsite-{uuid.uuid4().hex}")
    writer = index.writer(codec=W3Codec(compression=0), limitmb=256)
    for expected, document in enumerate(documents):
        assert document.doc == expected
        writer.add_document(**dict(zip(FIELD_BOOSTS, document.fields(), strict=True)))
    writer.commit()
    return index


def _field_terms(searcher: Any, field: str) -> Iterator[tuple[str, list[tuple[int, float]]]]:
    reader = searcher.reader()
    for raw in reader.lexicon(field):
        scorer = searcher.weighting.scorer(searcher, field, raw)
        matcher = reader.postings(field, raw)
        postings = []
        while matcher.is_active():
            postings.append((matcher.id(), scorer.score(matcher)))
            matcher.next()
        yield raw.decode("utf-8"), postings
