"""BM25F for every term, from our own term counts, with Whoosh 2.7.4's arithmetic.

The published scores are the ones Whoosh computed when it indexed the packages
(docs/decisions.md 13). Whoosh's writer cost about 12 µs per posting and held the whole index in
memory; counting the terms here gives the same floating-point numbers, bit for bit, in a fraction
of the time, from an index of about 4 bytes per posting. ``tests/test_search_engine.py`` checks
them against Whoosh itself. What leaves this module is a stream of ``(term, {document: score})``
in term order, from which ``render.search`` writes shards.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial

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
_TF_BITS = 32  # a repeated term's posting is packed as document << 32 | term frequency
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
    fields = tuple(_FieldIndex(boost) for boost in FIELD_BOOSTS.values())
    count = 0
    for document in documents:
        if document.doc != count:
            raise ValueError(f"documents must be numbered 0, 1, ...; got {document.doc}")
        for field, text in zip(fields, document.fields(), strict=True):
            field.add(count, text)
        count += 1
    scoring = [field.scoring(count) for field in fields]
    for term in sorted(
        set().union(*(field.once for field in fields), *(f.repeated for f in fields))
    ):
        yield term, _scores(term, scoring, count)


class _FieldIndex:
    """One field's postings, and each document's length in it (its number of tokens)."""

    def __init__(self, boost: float) -> None:
        self.boost = boost
        self.once: defaultdict[str, array[int]] = defaultdict(partial(array, "I"))  # documents
        self.repeated: defaultdict[str, array[int]] = defaultdict(partial(array, "Q"))
        self.lengths = array("I")

    def add(self, doc: int, text: str) -> None:
        tokens = tokenize(text)
        self.lengths.append(len(tokens))
        once = self.once
        if len(set(tokens)) == len(tokens):  # the common case: every term occurs once
            for term in tokens:
                once[term].append(doc)
            return
        for term, frequency in Counter(tokens).items():
            if frequency == 1:
                once[term].append(doc)
            else:
                self.repeated[term].append(doc << _TF_BITS | frequency)

    def scoring(self, count: int) -> _Scoring:
        """What scoring needs of this field, worked out once for every document."""
        # Whoosh's average: the exact total over the number of documents, 1 when that is 0.
        average = (sum(self.lengths) / (count or 1)) or 1
        denominators = array(
            "d", (K1 * ((1 - B) + B * stored_length(n) / average) for n in self.lengths)
        )
        boost = self.boost
        ratios = array("d", ((boost * (K1 + 1)) / (boost + d) for d in denominators))
        return _Scoring(boost, self.once, self.repeated, denominators, ratios)


@dataclass(frozen=True, slots=True)
class _Scoring:
    boost: float
    once: Mapping[str, array[int]]  # term -> the documents it occurs in once, in order
    repeated: Mapping[str, array[int]]  # term -> document << 32 | frequency, for the others
    denominators: array[float]  # per document: K1 * ((1 - B) + B * fl / avgfl)
    ratios: array[float]  # per document: (tf * (K1 + 1)) / (tf + denominator) for one occurrence


def _scores(term: str, fields: list[_Scoring], count: int) -> dict[int, float]:
    """BM25F per field, ``idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))`` as
    Whoosh's ``scoring.bm25`` computes it (the same operations on the same operands, so the same
    bits), added up in field order. ``tf`` is the frequency times the field's boost."""
    scores: dict[int, float] = {}
    for field in fields:
        once = field.once.get(term, ())
        repeated = field.repeated.get(term, ())
        if not once and not repeated:
            continue
        idf = math.log(count / (len(once) + len(repeated) + 1)) + 1
        ratios = field.ratios
        if not scores:  # the term's first field: 0.0 + x is x, bit for bit
            scores = {doc: idf * ratios[doc] for doc in once}
        else:
            for doc in once:
                scores[doc] = scores.get(doc, 0.0) + idf * ratios[doc]
        for packed in repeated:
            doc = packed >> _TF_BITS
            weight = (packed & _TF_MASK) * field.boost
            ratio = (weight * (K1 + 1)) / (weight + field.denominators[doc])
            scores[doc] = scores.get(doc, 0.0) + idf * ratio
    return scores
