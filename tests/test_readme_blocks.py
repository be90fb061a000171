"""README rendering at GitHub's level, within a static page's limits (regsite.render.readme_blocks):
bare URLs, heading anchors, highlighting at build time, scrolling regions, the title, images."""

from __future__ import annotations

import pytest

from regsite.render.markdown import render_readme
from regsite.render.readme_blocks import HIGHLIGHT_BUDGET, HIGHLIGHT_LIMIT


def test_bare_http_urls_become_links_and_nothing_else_does() -> None:
    html = render_readme("See https://example.org/a?b=1 or http://x.example/.\n")
    assert (
        '<a href="https://example.org/a?b=1" rel="nofollow noopener noreferrer">https://example.org/a?b=1</a>'
        in html
    )
    assert (
        '<a href="http://x.example/" rel="nofollow noopener noreferrer">http://x.example/</a>.'
        in html
    )
    for text in (
        "mailto:a@example.org",
        "a@example.org",
        "example.org",
        "ftp://x.example/f",
        "www.example.org",
        "javascript:alert(1)",
    ):
        assert "<a" not in render_readme(text), text


def test_headings_get_unique_safe_ids_and_a_self_link() -> None:
    html = render_readme(
        '## Usage\n\n## Usage\n\n### "><script> & `code`\n\n## Usage-1\n\n## !!!\n'
    )
    assert (
        '<h3 id="readme-usage">Usage <a class="anchor" href="#readme-usage" aria-label="Link to section: Usage">#</a></h3>'
        in html
    )
    assert 'id="readme-usage-1">' in html and 'id="readme-usage-1-1">' in html
    assert '<h4 id="readme-script--code">&quot;&gt;&lt;script&gt; &amp; <code>code</code>' in html
    assert 'id="readme-section"' in html
    assert "<script" not in html


def test_a_title_repeating_the_package_name_is_dropped_and_no_heading_is_an_h1() -> None:
    text = "# Http_Kit\n\nIntro.\n\n# Another\n"
    html = render_readme(text, "http-kit")
    assert "Http_Kit" not in html and "<h1" not in html
    assert '<h2 id="readme-another">' in html
    kept = render_readme("# Something else\n\nIntro.\n", "http-kit")
    assert '<h2 id="readme-something-else">Something else' in kept


def test_code_is_highlighted_at_build_time_into_class_names() -> None:
    html = render_readme("```python\ndef f(x):\n    return x < 1  # done\n```\n")
    assert '<code class="language-python"><span class="k">def</span>' in html
    assert '<span class="c1"># done</span>' in html and "&lt;" in html
    assert "style=" not in html and "<script" not in html


def test_unknown_or_hostile_languages_stay_plain() -> None:
    assert '<pre><code class="language-orchard">x &lt; y\n</code></pre>' in render_readme(
        "```orchard\nx < y\n```\n"
    )
    html = render_readme('```"><script>\nx\n```\n')
    assert "<pre><code>x\n</code></pre>" in html and "<script" not in html


def test_code_and_tables_scroll_in_labelled_focusable_regions() -> None:
    html = render_readme(
        "```sh\nls\n```\n\n    indented\n\n| a |\n|---|\n| 1 |\n\n| b |\n|---|\n| 2 |\n"
    )
    assert '<div class="scroll" role="region" tabindex="0" aria-label="Code 1 (sh)"><pre>' in html
    assert (
        '<div class="scroll" role="region" tabindex="0" aria-label="Code 2"><pre><code>indented'
        in html
    )
    assert '<div class="scroll" role="region" tabindex="0" aria-label="Table 1"><table>' in html
    assert 'aria-label="Table 2"><table>' in html and html.count("</table>\n</div>") == 2


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        ("https://img.example/b.svg", True),
        ("http://img.example/b.svg", False),  # the CSP names https only
        ("https://img.example:8443/b.svg", False),
        ("https://user@img.example/b.svg", False),
        ("https://other.example/b.svg", False),
        ("https://img.example.evil.example/b.svg", False),
    ],
)
def test_images_show_only_from_allowed_https_hosts(source: str, shown: bool) -> None:
    html = render_readme(f'![build "ok"]({source} "T")\n', image_hosts=frozenset({"img.example"}))
    if shown:
        assert f'<img src="{source}" alt="build &quot;ok&quot;" title="T" loading="lazy">' in html
    else:
        assert "<img" not in html and 'class="readme-image">build &quot;ok&quot;</a>' in html


def test_a_huge_code_block_is_shown_plain_without_highlighting() -> None:
    code = "x = 1\n" * (HIGHLIGHT_LIMIT // 6 + 1)
    html = render_readme(f"```python\n{code}```\n")
    assert '<span class="n">' not in html and html.count("x = 1") == code.count("x = 1")


def test_highlighting_stops_at_its_budget_per_readme() -> None:
    block = "```python\n" + "y = 2\n" * (HIGHLIGHT_LIMIT // 6 - 10) + "```\n\n"
    blocks = HIGHLIGHT_BUDGET // (HIGHLIGHT_LIMIT - 60) + 2
    html = render_readme(block * blocks)
    highlighted = html.count('<code class="language-python"><span')
    assert 0 < highlighted < blocks
