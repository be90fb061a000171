"""The browser's ranking (search-core.js, run by node) and `regsite search` agree hit for hit."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest

from conftest import EXAMPLE_SITE, REPO, require_tool
from regsite.build import BuildOptions, read_site
from regsite.commands.search import DirectorySource
from regsite.render import Output
from regsite.render.search import render_search
from regsite.search.query import Searcher
from searchsite import WORDS, synthetic_site

RANK = REPO / "tests" / "js" / "rank.js"


def write(output: Output, root: Path) -> Path:
    for path, content in output.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content)
    return root


def python_ranking(site: Path, queries: list[str]) -> list[dict[str, object]]:
    searcher = Searcher(DirectorySource(site))
    results = []
    for query in queries:
        found = searcher.search(query)
        records = searcher.records([hit.doc for hit in found.hits])
        hits = [
            [record.name, hit.tier.name.lower(), hit.matched, hit.score]
            for hit, record in zip(found.hits, records, strict=True)
        ]
        results.append(
            {
                "query": query,
                "searched": found.query,
                "truncated": found.truncated,
                "hits": hits,
                "suggestion": found.suggestion,
            }
        )
    return results


def node_ranking(site: Path, queries: list[str]) -> list[dict[str, object]]:
    node = require_tool("node")
    completed = subprocess.run(
        [node, str(RANK), str(site)],
        input=json.dumps(queries),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(completed.stdout)


def queries_for(names: list[str], rng: random.Random) -> list[str]:
    queries = ["", "   ", "🚀", "HTTP_Kit", "http kit", "σοφος", "CAFE", "データ", "漢"]
    # Cut at 100 code points: an emoji is one code point but two UTF-16 units in JavaScript.
    queries += ["😀" * 98 + "json", "json " * 30, "x" * 100, "x" * 101 + "json"]
    for name in rng.sample(names, min(60, len(names))):
        queries += [name, name.replace("-", " "), name.replace("-", ""), name[:2], name[:4]]
        if len(name) > 4:
            cut = rng.randrange(len(name))
            queries.append(name[:cut] + name[cut + 1 :])  # one letter missing
            queries.append(
                name[:cut] + name[cut + 1 : cut + 2] + name[cut : cut + 1] + name[cut + 2 :]
            )
    for _ in range(80):
        queries.append(" ".join(rng.choices(WORDS, k=rng.randint(1, 3))))
        queries.append(rng.choice(WORDS)[: rng.randint(1, 4)])
    return queries


def test_example_site_ranks_the_same_in_node_and_python(tmp_path: Path) -> None:
    site = read_site(BuildOptions(source=EXAMPLE_SITE, output=tmp_path))
    root = write(render_search(site), tmp_path)
    queries = queries_for(list(site.packages), random.Random(1))
    assert node_ranking(root, queries) == python_ranking(root, queries)


@pytest.mark.slow
def test_a_many_shard_site_ranks_the_same_in_node_and_python(tmp_path: Path) -> None:
    base = read_site(BuildOptions(source=EXAMPLE_SITE, output=tmp_path))
    site = synthetic_site(base, 3000)
    output = render_search(site)
    manifest = json.loads(output["search/manifest.json"])
    assert len(manifest["terms"]) > 1 and len(manifest["names"]) > 1 and len(manifest["typos"]) > 1
    root = write(output, tmp_path)
    queries = queries_for(list(site.packages), random.Random(2))
    python = python_ranking(root, queries)
    assert sum(bool(result["hits"]) for result in python) > len(queries) / 2
    assert sum(bool(result["suggestion"]) for result in python) > 10
    assert node_ranking(root, queries) == python
