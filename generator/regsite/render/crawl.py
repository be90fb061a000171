"""For search engines: ``robots.txt`` and, with ``--base-url``, ``sitemap.xml`` (docs/pages.md).

A sitemap lists absolute URLs, so a site built without a base URL has none; its robots.txt then
only allows everything. Past :data:`SITEMAP_URLS` pages the sitemap becomes a sitemap index
over ``sitemaps/N.xml``, as the sitemaps protocol requires (50,000 URLs a file at most).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from urllib.parse import urljoin
from xml.sax.saxutils import escape

from regsite.assemble import Site
from regsite.render import Output
from regsite.render.html import package_page_path, release_page_path

__all__ = ["ROBOTS", "SITEMAP", "SITEMAP_URLS", "crawler_files", "sitemap_pages"]

SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
SITEMAP_URLS = 50_000  # the protocol's limit on URLs in one sitemap file
_XMLNS = "http://www.sitemaps.org/schemas/sitemap/0.9"

Entry = tuple[str, datetime | None]  # a page's path in the site, and when it last changed


def sitemap_pages(site: Site, pages: Iterable[Entry]) -> Iterator[Entry]:
    """``pages`` (the site-wide pages), every package's page and, when the registry has them,
    every release's page, each dated by the package's newest release (a release page links the
    latest release, so it changes with it)."""
    yield from pages
    for name, package in site.packages.items():
        yield package_page_path(name), package.newest
        if site.registry.release_pages:
            for version in package.versions:
                yield release_page_path(name, version), package.newest


def crawler_files(site: Site, pages: Iterable[Entry], limit: int = SITEMAP_URLS) -> Output:
    """robots.txt, and with a base URL sitemap.xml (or an index and its parts past ``limit``)."""
    base_url = site.registry.base_url
    if base_url is None:
        return {ROBOTS: b"User-agent: *\nAllow: /\n"}
    base = base_url if base_url.endswith("/") else base_url + "/"
    urls = [_url(base, path, updated) for path, updated in sorted(sitemap_pages(site, pages))]
    output: Output = {ROBOTS: f"User-agent: *\nAllow: /\nSitemap: {base}{SITEMAP}\n".encode()}
    if len(urls) <= limit:
        output[SITEMAP] = _urlset(urls)
        return output
    parts = [urls[start : start + limit] for start in range(0, len(urls), limit)]
    for number, part in enumerate(parts, 1):
        output[f"sitemaps/{number}.xml"] = _urlset(part)
    locations = [f"{base}sitemaps/{number}.xml" for number in range(1, len(parts) + 1)]
    output[SITEMAP] = _document(
        "sitemapindex", (f"<sitemap><loc>{escape(url)}</loc></sitemap>" for url in locations)
    )
    return output


def _url(base: str, path: str, updated: datetime | None) -> str:
    location = escape(urljoin(base, path.removesuffix("index.html")))
    lastmod = f"<lastmod>{updated:%Y-%m-%d}</lastmod>" if updated is not None else ""
    return f"<url><loc>{location}</loc>{lastmod}</url>"


def _urlset(urls: list[str]) -> bytes:
    return _document("urlset", urls)


def _document(root: str, children: Iterable[str]) -> bytes:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f'<{root} xmlns="{_XMLNS}">', *children]
    return ("\n".join([*lines, f"</{root}>"]) + "\n").encode("utf-8")
