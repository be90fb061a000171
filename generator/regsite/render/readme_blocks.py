"""How a README's headings, code, tables and images render: as GitHub shows them, within what a
static page under a strict CSP may hold (docs/pages.md, "README rendering").

- Headings get ids (``readme-<slug>``, deduplicated) and a self-link, and move one level down:
  the page's ``<h1>`` is the package's name, so a README ``# Title`` repeating it is dropped.
- Fenced code is highlighted at build time by Pygments, into class names that style.css colours
  in light and dark: the page runs no script for it. Highlighting is bounded: a block longer than
  :data:`HIGHLIGHT_LIMIT`, code past :data:`HIGHLIGHT_BUDGET` characters per README, or a block
  whose lexer takes more than :data:`HIGHLIGHT_SECONDS` stays plain text.
- Code blocks and tables scroll sideways inside a focusable, labelled region (keyboard users
  reach and scroll them).
- An image is an ``<img>`` only from an https host the registry allows (``readme-image-hosts``,
  also the CSP's img-src); any other image is a link to it.

The rules read per-README settings from markdown-it's ``env`` (:func:`readme_env`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from regsite.budget import OutOfTime, cpu_budget

__all__ = [
    "HIGHLIGHT_BUDGET",
    "HIGHLIGHT_LIMIT",
    "HIGHLIGHT_SECONDS",
    "heading_rule",
    "readme_env",
    "render_code_block",
    "render_fence",
    "render_heading_close",
    "render_image",
    "render_table_close",
    "render_table_open",
]

HIGHLIGHT_LIMIT = 20_000  # characters: a longer code block is shown plain
HIGHLIGHT_BUDGET = 100_000  # characters highlighted per README; the blocks after it are plain
HIGHLIGHT_SECONDS = 0.5  # CPU seconds one block's lexer may take before it is shown plain
ANCHOR_PREFIX = "readme-"  # README ids never collide with the page's own (versions-title, v1.0)
_SLUG_LENGTH = 64
_LANGUAGE = re.compile(r"[A-Za-z0-9_+#.-]{1,32}")
_NOT_SLUG = re.compile(r"[^\w\- ]+")
_SEPARATORS = re.compile(r"[-_.\s]+")
_FORMATTER = HtmlFormatter(nowrap=True)


def readme_env(title: str, image_hosts: frozenset[str]) -> dict[str, Any]:
    """The settings one README renders with: the package's name (a ``# Title`` repeating it is
    dropped) and the hosts its images may come from."""
    return {"title": title, "image_hosts": image_hosts, "highlighted": 0}


def heading_rule(state: StateCore) -> None:
    """Core rule: drop a leading title that repeats the package name, move every heading one
    level down, give each a unique id and its closing token the anchor to link."""
    tokens = state.tokens
    if _repeats_title(tokens, str(state.env.get("title", ""))):
        del tokens[:3]
    used: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type not in ("heading_open", "heading_close"):
            continue
        token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
        if token.type == "heading_open":
            label = _text(tokens[index + 1])
            anchor = ANCHOR_PREFIX + _unique(_slug(label), used)
            token.attrSet("id", anchor)
            tokens[index + 2].meta = {"anchor": anchor, "label": label}


def _repeats_title(tokens: Sequence[Token], title: str) -> bool:
    if not title or len(tokens) < 3 or tokens[0].type != "heading_open" or tokens[0].tag != "h1":
        return False
    return _same_name(_text(tokens[1]), title)


def _same_name(text: str, name: str) -> bool:
    return _SEPARATORS.sub("-", text.strip().lower()) == _SEPARATORS.sub("-", name.lower())


def _text(inline: Token) -> str:
    """A heading's text: its text and code spans, without markup."""
    children = inline.children or []
    return "".join(child.content for child in children if child.type in ("text", "code_inline"))


def _slug(text: str) -> str:
    slug = _NOT_SLUG.sub("", text.strip().lower()).replace(" ", "-")[:_SLUG_LENGTH]
    return slug or "section"


def _unique(slug: str, used: set[str]) -> str:
    candidate, number = slug, 0
    while candidate in used:
        number += 1
        candidate = f"{slug}-{number}"
    used.add(candidate)
    return candidate


def render_heading_close(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    meta = tokens[index].meta or {}
    closing = renderer.renderToken(tokens, index, options, env)
    if "anchor" not in meta:
        return closing
    href, label = escapeHtml("#" + meta["anchor"]), escapeHtml(f"Link to section: {meta['label']}")
    return f' <a class="anchor" href="{href}" aria-label="{label}">#</a>{closing}'


def render_fence(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[index]
    words = token.info.split(maxsplit=1)
    language = words[0] if words and _LANGUAGE.fullmatch(words[0]) else ""
    body = _highlighted(token.content, language, env)
    classes = f' class="language-{escapeHtml(language)}"' if language else ""
    return _scrolling(env, "Code", language, f"<pre><code{classes}>{body}</code></pre>")


def render_code_block(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    body = escapeHtml(tokens[index].content)
    return _scrolling(env, "Code", "", f"<pre><code>{body}</code></pre>")


def render_table_open(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    return _scrolling(env, "Table", "", "").removesuffix("</div>\n") + renderer.renderToken(
        tokens, index, options, env
    )


def render_table_close(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    return renderer.renderToken(tokens, index, options, env) + "</div>\n"


def _scrolling(env: EnvType, kind: str, detail: str, content: str) -> str:
    """A region that scrolls sideways: focusable, with a label unique on the page."""
    counter = f"regions {kind}"
    env[counter] = number = int(env.get(counter, 0)) + 1
    label = f"{kind} {number}" + (f" ({detail})" if detail else "")
    opening = f'<div class="scroll" role="region" tabindex="0" aria-label="{escapeHtml(label)}">'
    return f"{opening}{content}</div>\n"


def _highlighted(code: str, language: str, env: EnvType) -> str:
    lexer = _lexer(language.lower()) if language else None
    spent = int(env.get("highlighted", 0)) + len(code)
    if lexer is None or len(code) > HIGHLIGHT_LIMIT or spent > HIGHLIGHT_BUDGET:
        return escapeHtml(code)
    env["highlighted"] = spent
    try:
        with cpu_budget(HIGHLIGHT_SECONDS):
            return str(highlight(code, lexer, _FORMATTER))
    except OutOfTime:
        return escapeHtml(code)


@cache
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def render_image(
    renderer: RendererHTML, tokens: Sequence[Token], index: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[index]
    alt = renderer.renderInlineAsText(token.children or [], options, env)
    src = str(token.attrGet("src") or "")
    if _allowed_image(src, env.get("image_hosts", frozenset())):
        title = token.attrGet("title")
        titled = f' title="{escapeHtml(str(title))}"' if title else ""
        return f'<img src="{escapeHtml(src)}" alt="{escapeHtml(alt)}"{titled} loading="lazy">'
    link = Token("link_open", "a", 1, attrs={"href": src})
    link.attrSet("rel", "nofollow noopener noreferrer")
    link.attrSet("class", "readme-image")
    opening = renderer.renderToken([link], 0, options, env)
    return f"{opening}{escapeHtml(alt or 'image')}</a>"


def _allowed_image(src: str, hosts: frozenset[str]) -> bool:
    parts = urlsplit(src)
    plain = parts.port is None and not parts.username  # the CSP names hosts on the default port
    return parts.scheme == "https" and plain and (parts.hostname or "") in hosts
