"""Search renderer: the sharded static index under ``search/`` (format in docs/search.md)."""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from regsite.model import Site
from regsite.render import Output
from regsite.render.api import dump_json
from regsite.search.engine import SearchDocument, term_scores
from regsite.search.format import (
    FORMAT,
    MANIFEST,
    MAX_POSTINGS,
    RECORDS_PER_SHARD,
    SHARD_BYTES,
    SUMMARY_LENGTH,
    TYPO_MIN_LENGTH,
    shard_path,
    typo_keys,
)
from regsite.search.tokenizer import TOKENIZER_ID, join_key
from regsite.summary import PackageSummary

__all__ = ["TermsCache", "render_search", "search_order", "search_terms_key"]

_SCORE_SCALE = 1000  # BM25F scores become integers with three significant decimals


def search_order(site: Site) -> list[PackageSummary]:
    """Documents are numbered most depended-upon first, so a lower number is the more popular.

    Every tie in ranking is broken by this number, and the top hits share few record shards.
    """
    return sorted(
        site.packages.values(),
        key=lambda package: (-len(site.dependents.get(package.name, ())), package.name),
    )


def search_terms_key(site: Site) -> str:
    """A digest of everything the term shards are computed from (the expensive part)."""
    digest = hashlib.sha256(f"{FORMAT} {TOKENIZER_ID}".encode())
    for package in search_order(site):
        document = _document(0, package)
        parts = (package.name, *document.keywords, document.description, *document.headings)
        digest.update(repr((parts, len(site.dependents.get(package.name, ())))).encode())
    return digest.hexdigest()


def render_search(site: Site, terms_cache: TermsCache | None = None) -> Output:
    """The whole ``search/`` tree; ``terms_cache`` may hold the term shards from a build whose
    :func:`search_terms_key` was the same, so Whoosh runs only when search text changed."""
    packages = search_order(site)
    popularity = [len(site.dependents.get(package.name, ())) for package in packages]
    output: Output = {}
    cached = terms_cache.load() if terms_cache is not None else None
    if cached is None:
        shards: Output = {}
        terms = _shards(shards, "terms", _term_entries(packages, popularity))
        if terms_cache is not None:
            terms_cache.store((terms, shards))
    else:
        terms, shards = cached
    output.update(shards)
    names = _shards(output, "names", _name_entries(packages))
    typos = _shards(output, "typos", _typo_entries(packages))
    for start in range(0, len(packages), RECORDS_PER_SHARD):
        chunk = range(start, min(start + RECORDS_PER_SHARD, len(packages)))
        records = [_record(packages[doc], popularity[doc]) for doc in chunk]
        output[f"search/records/{start // RECORDS_PER_SHARD}.json"] = dump_json(records)
    output[MANIFEST] = dump_json(
        {
            "format": FORMAT,
            "tokenizer": TOKENIZER_ID,
            "documents": len(packages),
            "terms": terms,
            "names": names,
            "typos": typos,
        }
    )
    return output


class TermsCache(Protocol):
    def load(self) -> tuple[list[str], Output] | None: ...
    def store(self, value: tuple[list[str], Output]) -> None: ...


def _term_entries(packages: Sequence[PackageSummary], popularity: Sequence[int]) -> Iterator[Entry]:
    documents = (_document(doc, package) for doc, package in enumerate(packages))
    for term, scores in term_scores(documents):
        ranked = sorted(
            ((doc, _integer_score(score, popularity[doc])) for doc, score in scores.items()),
            key=lambda item: (-item[1], item[0]),
        )[:MAX_POSTINGS]
        ranked.sort()
        flat: list[int] = []
        previous = 0
        for doc, score in ranked:
            flat += [doc - previous, score]  # document numbers as gaps: smaller once gzipped
            previous = doc
        yield term, flat


def _integer_score(score: float, dependents: int) -> int:
    """Relevance times a popularity factor that grows with the log of the dependents."""
    return max(1, round(score * _SCORE_SCALE * (1 + math.log2(1 + dependents) / 4)))


def _document(doc: int, package: PackageSummary) -> SearchDocument:
    return SearchDocument(
        doc=doc,
        name=package.name,
        keywords=package.keywords,
        description=package.description,
        headings=package.headings,
    )


Entry = tuple[str, list[Any]]


def _name_entries(packages: Sequence[PackageSummary]) -> Iterator[Entry]:
    """Key -> [doc, kind, ...]: kind 0 when the key is the name, 1 when it is the joined name."""
    keys: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for doc, package in enumerate(packages):
        keys[package.name].append((0, doc))
        if (joined := join_key(package.name)) != package.name:
            keys[joined].append((1, doc))
    for key in sorted(keys):
        yield key, [value for kind, doc in sorted(keys[key]) for value in (doc, kind)]


def _typo_entries(packages: Sequence[PackageSummary]) -> Iterator[Entry]:
    """Typo key -> [name, doc, ...]; see :func:`regsite.search.format.typo_keys`."""
    keys: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for doc, package in enumerate(packages):
        joined = join_key(package.name)
        if len(joined) >= TYPO_MIN_LENGTH:
            for key in typo_keys(joined):
                keys[key].append((doc, package.name))
    for key in sorted(keys):
        yield key, [value for doc, name in keys[key] for value in (name, doc)]


def _shards(output: Output, kind: str, entries: Iterable[Entry]) -> list[str]:
    """Cut sorted entries into shards of about SHARD_BYTES; return each shard's first key."""
    boundaries: list[str] = []
    keys: list[str] = []
    values: list[list[Any]] = []
    size = 0

    def flush() -> None:
        nonlocal size
        output[shard_path(kind, len(boundaries))] = dump_json({"keys": keys, "values": values})
        boundaries.append("" if not boundaries else keys[0])
        keys.clear()
        values.clear()
        size = 0

    for key, value in entries:
        if keys and size >= SHARD_BYTES:
            flush()
        keys.append(key)
        values.append(value)
        size += len(key) + 8 + _json_length(value)
    flush()
    return boundaries


def _json_length(values: list[Any]) -> int:
    """About the length of ``values`` as compact JSON (numbers here are mostly 1-5 digits)."""
    if values and isinstance(values[0], str):  # typo buckets: [name, doc, name, doc, ...]
        return sum(len(name) + 3 for name in values[0::2]) + 5 * len(values[1::2])
    return 4 * len(values)


def _record(package: PackageSummary, dependents: int) -> list[Any]:
    latest = package.latest
    return [
        package.name,
        str(latest.version) if latest else None,
        _summary(package.description),
        str(package.status),
        dependents,
    ]


def _summary(description: str) -> str:
    if len(description) <= SUMMARY_LENGTH:
        return description
    return description[: SUMMARY_LENGTH - 1].rstrip() + "…"
