"""axe-core over every page template, at desktop and phone width, in light and dark.

tests/browser.py runs axe-core and saves a screenshot of each page in each of the four views
(under ``REGSITE_SCREENSHOTS`` or the session's pytest temporary directory).
"""

from __future__ import annotations

import pytest

from browser import Axe

pytestmark = pytest.mark.slow

PAGES = {
    "home": "/index.html",
    "package": "/packages/http-kit/index.html",
    "package-deprecated": "/packages/stopwatch/index.html",
    "release": "/packages/http-kit/1.2.0/index.html",
    "release-yanked": "/packages/http-kit/1.1.0/index.html",
    "search": "/search/index.html?q=http",
    "search-empty": "/search/index.html?q=qqqqqqqq",
    "search-emoji": "/search/index.html?q=🚀",
    "not-found": "/no/such/page/",
    "listing-name": "/browse/name/1.html",
    "listing-recent": "/browse/recent/1.html",
    "listing-depended": "/browse/depended/1.html",
    "owner": "/owners/mira/index.html",
    "keyword": "/keywords/json/index.html",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_axe_violations(axe: Axe, site_url: str, name: str) -> None:
    shots = axe.check(site_url + PAGES[name], name)
    assert all(shot.stat().st_size > 0 for shot in shots)
