"""README rendering: CommonMark with tables, no raw HTML, and only http(s) links."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from types import SimpleNamespace
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from markdown_it import MarkdownIt, helpers
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = ["MAX_NESTING", "readme_headings", "render_readme"]

_LINK_SCHEMES = frozenset({"http", "https"})
# markdown-it's own limit on nested blocks and inline brackets (its default is 100). Each '[' costs
# it work in proportion to this depth, so 500,000 '[' took 24-62 s at 100 and take a tenth of that
# at 20, the CommonMark preset's value. Deeper block quotes and lists are not rendered; the
# README checks (regsite.readme) refuse them first, with the line.
MAX_NESTING = 20


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
    against markdown-it on the example site's READMEs and on edge cases. Its time is linear in the
    README's length (``tests/test_text_limits.py``): it reads untrusted text.
    """
    headings: list[str] = []
    fence: str | None = None
    paragraph: list[str] = []  # the lines just read: an underline makes them a setext heading
    for line in text.splitlines():
        if fence is not None:
            fence = None if _closes_fence(line, fence) else fence
            continue
        if opening := _FENCE.match(line):
            fence, paragraph = opening.group(1), []
        elif (atx := _atx_heading(line)) is not None:
            headings.append(_inline_text(atx))
            paragraph = []
        elif paragraph and _SETEXT.match(line):
            headings.append(_inline_text(" ".join(paragraph)))
            paragraph = []
        elif line.strip() and not (line.startswith("    ") and not paragraph):
            paragraph.append(line.strip())
        else:
            paragraph = []
    return tuple(heading for heading in headings if heading)


# Every pattern below runs in time linear in the text it is given, whatever the text: no pattern
# can match the same characters in more than one way, and a scan from one opening character
# stops at the next one ('[' or '<'), so scans that fail do not overlap (the quadratic shapes,
# such as a heading of 60,000 '[', are tests in tests/test_text_limits.py).
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ATX_OPENING = re.compile(r" {0,3}#{1,6}(?=[ \t]|$)")
_SETEXT = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")
# A link or image: its text may hold one level of [brackets], its destination one of (parens).
_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\((?:[^()]|\([^()]*\))*\)")
_MARKUP = re.compile(r"<[^<>]*>|[*_`]+")


def _atx_heading(line: str) -> str | None:
    """The content of an ATX heading line, without its optional closing run of ``#``."""
    opening = _ATX_OPENING.match(line)
    if opening is None:
        return None
    content = line[opening.end() :].strip(" \t")
    unclosed = content.rstrip("#")
    if not unclosed:  # only '#'s: an empty heading
        return ""
    if unclosed[-1] in " \t":  # a closing sequence must follow a space
        return unclosed.rstrip(" \t")
    return content


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


def _parse_link_label(state: StateInline, start: int, disableNested: bool = False) -> int:
    """markdown-it's ``parseLinkLabel`` (the end of the ``[text]`` that starts at ``start``, or
    -1), with one shortcut: a scan that meets a bracket known never to close stops there.

    markdown-it scans from every ``[`` to the end of the paragraph when nothing closes it, and
    from each enclosing one again, up to its nesting limit deep: a paragraph of text with a few
    unclosed ``![`` took 20 times as long as the text alone. A bracket that never closes leaves
    its enclosing brackets unclosed too, so a scan that meets one can stop, and each position is
    scanned about once. Same results (``tests/test_text_limits.py`` compares them).
    """
    unclosed = _UNCLOSED.setdefault(state, set())
    if start in unclosed:
        return -1
    resume, state.pos, level = state.pos, start + 1, 1
    while state.pos < state.posMax:
        marker = state.src[state.pos]
        if marker == "]":
            level -= 1
            if level == 0:
                end, state.pos = state.pos, resume
                return end
        before = state.pos
        state.md.inline.skipToken(state)
        if marker == "[" and before == state.pos - 1:  # a '[' that opens nothing: text
            if before in unclosed:
                break
            level += 1
        elif marker == "[" and disableNested:  # a link inside a link
            state.pos = resume
            return -1
    unclosed.add(start)
    state.pos = resume
    return -1


# The brackets whose scan ran out of text, per paragraph (markdown-it's inline state).
_UNCLOSED: WeakKeyDictionary[StateInline, set[int]] = WeakKeyDictionary()


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("js-default", {"maxNesting": MAX_NESTING})
    # This parser's own helpers: markdown-it's module is shared with every other user of it.
    parser.helpers = SimpleNamespace(  # type: ignore[assignment]
        parseLinkLabel=_parse_link_label,
        parseLinkDestination=helpers.parseLinkDestination,
        parseLinkTitle=helpers.parseLinkTitle,
    )
    parser.validateLink = _allowed_link  # type: ignore[method-assign]
    parser.add_render_rule("link_open", _render_link_open)
    parser.add_render_rule("image", _render_image)
    return parser
