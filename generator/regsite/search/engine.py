"""The Whoosh adapter: index the packages in memory, read back every posting's BM25F score.

Nothing else imports Whoosh. Its on-disk format is never published; what leaves this module is a
stream of ``(term, {document: score})`` in term order, from which ``render.search`` writes shards.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from whoosh import scoring
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from regsite.search.tokenizer import join_key, tokenize

__all__ = ["FIELD_BOOSTS", "SearchDocument", "term_scores"]

# How much a term counts in each field, relative to the description.
FIELD_BOOSTS: Mapping[str, float] = {
    "name": 4.0,  # the name's tokens plus the name with separators removed
    "keywords": 2.0,
    "description": 1.0,
    "headings": 0.5,  # the README's headings
}


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """What search knows of one package; ``doc`` is its number in the published index."""

    doc: int
    name: str
    keywords: tuple[str, ...]
    description: str
    headings: tuple[str, ...]

    def fields(self) -> dict[str, str]:
        return {
            "name": f"{self.name} {join_key(self.name)}",
            "keywords": " ".join(self.keywords),
            "description": self.description,
            "headings": " ".join(self.headings),
        }


class RegsiteTokenizer(Tokenizer):  # type: ignore[misc] # Whoosh is untyped
    """Whoosh's view of :func:`regsite.search.tokenizer.tokenize` (picklable, as Whoosh needs)."""

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


def term_scores(documents: Iterable[SearchDocument]) -> Iterator[tuple[str, dict[int, float]]]:
    """Yield each term with the BM25F score of every document it occurs in, summed over fields.

    Terms come in code point order (Whoosh sorts UTF-8 bytes, which is the same order).
    """
    index = _index(documents)
    with index.searcher(weighting=scoring.BM25F()) as searcher:
        reader = searcher.reader()
        lengths = _field_lengths(searcher, reader.doc_count_all())
        streams = [_field_terms(searcher, field, lengths[field]) for field in FIELD_BOOSTS]
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
    # directory when done: a name of our own keeps two builds at once from deleting each other's.
    index = RamStorage().create_index(schema, indexname=f"regsite-{uuid.uuid4().hex}")
    # The index lives in memory for seconds: compressing its posting blocks only costs time
    # (a quarter of the indexing time at 20,000 packages), and a small sorting pool spills to
    # disk and merges (limitmb=1024 halved indexing at 100,000 packages).
    writer = index.writer(codec=W3Codec(compression=0), limitmb=1024)
    for expected, document in enumerate(documents):
        if document.doc != expected:
            raise ValueError(f"documents must be numbered 0, 1, ...; got {document.doc}")
        writer.add_document(**document.fields())
    writer.commit()
    return index


def _field_lengths(searcher: Any, count: int) -> dict[str, list[int]]:
    """Every document's length in every field, read once instead of once per posting."""
    return {
        field: [searcher.doc_field_length(doc, field, 1) for doc in range(count)]
        for field in FIELD_BOOSTS
    }


def _field_terms(
    searcher: Any, field: str, lengths: list[int]
) -> Iterator[tuple[str, list[tuple[int, float]]]]:
    reader = searcher.reader()
    for raw in reader.lexicon(field):
        scorer = searcher.weighting.scorer(searcher, field, raw)
        matcher = reader.postings(field, raw)
        postings = []
        while matcher.is_active():
            doc = matcher.id()
            # BM25F's own formula, given the field length we already hold (WeightLengthScorer).
            postings.append((doc, scorer._score(matcher.weight(), lengths[doc])))
            matcher.next()
        yield raw.decode("utf-8"), postings
