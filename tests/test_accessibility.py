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
    "search": "/search/index.html?q=http",
    "search-empty": "/search/index.html?q=qqqqqqqq",
    "not-found": "/no/such/page/",
}


# README code blocks that scroll sideways are not keyboard-reachable yet: issue 16's point 2,
# the package-page work (16a-package). Strict, so the fix shows here as an unexpected pass.
_README_SCROLL = pytest.mark.xfail(
    reason="scrollable-region-focusable on README code blocks (issue 16, point 2)", strict=True
)


@pytest.mark.parametrize(
    "name",
    [pytest.param(name, marks=_README_SCROLL) if name == "package" else name for name in PAGES],
)
def test_no_axe_violations(axe: Axe, site_url: str, name: str) -> None:
    shots = axe.check(site_url + PAGES[name], name)
    assert all(shot.stat().st_size > 0 for shot in shots)
