"""Text processing over untrusted READMEs takes time linear in their length.

Each input below once took quadratic time or worse (a README under the size limit ran for hours).
The ceilings are generous (CPU seconds, enforced by regsite.budget, so a regression fails in
seconds instead of hanging): they catch that behaviour coming back, never a slow machine. Speed
itself is measured by bench/hostile_bench.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from regsite.budget import OutOfTime, cpu_budget
from regsite.render import markdown
from regsite.render.markdown import MAX_NESTING, readme_headings, render_readme

CEILING = 5.0  # CPU seconds; the quadratic code took minutes to hours on these inputs
SIZE = 200_000  # characters


@contextmanager
def linear_time() -> Iterator[None]:
    """Fail if the block takes more than CEILING seconds of CPU time (it stops it there)."""
    try:
        with cpu_budget(CEILING):
            yield
    except OutOfTime:
        pytest.fail(f"more than {CEILING} CPU seconds: quadratic again?")


# The line scan behind search's README headings (render.markdown.readme_headings) ------------


def test_heading_with_a_long_run_of_spaces_takes_linear_time() -> None:
    with linear_time():
        headings = readme_headings("# Title" + " " * SIZE + "end ##")
    assert headings == ("Title end",)


def test_heading_with_a_long_run_of_brackets_takes_linear_time() -> None:
    with linear_time():
        headings = readme_headings("# " + "[" * SIZE)
    assert headings == ("[" * SIZE,)


def test_setext_heading_of_a_long_run_of_brackets_takes_linear_time() -> None:
    with linear_time():
        headings = readme_headings("[" * SIZE + "\n===\n")
    assert headings == ("[" * SIZE,)


def test_setext_heading_of_many_lines_takes_linear_time() -> None:
    with linear_time():
        headings = readme_headings("a\n" * SIZE + "---\n")
    assert headings == (" ".join(["a"] * SIZE),)


@pytest.mark.parametrize(
    ("heading", "text"),
    [
        ("[a](" * (SIZE // 4), "[a](" * (SIZE // 4)),  # link destinations that never close
        ("[a" * (SIZE // 2), "[a" * (SIZE // 2)),  # link texts that never close
        ("[a](" + "(b)" * (SIZE // 3), "[a](" + "(b)" * (SIZE // 3)),
        ("<" * SIZE, "<" * SIZE),  # tags that never close
        ("<a" + "<b>" * (SIZE // 3), "<a"),
        ("![" * (SIZE // 2), "![" * (SIZE // 2)),
        ("x" + " #" * (SIZE // 2), "x" + " #" * (SIZE // 2 - 1)),  # '#' runs, and a closing one
    ],
    ids=["destinations", "texts", "parens", "less-than", "tags", "images", "hashes"],
)
def test_heading_markup_takes_linear_time(heading: str, text: str) -> None:
    with linear_time():
        headings = readme_headings(f"# {heading}\n")
    assert headings == (" ".join(text.split()),)


@pytest.mark.parametrize(
    "text",
    [
        "# [a [b] c](https://x.example)\n",  # brackets inside a link's text
        "# [Foo (bar)](https://en.example.org/wiki/Foo_(bar))\n",  # parentheses in its address
        "Title with [link](https://x.example) and `code`\n---\n",
    ],
)
def test_readme_headings_agree_with_markdown_it_on_links(text: str) -> None:
    tokens = markdown._parser().parse(text)
    inline = next(tokens[i + 1] for i, t in enumerate(tokens) if t.type == "heading_open")
    expected = "".join(
        child.content for child in inline.children or () if child.type in {"text", "code_inline"}
    )
    assert readme_headings(text) == (" ".join(expected.split()),)


# markdown-it ----------------------------------------------------------------------------------


def test_markdown_nesting_is_limited_to_twenty_levels() -> None:
    assert markdown._parser().options["maxNesting"] == MAX_NESTING == 20
    html = render_readme(">" * 30 + " too deep\n\nafter\n")
    assert "too deep" not in html and "<p>after</p>" in html


def test_unclosed_images_in_a_long_paragraph_are_scanned_about_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """markdown-it scans from every unclosed '![' to the end of its paragraph, and again from
    each enclosing one (up to 20 deep): each position was read about ten times."""
    text = ("![" + "!\\!" * 1000) * 40
    steps = _count_calls(monkeypatch, markdown._parser().inline, "skipToken")
    render_readme(text)
    assert steps() < 2 * len(text)


def test_a_long_run_of_brackets_renders_as_text() -> None:
    assert render_readme("[" * 50_000) == "<p>" + "[" * 50_000 + "</p>\n"


# Inputs for the comparison below: the pieces that make link texts, images and their scans.
PIECES = [
    "[", "]", "(", ")", "!", "a", " ", "\n", "`", "<", ">", "\\", "*", "[a]", "![", "\n\n",
    "](https://z.example)", "[x]: https://r.example\n", "<https://q.example>", '"t"', "- ",
]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_link_label_scan_renders_as_markdown_it_does(text: str) -> None:
    assert render_readme(text) == str(_stock_parser().render(text))


@pytest.mark.parametrize("depth", range(17, 24))
def test_link_label_scan_renders_deep_brackets_as_markdown_it_does(depth: int) -> None:
    for text in (
        "[" * depth + "foo]()",
        "[" * depth + "a" + "]" * depth + "(https://x.example)",
        "![" * depth + "a" + "](https://x.example)" * depth,
        "[" * depth + "a](b) [c](https://d.example)",
    ):
        assert render_readme(text) == str(_stock_parser().render(text)), text


def _stock_parser() -> MarkdownIt:
    """Ours, but with markdown-it's own link-label scan."""
    return markdown.new_parser()


def _count_calls(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> Callable[[], int]:
    calls = 0
    original = getattr(owner, name)

    def counted(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        return original(*args)

    monkeypatch.setattr(owner, name, counted)
    return lambda: calls


@pytest.mark.parametrize(
    "unit", ["[", "![", "]", "(", "<", " ", "#", "=", "-", "`", "[a](", "[a", "[a](b"]
)
def test_no_pattern_in_readme_headings_can_backtrack_far(unit: str) -> None:
    """Each of the heading scan's patterns used as the scan uses it (searched for everywhere in
    a heading, or matched at the start of a line), on runs that make a careless one quadratic."""
    text = unit * SIZE + "\x00"
    with linear_time():
        for searched in (markdown._LINK, markdown._MARKUP):
            searched.sub("", text)
        for matched in (markdown._ATX_OPENING, markdown._SETEXT, markdown._FENCE):
            matched.match(text)


# Highlighting code at build time (render.readme_blocks) -------------------------------------------


@pytest.mark.parametrize("language", ["python", "javascript", "html", "rust", "c", "markdown"])
@pytest.mark.parametrize(
    "unit", ["\\" * 3, "'\"", "/*", "<!--", "`${", "a" * 50 + " ", "(" * 5, "#"]
)
def test_highlighting_hostile_code_blocks_takes_linear_time(language: str, unit: str) -> None:
    """A README of code blocks made of what lexers find hardest: each highlighted block is short
    (HIGHLIGHT_LIMIT) and a README highlights HIGHLIGHT_BUDGET characters at most."""
    block = f"```{language}\n" + unit * (20_000 // len(unit)) + "\n```\n\n"
    with linear_time():
        html = render_readme(block * (SIZE // len(block) + 1))
    assert html.count("<pre>") == SIZE // len(block) + 1


@pytest.mark.parametrize(
    "unit", ["https://", "https://a.example/", "http://a.example/(", "x://y ", "https://a.", "://"]
)
def test_linking_bare_urls_takes_linear_time(unit: str) -> None:
    text = unit * (SIZE // len(unit))
    with linear_time():
        html = render_readme(text)
    assert html.startswith("<p>")
