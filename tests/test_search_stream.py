"""The search stage's interface: a stream of packages in, a stream of files out, a memo between."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest

from conftest import EXAMPLE_SITE, REPO, update_golden
from regsite.assemble import Site
from regsite.build import BuildOptions, read_site
from regsite.render import Output
from regsite.render.search import (
    SearchPackage,
    Shard,
    render_search,
    search_files,
    search_packages,
    shards_key,
)
from regsite.search.format import FEATURED, RECORDS_PER_SHARD, TERM_SHARD_BYTES
from searchsite import synthetic_site

GOLDEN = Path(__file__).parent / "golden" / "search-trees.json"


class Stream:
    """Packages handed over one at a time, as the build's database does; counts the passes."""

    def __init__(self, packages: Sequence[SearchPackage]) -> None:
        self.packages = packages
        self.passes = 0
        self.read = 0

    def __len__(self) -> int:
        return len(self.packages)

    def __iter__(self) -> Iterator[SearchPackage]:
        self.passes += 1
        for package in self.packages:
            self.read += 1
            yield dataclasses.replace(package)  # a fresh object each time, as a database row


class DictMemo:
    def __init__(self) -> None:
        self.kept: dict[str, list[Shard]] = {}
        self.stores = 0

    def load(self, key: str) -> Iterable[Shard] | None:
        return self.kept.get(key)

    def store(self, key: str, shards: Iterable[Shard]) -> None:
        self.stores += 1
        self.kept = {key: list(shards)}


@pytest.fixture(scope="module")
def example() -> Site:
    return read_site(BuildOptions(source=EXAMPLE_SITE, output=Path("unused")))


def tree(output: Output) -> dict[str, str]:
    return {path: hashlib.sha256(content).hexdigest() for path, content in sorted(output.items())}


def tree_digest(output: Output) -> str:
    digest = hashlib.sha256()
    for path, sha256 in tree(output).items():
        digest.update(f"{path} {sha256}\n".encode())
    return digest.hexdigest()


def check_golden(name: str, actual: object) -> None:
    golden = json.loads(GOLDEN.read_text())
    if update_golden():
        GOLDEN.write_text(json.dumps({**golden, name: actual}, indent=1, sort_keys=True) + "\n")
    assert actual == golden[name], f"the search tree of {name} differs from its golden digest"


# The published bytes ------------------------------------------------------------------------------
# The golden digests were taken from the index Whoosh's adapter built, before the streaming stage.


def test_example_site_search_tree_is_unchanged_byte_for_byte(example: Site) -> None:
    check_golden("example-site", tree(dict(search_files(Stream(search_packages(example))))))


def test_many_shard_search_tree_is_unchanged_byte_for_byte(example: Site) -> None:
    packages = search_packages(synthetic_site(example, 3000))
    check_golden("synthetic-3000", tree_digest(dict(search_files(Stream(packages)))))


@pytest.mark.slow
def test_benchmark_corpus_search_tree_is_unchanged_byte_for_byte() -> None:
    sys.path.insert(0, str(REPO / "bench"))
    from corpus import make_site

    packages = search_packages(make_site(2000))
    check_golden("bench-2000", tree_digest(dict(search_files(Stream(packages)))))


def test_render_search_adapter_gives_the_streamed_files(example: Site) -> None:
    assert render_search(example) == dict(search_files(search_packages(example)))


# Streaming --------------------------------------------------------------------------------------


def test_the_first_file_comes_after_one_record_block(example: Site) -> None:
    stream = Stream(search_packages(synthetic_site(example, 100)))
    files = search_files(stream)
    path, _ = next(files)
    assert (path, stream.read) == ("search/records/0.json", RECORDS_PER_SHARD)


def test_a_cold_stage_reads_the_packages_three_times(example: Site) -> None:
    stream = Stream(search_packages(example))
    files = dict(search_files(stream))
    assert stream.passes == 3 and "search/manifest.json" in files


def test_an_empty_registry_gets_an_index_that_finds_nothing() -> None:
    files = dict(search_files(Stream([])))
    manifest = json.loads(files["search/manifest.json"])
    assert manifest["documents"] == 0
    assert [manifest[kind] for kind in ("terms", "names", "typos")] == [[""], [""], [""]]
    assert json.loads(files["search/terms/0.json"]) == {"keys": [], "values": [], "records": []}
    assert not any(path.startswith("search/records/") for path in files)


def test_a_stream_that_changes_between_passes_is_an_error(example: Site) -> None:
    class Shrinking(Stream):
        def __iter__(self) -> Iterator[SearchPackage]:
            self.passes += 1
            yield from self.packages[: len(self.packages) - self.passes + 1]

    with pytest.raises(ValueError, match="a pass over the packages gave 17, but their len"):
        dict(search_files(Shrinking(search_packages(example))))


# The memo ---------------------------------------------------------------------------------------


def test_a_warm_stage_reads_the_packages_once_and_writes_the_same_files(example: Site) -> None:
    packages = search_packages(synthetic_site(example, 300))
    memo = DictMemo()
    cold = dict(search_files(Stream(packages), memo))
    warm_stream = Stream(packages)
    warm = dict(search_files(warm_stream, memo))
    assert cold == warm == dict(search_files(Stream(packages)))
    assert (memo.stores, warm_stream.passes) == (1, 1)
    assert list(memo.kept) == [shards_key(Stream(packages))]


def test_a_new_release_keeps_the_shards_and_changes_the_records(example: Site) -> None:
    packages = search_packages(example)
    memo = DictMemo()
    before = dict(search_files(Stream(packages), memo))
    bumped = [dataclasses.replace(packages[0], latest="99.0"), *packages[1:]]
    after = dict(search_files(Stream(bumped), memo))
    assert memo.stores == 1
    changed = {path for path in before if before[path] != after[path]}
    # The postings are kept; the records and the term shards show the new version.
    assert {path for path in changed if not path.startswith("search/terms/")} == {
        "search/records/0.json"
    }
    assert any(b'"99.0"' in after[path] for path in changed if path.startswith("search/terms/"))


@pytest.mark.parametrize(
    "change",
    [
        {"description": "Something else entirely."},
        {"keywords": ("other",)},
        {"headings": ("A new heading",)},
        {"dependents": 1000},
    ],
    ids=["description", "keywords", "headings", "dependents"],
)
def test_a_change_to_search_text_or_popularity_misses_the_memo(
    example: Site, change: dict[str, object]
) -> None:
    packages = search_packages(example)
    changed = [dataclasses.replace(packages[-1], **change), *packages[:-1]]  # type: ignore[arg-type]
    assert shards_key(Stream(changed)) != shards_key(Stream(packages))
    memo = DictMemo()
    dict(search_files(Stream(packages), memo))
    dict(search_files(Stream(changed), memo))
    assert memo.stores == 2


def test_a_memo_that_loses_what_it_stored_is_an_error(example: Site) -> None:
    class Forgetful(DictMemo):
        def load(self, key: str) -> Iterable[Shard] | None:
            return None

    with pytest.raises(RuntimeError, match="gave nothing back"):
        dict(search_files(Stream(search_packages(example)), Forgetful()))


def test_a_memo_round_trips_the_shards(example: Site) -> None:
    class Kept:
        def __init__(self) -> None:
            self.shards: dict[str, list[Shard]] = {}

        def load(self, key: str) -> Iterable[Shard] | None:
            return self.shards.get(key)

        def store(self, key: str, shards: Iterable[Shard]) -> None:
            self.shards = {key: list(shards)}

    kept = Kept()
    cold = render_search(example, kept)
    assert kept.shards and render_search(example, kept) == cold == render_search(example)


# The published term shards ----------------------------------------------------------------------


def test_term_shards_hold_exactly_their_terms_best_records_within_the_cut(example: Site) -> None:
    output = dict(search_files(Stream(search_packages(synthetic_site(example, 1500)))))
    boundaries = json.loads(output["search/manifest.json"])["terms"]
    assert len(boundaries) > 10
    last = ""
    for index, boundary in enumerate(boundaries):
        shard = json.loads(output[f"search/terms/{index}.json"])
        best: set[int] = set()
        for flat in shard["values"]:
            docs = list(itertools.accumulate(flat[0::2]))
            ranked = sorted(zip(flat[1::2], docs, strict=True), key=lambda p: (-p[0], p[1]))
            best |= {doc for _, doc in ranked[:FEATURED]}
        assert [row[0] for row in shard["records"]] == sorted(best)
        assert len(output[f"search/terms/{index}.json"]) < 2 * TERM_SHARD_BYTES
        # The first key as the manifest lists it: the shortest start of the shard's first term
        # that sorts after the previous shard's last term.
        first = shard["keys"][0]
        if index:
            assert first.startswith(boundary) and last < boundary <= first
            assert not last < boundary[:-1]
        last = shard["keys"][-1]
