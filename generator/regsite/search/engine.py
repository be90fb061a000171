"""BM25F for every term, from our own term counts, with Whoosh 2.7.4's arithmetic.

The published scores are the ones Whoosh computed when it indexed the packages
(docs/decisions.md 13). Whoosh's writer cost about 12 µs per posting and held the whole index in
memory; counting the terms here gives the same floating-point numbers, bit for bit, in a tenth of
the time, from an index of 8 bytes per posting. ``tests/test_search_scores.py`` checks every score
against Whoosh itself. What leaves this module is a stream of ``(term, {document: score})`` in
term order, from which ``render.search`` writes shards.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from regsite.search.tokenizer import join_key, tokenize

__all__ = ["FIELD_BOOSTS", "K1", "B", "SearchDocument", "stored_length", "term_scores"]

# How much a term counts in each field, relative to the description. The order is the order in
# which a term's field scores are added up, which decides the last bit of the sum.
FIELD_BOOSTS: Mapping[str, float] = {
    "name": 4.0,  # the name's tokens plus the name with separators removed
    "keywords": 2.0,
    "description": 1.0,
    "headings": 0.5,  # the README's headings
}
B = 0.75  # BM25F's length normalisation (Whoosh's default)
K1 = 1.2  # BM25F's term frequency saturation (Whoosh's default)

# Whoosh stores a field's length per document in one byte, rounded up to the next of these 256
# lengths (whoosh.util.numeric), and scores with the rounded length.
_STORED_LENGTHS = [round((pow(1.033, n) - 1) * 27) for n in range(256)]
_TF_BITS = 32  # a posting is packed as document << 32 | term frequency
_TF_MASK = (1 << _TF_BITS) - 1


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """What search knows of one package; ``doc`` is its number in the published index."""

    doc: int
    name: str
    keywords: tuple[str, ...]
    description: str
    headings: tuple[str, ...]

    def fields(self) -> tuple[str, ...]:
        """The text of each field, in the order of :data:`FIELD_BOOSTS`."""
        return (
            f"{self.name} {join_key(self.name)}",
            " ".join(self.keywords),
            self.description,
            " ".join(self.headings),
        )


def stored_length(length: int) -> int:
    """A field's length as Whoosh stored it: rounded up to the next length a byte can stand for."""
    if length >= _STORED_LENGTHS[-1]:
        return _STORED_LENGTHS[-1]
    return _STORED_LENGTHS[bisect.bisect_left(_STORED_LENGTHS, length)]


def term_scores(documents: Iterable[SearchDocument]) -> Iterator[tuple[str, dict[int, float]]]:
    """Yield each term with the BM25F score of every document it occurs in, summed over fields.

    Terms come in code point order (the order Whoosh gave them in, as it sorts UTF-8 bytes).
    Documents must be numbered 0, 1, ... in the order they come.
    """
    index = _Index()
    for document in documents:
        index.add(document)
    fields = index.fields()
    for term in sorted(set().union(*index.postings)):
        yield term, _scores(term, fields, index.count)


@dataclass(frozen=True, slots=True)
class _Field:
    boost: float
    postings: dict[str, array[int]]  # term -> document << 32 | term frequency, by document
    denominators: array[float]  # per document: K1 * ((1 - B) + B * fl / avgfl)
    ratios: array[float]  # per document: the score over idf when the term occurs once


class _Index:
    """Per field: each term's postings, and each document's length (number of tokens)."""

    def __init__(self) -> None:
        self.postings: tuple[dict[str, array[int]], ...] = tuple({} for _ in FIELD_BOOSTS)
        self.lengths = tuple(array("I") for _ in FIELD_BOOSTS)

    @property
    def count(self) -> int:
        return len(self.lengths[0])

    def add(self, document: SearchDocument) -> None:
        doc = self.count
        if document.doc != doc:
            raise ValueError(f"documents must be numbered 0, 1, ...; got {document.doc}")
        for text, postings, lengths in zip(
            document.fields(), self.postings, self.lengths, strict=True
        ):
            tokens = tokenize(text)
            lengths.append(len(tokens))
            counts: dict[str, int] = {}
            for token in tokens:
                counts[token] = counts.get(token, 0) + 1
            base = doc << _TF_BITS
            for term, frequency in counts.items():
                if (found := postings.get(term)) is None:
                    postings[term] = array("Q", (base | frequency,))
                else:
                    found.append(base | frequency)

    def fields(self) -> list[_Field]:
        """What scoring needs per field, worked out once for every document."""
        fields = []
        every = zip(FIELD_BOOSTS.values(), self.postings, self.lengths, strict=True)
        for boost, postings, lengths in every:
            # Whoosh's average: the exact total over the number of documents, 1 when it is 0.
            average = (sum(lengths) / (self.count or 1)) or 1
            denominators = array(
                "d", (K1 * ((1 - B) + B * stored_length(n) / average) for n in lengths)
            )
            ratios = array("d", ((boost * (K1 + 1)) / (boost + d) for d in denominators))
            fields.append(_Field(boost, postings, denominators, ratios))
        return fields


def _scores(term: str, fields: list[_Field], count: int) -> dict[int, float]:
    """BM25F per field, ``idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))`` as
    Whoosh's ``scoring.bm25`` computes it (the same operations on the same operands, so the same
    bits), added up in field order. ``tf`` is the frequency times the field's boost."""
    scores: dict[int, float] = {}
    for field in fields:
        if (found := field.postings.get(term)) is None:
            continue
        idf = math.log(count / (len(found) + 1)) + 1
        for packed in found:
            doc = packed >> _TF_BITS
            if (frequency := packed & _TF_MASK) == 1:
                ratio = field.ratios[doc]
            else:
                weight = frequency * field.boost
                ratio = (weight * (K1 + 1)) / (weight + field.denominators[doc])
            scores[doc] = scores.get(doc, 0.0) + idf * ratio
    return scores
