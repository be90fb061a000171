"""README rendering: CommonMark with tables, no raw HTML, and only http(s) links."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = ["readme_headings", "render_readme"]

_LINK_SCHEMES = frozenset({"http", "https"})


def render_readme(text: str) -> str:
    """Render a README to HTML that is safe to embed in a page served under ``default-src 'self'``.

    Raw HTML is escaped ("js-default" preset), links other than http(s) and in-page fragments are
    left as text, and images become links: an external image would break the page's CSP.
    """
    return str(_parser().render(text))


def readme_headings(text: str) -> tuple[str, ...]:
    """The text of the README's ATX (``# Title``) and setext (underlined) headings, in order.

    Search indexes these. A line scan, not a full CommonMark parse: parsing every README a second
    time took longer than all the rest of the search index at 100,000 packages. It skips fenced
    and indented code; inline markup is reduced to its text. ``tests/test_search.py`` checks it
    against markdown-it on the example site's READMEs and on edge cases.
    """
    headings: list[str] = []
    fence: str | None = None
    previous = ""  # the last line of the paragraph just read, if any
    for line in text.splitlines():
        if fence is not None:
            fence = None if _closes_fence(line, fence) else fence
            continue
        if opening := _FENCE.match(line):
            fence, previous = opening.group(1), ""
        elif atx := _ATX.match(line):
            headings.append(_inline_text(atx.group(1) or ""))
            previous = ""
        elif previous and _SETEXT.match(line):
            headings.append(_inline_text(previous))
            previous = ""
        elif line.strip() and not (line.startswith("    ") and not previous):
            previous = line.strip() if not previous else f"{previous} {line.strip()}"
        else:
            previous = ""
    return tuple(heading for heading in headings if heading)


_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r" {0,3}#{1,6}(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKUP = re.compile(r"<[^>]*>|[*_`]+")


def _closes_fence(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def _inline_text(markdown: str) -> str:
    return " ".join(_MARKUP.sub("", _LINK.sub(r"\1", markdown)).split())


def _allowed_link(url: str) -> bool:
    if url.startswith("#"):
        return True
    parts = urlsplit(url.strip())
    return parts.scheme.lower() in _LINK_SCHEMES and bool(parts.netloc)


def _render_link_open(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[index]
    if not str(token.attrGet("href") or "").startswith("#"):
        token.attrSet("rel", "nofollow noopener noreferrer")
    return renderer.renderToken(tokens, index, options, env)


def _render_image(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[index]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    link = Token("link_open", "a", 1, attrs={"href": str(token.attrGet("src") or "")})
    link.attrSet("rel", "nofollow noopener noreferrer")
    link.attrSet("class", "readme-image")
    opening = renderer.renderToken([link], 0, options, env)
    return f"{opening}{escapeHtml(alt)}</a>"


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("js-default")
    parser.validateLink = _allowed_link  # type: ignore[method-assign]
    parser.add_render_rule("link_open", _render_link_open)
    parser.add_render_rule("image", _render_image)
    return parser
