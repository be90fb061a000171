"""The search page in a real browser: Debian's chromium, driven headless by Playwright.

The fixtures (``browser``, ``site_url``, ``page``) are tests/browser.py's; these tests skip
without chromium, except in ``.ci/run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from browser import VIEWPORTS, Console, results
from regsite.commands.search import DirectorySource
from regsite.search.query import Searcher

pytestmark = pytest.mark.slow


def test_typing_a_name_puts_that_package_first(page: tuple[Any, Console], site_url: str) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/search/index.html")
    tab.locator("#search-input").press_sequentially("http-kit", delay=20)
    expect(tab.locator("#search-status")).to_contain_text("http-kit")
    assert results(tab)[0] == "http-kit"
    assert "match" in tab.inner_text("#search-status")
    assert tab.url.endswith("?q=http-kit")


def test_results_as_you_type_are_highlighted(page: tuple[Any, Console], site_url: str) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/search/index.html")
    tab.locator("#search-input").press_sequentially("ht", delay=30)
    expect(tab.locator("#search-status")).to_contain_text("“ht”")
    assert set(results(tab)[:2]) == {"http-kit", "http-serve"}
    assert tab.locator("#search-results mark").first.inner_text().lower().startswith("ht")
    assert tab.is_hidden("#search-browse")


def test_browser_and_python_rank_alike(
    page: tuple[Any, Console], site_url: str, example_build: Path
) -> None:
    tab, _ = page
    searcher = Searcher(DirectorySource(example_build))
    for query in ["terminal colours", "json", "httpserve", "test", "date time zone"]:
        tab.goto(f"{site_url}/search/index.html?q={query}")
        shown = results(tab)
        found = searcher.search(query)
        expected = [record.name for record in searcher.records([h.doc for h in found.hits[:20]])]
        assert shown == expected, query


def test_a_typo_offers_the_right_name(page: tuple[Any, Console], site_url: str) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/search/index.html?q=flagpoel")
    tab.wait_for_selector("#search-suggestion:not([hidden])")
    assert tab.inner_text("#search-suggestion") == "Did you mean flagpole?"
    tab.click("#search-suggestion a")
    assert results(tab)[0] == "flagpole"
    assert tab.input_value("#search-input") == "flagpole"
    assert tab.url.endswith("?q=flagpole")


def test_keyboard_moves_through_results_and_opens_one(
    page: tuple[Any, Console], site_url: str
) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/search/index.html?q=http")
    names = results(tab)
    tab.focus("#search-input")
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("ArrowDown")
    assert tab.evaluate("document.activeElement.textContent") == names[1]
    tab.keyboard.press("ArrowUp")
    tab.keyboard.press("ArrowUp")
    assert tab.evaluate("document.activeElement.id") == "search-input"
    tab.keyboard.press("ArrowDown")
    tab.keyboard.press("Enter")
    tab.wait_for_url(f"**/packages/{names[0]}/index.html")


def test_the_search_box_on_every_page_leads_to_results(
    page: tuple[Any, Console], site_url: str
) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/packages/cellar/index.html")
    tab.fill("#site-search-input", "logline")
    tab.press("#site-search-input", "Enter")
    tab.wait_for_url("**/search/index.html?q=logline")
    assert results(tab)[0] == "logline"
    assert tab.input_value("#search-input") == "logline"


LAYOUT_SHIFTS = """
window.layoutShifts = [];
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (entry) {
    if (!entry.hadRecentInput) {
      window.layoutShifts.push(entry.value);
    }
  });
}).observe({ type: "layout-shift", buffered: true });
"""


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_results_of_a_query_in_the_url_move_nothing_on_screen(
    browser: Any, site_url: str, viewport: str
) -> None:
    """Results arrive after the first paint: nothing already on screen may move (Lighthouse's
    cumulative layout shift was 0.87 at desktop and 0.17 on a phone, the footer jumping up)."""
    context = browser.new_context(viewport=VIEWPORTS[viewport])
    try:
        tab = context.new_page()
        tab.add_init_script(LAYOUT_SHIFTS)
        tab.goto(f"{site_url}/search/index.html?q=retry")
        assert results(tab)[0] == "backoff"
        tab.wait_for_timeout(200)  # a shift is reported in the frame after it happens
        assert tab.evaluate("window.layoutShifts") == []
    finally:
        context.close()


def test_a_query_with_no_match_says_so(page: tuple[Any, Console], site_url: str) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/search/index.html?q=qqqqqqqq")
    expect(tab.locator("#search-status")).to_have_text(
        "No packages match “qqqqqqqq”. Try fewer words, or a package's name."
    )
    assert tab.is_hidden("#search-results") and tab.is_hidden("#search-suggestion")


def test_without_javascript_the_page_lists_packages(browser: Any, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(f"{site_url}/search/index.html?q=hue")
        listed = tab.locator("#search-browse .package-name").all_inner_texts()
        assert len(listed) == 18 and listed[0] == "hue"  # most depended-upon first
        assert "needs JavaScript" in tab.inner_text("main")
    finally:
        context.close()


def test_slash_focuses_the_search_box_on_any_page(page: tuple[Any, Console], site_url: str) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/packages/cellar/index.html")
    tab.keyboard.press("/")
    assert tab.evaluate("document.activeElement.id") == "site-search-input"
    assert tab.input_value("#site-search-input") == ""  # the "/" is not typed into it
    tab.keyboard.type("logline/")  # once in the box, "/" is just a character
    assert tab.input_value("#site-search-input") == "logline/"
    tab.goto(f"{site_url}/search/index.html?q=json")
    results(tab)
    tab.focus("#search-results .result-link")
    tab.keyboard.press("/")
    assert tab.evaluate("document.activeElement.id") == "search-input"


def test_show_more_keeps_focus_on_the_first_new_result(
    page: tuple[Any, Console], site_url: str
) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/search/index.html?q=a")
    assert len(results(tab)) == 10
    tab.focus("#search-more")
    tab.keyboard.press("Enter")
    tab.wait_for_function("document.querySelectorAll('#search-results .result-link').length > 10")
    names = results(tab)
    assert tab.evaluate("document.activeElement.textContent") == names[10]
    assert tab.is_hidden("#search-more")  # all 18 shown


def test_a_long_query_is_cut_and_the_page_does_not_stretch(
    page: tuple[Any, Console], site_url: str
) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/search/index.html?q=json{'x' * 1996}")
    expect(tab.locator("#search-status")).to_contain_text("Only the first 100 characters")
    status = tab.inner_text("#search-status")
    assert len(status) < 200
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= tab.viewport_size["width"]
    assert tab.evaluate("document.documentElement.scrollHeight") < 3000


def test_an_emoji_query_says_there_is_nothing_to_search(
    page: tuple[Any, Console], site_url: str
) -> None:
    tab, _ = page
    tab.goto(f"{site_url}/search/index.html?q=🚀")
    expect(tab.locator("#search-status")).to_have_text(
        "“🚀” has no letters or digits to search for. Try a package's name or a word."
    )
    assert tab.is_hidden("#search-results")


def test_without_javascript_a_package_is_found_by_name(browser: Any, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(f"{site_url}/packages/cellar/index.html")
        assert tab.is_hidden("#site-search-input")  # a box that could not search is not offered
        tab.click("text=Find a package by name, A to Z")
        tab.wait_for_url("**/browse/name/1.html")
        tab.goto(f"{site_url}/search/index.html?q=sundial")
        assert tab.is_hidden("#search-input")
        tab.click(".initials-inline >> text=S")
        tab.wait_for_url("**/browse/name/1.html#initial-s")
        assert tab.locator("#initial-s > a").inner_text() == "stopwatch"
        tab.click(".listing-rows a >> text=sundial")
        tab.wait_for_url("**/packages/sundial/index.html")
    finally:
        context.close()
