"""Search: the tokenizer, the export format and the ranking, in Python (the browser's in node)."""

from __future__ import annotations

import itertools
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from builder import SourceBuilder, release
from conftest import EXAMPLE_SITE
from regsite.build import BuildOptions, build_files, read_site
from regsite.commands.search import DirectorySource
from regsite.render import Output
from regsite.render.search import render_search, search_order
from regsite.search.format import (
    FEATURED,
    MAX_POSTINGS,
    RECORDS_PER_SHARD,
    shard_index,
    typo_keys,
)
from regsite.search.query import Searcher, SearchError, Tier, one_typo_apart
from regsite.search.tokenizer import TOKENIZER_ID, tokenize

VECTORS = Path(__file__).parent / "search"


def vectors(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


class OutputSource:
    """Shards straight from a renderer's output, counting what a query loads."""

    def __init__(self, output: Output) -> None:
        self.output = output
        self.loaded: list[str] = []

    def load(self, path: str) -> Any:
        self.loaded.append(path)
        return json.loads(self.output[path])


@pytest.fixture(scope="module")
def example_output() -> Output:
    site = read_site(BuildOptions(source=EXAMPLE_SITE, output=Path("unused")))
    return render_search(site)


def searcher(output: Output) -> Searcher:
    return Searcher(OutputSource(output))


def names(output: Output, query: str) -> list[str]:
    found = searcher(output)
    return [record.name for record in found.records([hit.doc for hit in found.search(query).hits])]


# The tokenizer ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "vector", vectors("tokenizer-vectors.json")["vectors"], ids=lambda v: v["note"]
)
def test_tokenizer_vectors(vector: dict[str, Any]) -> None:
    assert tokenize(vector["text"]) == vector["tokens"]


def test_vectors_are_for_this_tokenizer() -> None:
    assert vectors("tokenizer-vectors.json")["tokenizer"] == TOKENIZER_ID


def test_python_alphanumerics_are_exactly_unicode_letters_and_numbers() -> None:
    """The tokenizer's regex relies on ``[^\\W_]`` meaning general categories L* and N*."""
    alphanumeric = re.compile(r"[^\W_]")
    differ = [
        code
        for code in range(sys.maxunicode + 1)
        if bool(alphanumeric.match(chr(code))) != (unicodedata.category(chr(code))[0] in "LN")
    ]
    assert differ == []


@pytest.mark.parametrize("text", ["Hello_World-2", "a.b-c_d", "  C++ 3.14 don't ", "x" * 300])
def test_ascii_fast_path_agrees_with_the_general_rule(text: str) -> None:
    from regsite.search.tokenizer import _token_pattern

    general = _token_pattern().findall(
        unicodedata.normalize("NFKC", text).lower().replace("_", " ")
    )
    assert tokenize(text) == general


def test_one_typo_vectors() -> None:
    for a, b, expected in vectors("typo-vectors.json")["vectors"]:
        assert one_typo_apart(a, b) is expected, (a, b)
        assert one_typo_apart(b, a) is expected, (b, a)


def test_code_point_order_vectors_are_python_order() -> None:
    ordered = vectors("order-vectors.json")["sorted"]
    assert sorted(ordered) == ordered


def test_shard_index_and_typo_keys() -> None:
    assert [shard_index(["", "d", "m"], key) for key in ("a", "d", "lz", "zz")] == [0, 1, 1, 2]
    assert typo_keys("requests") == ("p:re:08", "s:ts:08")
    assert typo_keys("requests", 9) == ("p:re:09", "s:ts:09")


# The export ---------------------------------------------------------------------------------------


def test_manifest_holds_boundaries_only(example_output: Output) -> None:
    manifest = json.loads(example_output["search/manifest.json"])
    assert manifest["format"] == 3 and manifest["tokenizer"] == TOKENIZER_ID
    assert manifest["documents"] == 18
    assert set(manifest) == {"format", "tokenizer", "documents", "terms", "names", "typos"}
    for kind in ("terms", "names", "typos"):
        assert manifest[kind][0] == ""
        assert all(f"search/{kind}/{i}.json" in example_output for i in range(len(manifest[kind])))


def test_a_term_shard_holds_each_terms_best_records(example_output: Output) -> None:
    manifest = json.loads(example_output["search/manifest.json"])
    records = [
        [16 * number + i, *record]
        for number in range(2)
        for i, record in enumerate(json.loads(example_output[f"search/records/{number}.json"]))
    ]
    for index in range(len(manifest["terms"])):
        terms = json.loads(example_output[f"search/terms/{index}.json"])
        for term, flat in zip(terms["keys"], terms["values"], strict=True):
            docs = list(itertools.accumulate(flat[0::2]))
            best = sorted(zip(flat[1::2], docs, strict=True), key=lambda p: (-p[0], p[1]))
            held = {row[0]: row for row in terms["records"]}
            assert all(held[doc] == records[doc] for _, doc in best[:FEATURED]), term
        assert [row[0] for row in terms["records"]] == sorted(held)  # each once, by document


def test_a_one_word_cold_query_fetches_no_record_file(example_output: Output) -> None:
    loaded: list[str] = []

    class Source:
        def load(self, path: str) -> object:
            loaded.append(path)
            return json.loads(example_output[path])

    searcher = Searcher(Source())
    for query in ("json", "http", "colours", "flagpole", "te"):
        found = searcher.search(query)
        shown = searcher.records([hit.doc for hit in found.hits[:10]])
        assert shown and all(record.name for record in shown)
    assert not [path for path in loaded if path.startswith("search/records/")]


def test_documents_are_numbered_most_depended_upon_first(example_output: Output) -> None:
    records = json.loads(example_output["search/records/0.json"])
    dependents = [record[4] for record in records]
    assert dependents == sorted(dependents, reverse=True)
    assert [record[0] for record in records][:2] == ["hue", "text-utils"]


def test_scores_are_positive_integers_and_postings_are_gaps(example_output: Output) -> None:
    shard = json.loads(example_output["search/terms/0.json"])
    assert shard["keys"] == sorted(shard["keys"]) and "terminal" in shard["keys"]
    for flat in shard["values"]:
        assert all(isinstance(value, int) and value >= 0 for value in flat)
        assert all(score >= 1 for score in flat[1::2])
        assert sum(flat[0::2]) < 18  # gaps add up to the last document number


def test_readme_headings_are_indexed(builder: SourceBuilder, tmp_path: Path) -> None:
    readme = "# Gamma\n\n## Zygomorphic widgets\n\nbody text unindexed\n"
    builder.add_package("gamma", ["alice"], [release("gamma", "1.0.0")], readme=readme)
    output = render_search(read_site(BuildOptions(source=builder.write(tmp_path), output=tmp_path)))
    assert names(output, "zygomorphic") == ["gamma"]
    assert names(output, "unindexed") == []


def test_a_term_keeps_only_its_best_postings(builder: SourceBuilder, tmp_path: Path) -> None:
    site = read_site(BuildOptions(source=builder.write(tmp_path), output=tmp_path))
    many = _many_packages(site, MAX_POSTINGS + 5)
    output = render_search(many)
    found = searcher(output).search("common")
    assert len(found.hits) == MAX_POSTINGS
    assert json.loads(output["search/manifest.json"])["documents"] == MAX_POSTINGS + 5 + 2
    assert f"search/records/{(MAX_POSTINGS + 6) // RECORDS_PER_SHARD}.json" in output


def _many_packages(site: Any, count: int) -> Any:
    import dataclasses

    template = site.packages["beta"]
    packages = dict(site.packages)
    for number in range(count):
        name = f"pkg{number:05d}"
        packages[name] = dataclasses.replace(
            template, name=name, description=f"common word number {number}", headings=()
        )
    return dataclasses.replace(site, packages=dict(sorted(packages.items())))


def test_search_output_is_deterministic(example_output: Output) -> None:
    site = read_site(BuildOptions(source=EXAMPLE_SITE, output=Path("unused")))
    assert render_search(site) == example_output


# Ranking ------------------------------------------------------------------------------------------


def test_exact_name_comes_first(example_output: Output) -> None:
    assert names(example_output, "http-kit")[0] == "http-kit"
    assert names(example_output, "HTTP_Kit")[0] == "http-kit"
    assert names(example_output, "http kit")[0] == "http-kit"


def test_name_with_separators_removed_matches(example_output: Output) -> None:
    found = searcher(example_output).search("httpkit")
    assert [hit.tier for hit in found.hits][:1] == [Tier.JOINED]
    assert names(example_output, "httpkit")[0] == "http-kit"
    assert names(example_output, "textutils")[0] == "text-utils"


def test_prefixes_of_names_come_before_text_matches(example_output: Output) -> None:
    found = searcher(example_output).search("http")
    tiers = [hit.tier for hit in found.hits]
    assert tiers == sorted(tiers) and tiers[:2] == [Tier.PREFIX, Tier.PREFIX]
    assert set(names(example_output, "http")[:2]) == {"http-kit", "http-serve"}


def test_text_matches_rank_by_words_matched_then_score(example_output: Output) -> None:
    found = searcher(example_output).search("terminal colours")
    assert names(example_output, "terminal colours")[0] == "hue"
    text = [hit for hit in found.hits if hit.tier is Tier.TEXT]
    keys = [(-hit.matched, -hit.score, hit.doc) for hit in text]
    assert keys == sorted(keys) and text[0].matched == 2


def test_the_last_word_counts_as_a_prefix(example_output: Output) -> None:
    assert names(example_output, "termin") == names(example_output, "terminal")
    assert "hue" in names(example_output, "colou")


def test_a_typo_gets_a_suggestion(example_output: Output) -> None:
    for typo, meant in [
        ("flagpoel", "flagpole"),
        ("lgoline", "logline"),
        ("rootstok", "rootstock"),
    ]:
        found = searcher(example_output).search(typo)
        assert found.suggestion == meant, typo
    assert searcher(example_output).search("flagpole").suggestion is None
    assert searcher(example_output).search("zzzzzzzz").suggestion is None


@pytest.mark.parametrize("query", ["", "   ", "!!!", "🚀"])
def test_a_query_without_words_finds_nothing(example_output: Output, query: str) -> None:
    found = searcher(example_output).search(query)
    assert found.hits == () and found.suggestion is None


def test_a_cold_query_loads_few_files(example_output: Output) -> None:
    source = OutputSource(example_output)
    found = Searcher(source)
    hits = found.search("http kit").hits
    found.records([hit.doc for hit in hits])
    assert len(source.loaded) == len(set(source.loaded)) <= 5


def test_every_package_is_found_by_its_name(example_output: Output) -> None:
    site = read_site(BuildOptions(source=EXAMPLE_SITE, output=Path("unused")))
    order = [package.name for package in search_order(site)]
    for name in site.packages:
        hit = searcher(example_output).search(name).hits[0]
        assert (order[hit.doc], hit.tier) == (name, Tier.EXACT)


# Bad indexes --------------------------------------------------------------------------------------


def test_an_unknown_format_is_refused(example_output: Output) -> None:
    output = dict(example_output)
    output["search/manifest.json"] = b'{"format": 2}'  # display shards, apart from the terms
    with pytest.raises(SearchError, match="expected search format 3"):
        searcher(output)


def test_another_tokenizer_is_refused(example_output: Output) -> None:
    output = dict(example_output)
    manifest = json.loads(output["search/manifest.json"])
    output["search/manifest.json"] = json.dumps({**manifest, "tokenizer": "x/9"}).encode()
    with pytest.raises(SearchError, match="tokenizer is 'x/9'"):
        searcher(output)


@pytest.mark.parametrize(
    "shard",
    [b'{"keys": ["a"]}', b'{"keys": "ab", "values": [1]}', b"[]", b'{"keys":[1],"values":[2]}'],
)
def test_a_malformed_shard_is_a_clean_error(example_output: Output, shard: bytes) -> None:
    output = dict(example_output)
    output["search/names/0.json"] = shard
    with pytest.raises(SearchError, match="search/"):
        searcher(output).search("hue")


@pytest.mark.parametrize(
    "records",
    [None, "[]", [[0, "hue"]], [["0", "hue", None, "", "active", 0]], [[0, 1, None, "", "a", 0]]],
)
def test_a_term_shard_with_malformed_records_is_a_clean_error(
    example_output: Output, records: object
) -> None:
    output = dict(example_output)
    shard = json.loads(output["search/terms/0.json"])
    output["search/terms/0.json"] = json.dumps({**shard, "records": records}).encode()
    with pytest.raises(SearchError, match=r"search/terms/0\.json: expected"):
        searcher(output).search("terminal")


def test_a_directory_without_an_index_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(SearchError, match=r"manifest\.json: not found"):
        Searcher(DirectorySource(tmp_path))
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "manifest.json").write_bytes(b"{nope")
    with pytest.raises(SearchError, match="not valid JSON"):
        Searcher(DirectorySource(tmp_path))


def test_search_files_are_part_of_the_site(builder: SourceBuilder, tmp_path: Path) -> None:
    output = build_files(BuildOptions(source=builder.write(tmp_path), output=tmp_path))
    assert "search/manifest.json" in output and "search/index.html" in output


# README headings --------------------------------------------------------------------------------

HEADING_CASES = [
    "# One\n\ntext\n\n## Two ##\n",
    "Setext one\n==========\n\nSetext two\n---\n",
    "two line\nparagraph\n===\n",
    "```\n# not a heading\n```\n# After\n",
    "~~~~python\n# comment\n~~~\n~~~~\n## Closed\n",
    "    # indented code\n\n# Real\n",
    "#NoSpace\n#\n# \n###### Six\n####### Seven\n",
    "text\n\n---\n\n# [Link](https://x.example) and ![img](a.png) *em* `code`\n",
    "- item\n\n# Under a list\n",
    "# Trailing #s ###\n  ## Indented two\n",
]


@pytest.mark.parametrize("text", HEADING_CASES)
def test_readme_headings_agree_with_markdown_it(text: str) -> None:
    from regsite.render.markdown import _parser, readme_headings

    tokens = _parser().parse(text)
    expected = tuple(
        heading
        for index, token in enumerate(tokens[:-1])
        if token.type == "heading_open"
        if (heading := " ".join(tokens[index + 1].content.split()))
    )
    expected = tuple(
        re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("*", "").replace("`", "")
        for heading in expected
    )
    assert readme_headings(text) == expected


def test_readme_headings_of_the_example_site_agree_with_markdown_it() -> None:
    from regsite.render.markdown import _parser, readme_headings

    for readme in sorted(EXAMPLE_SITE.glob("packages/*/README.md")):
        text = readme.read_text(encoding="utf-8")
        tokens = _parser().parse(text)
        inline = [
            tokens[i + 1] for i, token in enumerate(tokens[:-1]) if token.type == "heading_open"
        ]
        expected = tuple(
            " ".join(
                "".join(
                    c.content for c in t.children or () if c.type in {"text", "code_inline"}
                ).split()
            )
            for t in inline
        )
        assert readme_headings(text) == expected, readme


# "Did you mean" only on a miss --------------------------------------------------------------------


def test_no_suggestion_when_some_package_matches_every_word(example_output: Output) -> None:
    source = OutputSource(example_output)
    found = Searcher(source).search("terminal colours")
    assert found.suggestion is None
    assert not any(path.startswith("search/typos/") for path in source.loaded)


def test_a_suggestion_when_a_word_matches_nothing(example_output: Output) -> None:
    found = searcher(example_output).search("logline terminal")  # an exact name: no miss
    assert found.suggestion is None
    found = searcher(example_output).search("sundail")
    assert found.suggestion == "sundial"
