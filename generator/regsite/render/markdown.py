"""README rendering: CommonMark with tables, no raw HTML, only http(s) links (bare URLs linked),
and headings, code, tables and images as :mod:`regsite.render.readme_blocks` renders them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from types import SimpleNamespace
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from markdown_it import MarkdownIt, helpers
from markdown_it.renderer import RendererHTML
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from regsite.render import readme_blocks

__all__ = ["MAX_NESTING", "readme_headings", "render_inline", "render_readme"]

_LINK_SCHEMES = frozenset({"http", "https"})
# markdown-it's own limit on nested blocks and inline brackets (its default is 100). Each '[' costs
# it work in proportion to this depth, so 500,000 '[' took 24-62 s at 100 and take a tenth of that
# at 20, the CommonMark preset's value. Deeper block quotes and lists are not rendered; the
# README checks (regsite.readme) refuse them first, with the line.
MAX_NESTING = 20


def render_readme(text: str, title: str = "", image_hosts: frozenset[str] = frozenset()) -> str:
    """Render a README to HTML that is safe to embed in a page served under ``default-src 'self'``.

    Raw HTML is escaped ("js-default" preset), links other than http(s) and in-page fragments are
    left as text, bare http(s) URLs become links, and images become links unless they come from
    one of ``image_hosts`` over https (the page's CSP allows those). A leading ``# Title`` that
    repeats ``title`` (the package's name, the page's ``<h1>``) is left out.
    """
    return str(_parser().render(text, readme_blocks.readme_env(title, image_hosts)))


def render_inline(text: str) -> str:
    """A line of inline Markdown (a status reason) as HTML, under the README's rules."""
    return str(_parser().renderInline(text, readme_blocks.readme_env("", frozenset())))


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


_MAX_URL = 2_048  # characters: a longer bare URL stays text, so each "://" costs at most this
_SCHEME_CHARACTER = re.compile(r"[a-z0-9.+-]", re.IGNORECASE)


def _linkify(state: StateInline, silent: bool) -> bool:
    """markdown-it's inline linkify rule, for http(s) URLs only and in bounded time per "://".

    markdown-it's own searches everything read since the last token for the scheme and hands
    linkify-it the rest of the paragraph at each "://": a paragraph of many "://" took minutes.
    This looks only at the few characters before it and at most :data:`_MAX_URL` after.
    """
    pos = state.pos
    if state.linkLevel > 0 or not state.src.startswith("://", pos):
        return False
    pending = state.pending[-6:].lower()
    proto = next((p for p in ("https", "http") if pending.endswith(p)), "")
    before = pending[: -len(proto)][-1:] if proto else ""
    if not proto or _SCHEME_CHARACTER.fullmatch(before):
        return False
    window = state.src[pos - len(proto) : pos - len(proto) + _MAX_URL]
    link = state.md.linkify.match_at_start(window) if state.md.linkify else None
    if not link or len(link.url) >= _MAX_URL:
        return False
    url = link.url.rstrip("*")  # '*' at the end is emphasis
    href = state.md.normalizeLink(url)
    if not state.md.validateLink(href):
        return False
    if not silent:
        state.pending = state.pending[: -len(proto)]
        opening = state.push("link_open", "a", 1)
        opening.attrs, opening.markup, opening.info = {"href": href}, "linkify", "auto"
        state.push("text", "", 0).content = state.md.normalizeLinkText(url)
        closing = state.push("link_close", "a", -1)
        closing.markup, closing.info = "linkify", "auto"
    state.pos += len(url) - len(proto)
    return True


# The brackets whose scan ran out of text, per paragraph (markdown-it's inline state).
_UNCLOSED: WeakKeyDictionary[StateInline, set[int]] = WeakKeyDictionary()


@cache
def _parser() -> MarkdownIt:
    parser = new_parser()
    # This parser's own helpers: markdown-it's module is shared with every other user of it.
    parser.helpers = SimpleNamespace(  # type: ignore[assignment]
        parseLinkLabel=_parse_link_label,
        parseLinkDestination=helpers.parseLinkDestination,
        parseLinkTitle=helpers.parseLinkTitle,
    )
    return parser


def new_parser() -> MarkdownIt:
    """A parser with every rule of :func:`render_readme` but markdown-it's own link-label scan
    (tests compare the two)."""
    parser = MarkdownIt("js-default", {"maxNesting": MAX_NESTING, "linkify": True})
    parser.enable("linkify")
    # Only what is unmistakably a URL: "http://" or "https://" written out (validateLink drops the
    # other schemes); no "example.com" or e-mail addresses guessed from text.
    linkify = parser.linkify
    assert linkify is not None  # linkify-it-py is a dependency
    linkify.set({"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})
    parser.inline.ruler.at("linkify", _linkify)
    parser.core.ruler.disable("linkify")  # it only finds what _linkify leaves as text
    parser.validateLink = _allowed_link  # type: ignore[method-assign]
    parser.add_render_rule("link_open", _render_link_open)
    parser.core.ruler.push("readme_headings", readme_blocks.heading_rule)
    parser.add_render_rule("image", readme_blocks.render_image)
    parser.add_render_rule("heading_close", readme_blocks.render_heading_close)
    parser.add_render_rule("fence", readme_blocks.render_fence)
    parser.add_render_rule("code_block", readme_blocks.render_code_block)
    parser.add_render_rule("table_open", readme_blocks.render_table_open)
    parser.add_render_rule("table_close", readme_blocks.render_table_close)
    return parser
