"""The browsing pages as a build publishes them (docs/pages.md): each page that
:func:`regsite.render.browse.listings` lays out, rendered through the site's page frame
(:func:`regsite.render.html.render_page`) only when asked, with the inputs that let a build keep
the copy it published before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from regsite.assemble import Site
from regsite.render.browse import listings
from regsite.render.html import render_page
from regsite.theme import Theme

__all__ = ["BrowsePage", "browse_pages"]


@dataclass(frozen=True, slots=True)
class BrowsePage:
    """A page to publish: rendered only when asked (:attr:`content`); :attr:`inputs` says
    everything the page shows, so a build can keep the page when they did not change."""

    path: str
    updated: datetime | None  # its newest package's newest release, for the sitemap
    inputs: str  # the theme, the registry's title and base URL, and the page's own context
    render: Callable[[], bytes]

    @property
    def content(self) -> bytes:
        return self.render()


def browse_pages(site: Site, theme: Theme) -> Iterator[BrowsePage]:
    """Every listing page, owner page and keyword page."""
    registry = site.registry
    common = [theme.fingerprint, registry.name, registry.title, registry.base_url or "-"]
    for listing in listings(site):
        inputs = repr([*common, sorted(listing.context.items())])
        render = _renderer(site, theme, listing.path, listing.context)
        yield BrowsePage(listing.path, listing.updated, inputs, render)


def _renderer(
    site: Site, theme: Theme, path: str, context: Mapping[str, Any]
) -> Callable[[], bytes]:
    def render() -> bytes:
        return render_page(theme, site.registry, "listing.html", path, {"site": site, **context})

    return render
