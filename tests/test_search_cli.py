"""``regsite search`` over a built site's directory and over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import serving
from regsite.cli import main
from test_cli import run


@pytest.fixture
def site(example_build: Path) -> Path:
    return example_build


@pytest.fixture(scope="module")
def site_url(example_build: Path) -> Iterator[str]:
    with serving(example_build) as url:
        yield url + "/"


def test_text_output_lists_ranked_packages(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    code, out, _ = run(capsys, "search", "http", "--site", str(site))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "3 packages match 'http'"
    assert lines[1].split()[:2] == ["1.", "http-serve"] and "(prefix)" in lines[1]
    assert "trellis" in out and "(text)" in out
    code, out, _ = run(capsys, "search", "retry", "--site", str(site))
    assert code == 0 and out.splitlines()[0] == "1 package matches 'retry'"


def test_json_output_carries_the_integer_scores(
    capsys: pytest.CaptureFixture[str], site: Path
) -> None:
    code, out, _ = run(capsys, "search", "terminal colours", "--site", str(site), "--json")
    document = json.loads(out)
    assert code == 0 and out.endswith("\n")
    assert document["tokens"] == ["terminal", "colours"]
    assert document["total"] == len(document["results"]) >= 2
    first = document["results"][0]
    assert (first["name"], first["match"], first["matched_tokens"]) == ("hue", "text", 2)
    assert isinstance(first["score"], int) and first["url"] == "packages/hue/"


def test_limit_and_suggestion(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    _, out, _ = run(capsys, "search", "h", "--site", str(site), "--limit", "2")
    assert "(showing 2)" in out.splitlines()[0] and "  3. " not in out
    _, out, _ = run(capsys, "search", "flagpoel", "--site", str(site))
    assert out.splitlines() == ["0 packages match 'flagpoel'", "Did you mean 'flagpole'?"]


def test_search_over_http_gives_absolute_urls(
    capsys: pytest.CaptureFixture[str], site: Path, site_url: str
) -> None:
    _, over_http, _ = run(capsys, "search", "json", "--site", site_url, "--json")
    _, on_disk, _ = run(capsys, "search", "json", "--site", str(site), "--json")
    remote, local = json.loads(over_http), json.loads(on_disk)
    assert remote["results"][0]["url"] == site_url + local["results"][0]["url"]
    for result in (*remote["results"], *local["results"]):
        del result["url"]
    assert remote == local
    code, _, _ = run(capsys, "search", "json", "--site", site.as_uri(), "--json")
    assert code == 0


@pytest.mark.parametrize(
    ("site_argument", "message"),
    [
        ("{tmp}", "manifest.json: not found"),
        ("ftp://example.org/", "expected a directory or an http(s):// URL"),
        ("http://127.0.0.1:9/", "cannot fetch"),
        ("{url}missing/", "HTTP 404"),
    ],
)
def test_bad_sites_are_clean_errors(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    site_url: str,
    site_argument: str,
    message: str,
) -> None:
    location = site_argument.format(tmp=tmp_path, url=site_url)
    code, out, err = run(capsys, "search", "x", "--site", location)
    assert code == 1 and out == ""
    assert err.startswith("error: ") and message in err and "Traceback" not in err


def test_limit_must_be_positive(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "x", "--site", str(site), "--limit", "0"])
    assert exit_info.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_a_long_query_is_cut_and_says_so(capsys: pytest.CaptureFixture[str], site: Path) -> None:
    code, out, _ = run(capsys, "search", "json " + "x" * 2000, "--site", str(site), "--json")
    document = json.loads(out)
    assert code == 0 and document["truncated"] is True
    assert document["query"] == "json " + "x" * 95
    code, out, _ = run(capsys, "search", "json " + "x" * 2000, "--site", str(site))
    assert out.splitlines()[0] == "The query is cut to its first 100 characters."


def test_a_query_without_letters_or_digits_says_so(
    capsys: pytest.CaptureFixture[str], site: Path
) -> None:
    code, out, _ = run(capsys, "search", "🚀 ✨", "--site", str(site))
    assert code == 0
    assert out.splitlines() == ["'🚀 ✨' has no letters or digits to search for"]
