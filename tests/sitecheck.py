"""Checks on built HTML shared by the render and end-to-end tests."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit


class PageScan(HTMLParser):
    """Collects what a page would load or link to, and anything script-like."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts = 0  # inline scripts, which the CSP would block anyway
        self.script_sources: list[str] = []
        self.event_handlers: list[str] = []
        self.links: list[str] = []
        self.loads: list[str] = []
        self.styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            source = dict(attrs).get("src")
            if source is None:
                self.scripts += 1
            else:
                self.script_sources.append(source)
        self.styles += tag == "style"
        for name, value in attrs:
            if name.startswith("on"):
                self.event_handlers.append(f"{tag}[{name}]")
            if name == "style":
                self.styles += 1
            if value is None:
                continue
            if tag == "a" and name == "href":
                self.links.append(value)
            elif name in ("src", "srcset") or (
                tag == "link" and name == "href" and dict(attrs).get("rel") != "canonical"
            ):
                self.loads.append(value)


def scan(html: bytes) -> PageScan:
    parser = PageScan()
    parser.feed(html.decode("utf-8"))
    return parser


def is_safe_link(url: str) -> bool:
    """http(s) or relative (no scheme at all): never javascript:, data:, file: and the like."""
    scheme = urlsplit(url).scheme
    return scheme in ("http", "https") or (scheme == "" and not url.startswith("//"))


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc
