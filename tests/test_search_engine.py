"""Our BM25F gives Whoosh 2.7.4's scores bit for bit, so the published integers are Whoosh's."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.util.numeric import byte_to_length, length_to_byte

import regsite.render.search as search_module
from conftest import EXAMPLE_SITE, REPO
from regsite.build import BuildOptions, read_site
from regsite.render.search import SearchPackage, search_files, search_packages
from regsite.search.engine import SearchDocument, stored_length, term_scores
from whoosh_reference import whoosh_term_scores

Scores = list[tuple[str, dict[int, float]]]


def documents(packages: Sequence[SearchPackage]) -> list[SearchDocument]:
    return [
        SearchDocument(doc, p.name, p.keywords, p.description, p.headings)
        for doc, p in enumerate(packages)
    ]


def assert_same_scores(ours: Scores, whoosh: Scores) -> None:
    """The same terms in the same order, each with the same documents and the same floats."""
    assert [term for term, _ in ours] == [term for term, _ in whoosh]
    for (term, mine), (_, theirs) in zip(ours, whoosh, strict=True):
        assert mine == theirs, term  # == on floats: every bit, not an approximation


@pytest.fixture(scope="module")
def example_packages() -> list[SearchPackage]:
    return search_packages(read_site(BuildOptions(source=EXAMPLE_SITE, output=Path("unused"))))


@pytest.fixture(scope="module")
def bench_packages() -> list[SearchPackage]:
    sys.path.insert(0, str(REPO / "bench"))
    from corpus import make_site

    return search_packages(make_site(3000))


def test_field_lengths_are_rounded_as_whoosh_stores_them() -> None:
    lengths = [*range(0, 5000), *range(5000, 120_000, 97), 106_373, 106_374, 106_375, 10**7]
    assert [stored_length(n) for n in lengths] == [
        byte_to_length(length_to_byte(n)) for n in lengths
    ]


def test_example_site_scores_are_whooshs(example_packages: list[SearchPackage]) -> None:
    docs = documents(example_packages)
    assert_same_scores(list(term_scores(docs)), list(whoosh_term_scores(docs)))


@pytest.mark.slow
def test_benchmark_corpus_scores_are_whooshs(bench_packages: list[SearchPackage]) -> None:
    docs = documents(bench_packages)
    assert_same_scores(list(term_scores(docs)), list(whoosh_term_scores(docs)))


@pytest.mark.slow
def test_benchmark_corpus_published_integers_are_whooshs(
    bench_packages: list[SearchPackage], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = dict(search_files(bench_packages))
    monkeypatch.setattr(search_module, "term_scores", whoosh_term_scores)
    assert dict(search_files(bench_packages)) == ours


def test_example_site_published_integers_are_whooshs(
    example_packages: list[SearchPackage], monkeypatch: pytest.MonkeyPatch
) -> None:
    ours = dict(search_files(example_packages))
    monkeypatch.setattr(search_module, "term_scores", whoosh_term_scores)
    assert dict(search_files(example_packages)) == ours


_WORDS = st.sampled_from(["http", "json", "kit", "café", "漢字", "x", "2", "data", "ñandú", "ǅemo"])
_TEXT = st.lists(_WORDS, max_size=40).map(" ".join)


@st.composite
def _documents(draw: st.DrawFn) -> list[SearchDocument]:
    """Repeated words, empty fields, long headings: every shape a term frequency can take."""
    count = draw(st.integers(min_value=1, max_value=12))
    return [
        SearchDocument(
            doc=doc,
            name=draw(st.lists(_WORDS, min_size=1, max_size=3).map("-".join)),
            keywords=tuple(draw(st.lists(_WORDS, max_size=6))),
            description=draw(_TEXT),
            headings=tuple(draw(st.lists(_TEXT, max_size=5))),
        )
        for doc in range(count)
    ]


@settings(max_examples=60, deadline=None)
@given(_documents())
def test_any_documents_score_as_whoosh_scores_them(docs: list[SearchDocument]) -> None:
    assert_same_scores(list(term_scores(docs)), list(whoosh_term_scores(docs)))


def test_headings_longer_than_a_length_byte_score_as_whoosh_scores_them() -> None:
    long = ("data " * 60_000, "kit " * 50_000)  # 110,000 tokens: past Whoosh's largest length
    docs = [
        SearchDocument(0, "data-kit", ("data",), "A data kit.", long),
        SearchDocument(1, "kit", (), "kit kit kit", ("Kit",)),
        SearchDocument(2, "other", (), "", ()),
    ]
    assert_same_scores(list(term_scores(docs)), list(whoosh_term_scores(docs)))


def test_documents_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="numbered 0, 1"):
        list(term_scores([SearchDocument(1, "a", (), "", ())]))
