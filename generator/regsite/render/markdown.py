"""README rendering: CommonMark with tables, no raw HTML, and only http(s) links."""

from __future__ import annotations

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
    """The plain text of every heading in a README, in order (search indexes them)."""
    tokens = _parser().parse(text)
    return tuple(
        _plain_text(tokens[index + 1])
        for index, token in enumerate(tokens[:-1])
        if token.type == "heading_open"
    )


def _plain_text(inline: Token) -> str:
    return "".join(
        child.content for child in inline.children or () if child.type in {"text", "code_inline"}
    )


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
