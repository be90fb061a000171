"""Package and release pages in a real browser (issue 16, point 1): copy buttons, release URLs,
the version picker, row anchors, keyboard paths and the order of a phone's page.

Debian's chromium driven by Playwright, as tests/test_browser.py; skipped without chromium
locally, required in ``.ci/run``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from browser import Console

pytestmark = pytest.mark.slow

PACKAGE = "/packages/http-kit/index.html"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    """A page allowed to use the clipboard, failing the test on any console error."""
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    opened = context.new_page()
    console = Console(opened)
    try:
        yield opened
    finally:
        context.close()
    assert console.problems == []


def test_the_copy_button_copies_the_install_line_and_says_so(tab: Any, site_url: str) -> None:
    tab.goto(site_url + PACKAGE)
    button = tab.locator(".package-facts button.copy").first
    expect(button).to_be_visible()
    button.click()
    expect(button).to_have_text("Copied")
    expect(tab.locator("#copy-status")).to_have_text("Copied: orchard add http-kit@1.2.0")
    assert tab.evaluate("navigator.clipboard.readText()") == "orchard add http-kit@1.2.0"


def test_the_copy_button_works_from_the_keyboard(tab: Any, site_url: str) -> None:
    tab.goto(site_url + PACKAGE)
    tab.keyboard.press("Tab")  # the skip link
    for _ in range(10):
        tab.keyboard.press("Tab")
        if tab.evaluate("document.activeElement.className") == "copy":
            break
    assert tab.evaluate("document.activeElement.getAttribute('aria-label')") == (
        "Copy: orchard add http-kit@1.2.0"
    )
    tab.keyboard.press("Enter")
    expect(tab.locator("#copy-status")).to_contain_text("Copied")


def test_without_javascript_there_is_no_copy_button(browser: Any, site_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(site_url + PACKAGE)
        assert page.locator("button.copy").count() > 0
        assert all(not button.is_visible() for button in page.locator("button.copy").all())
        assert page.inner_text(".package-facts pre") == "orchard add http-kit@1.2.0"
    finally:
        context.close()


def test_a_version_number_opens_its_release_page(tab: Any, site_url: str) -> None:
    tab.goto(site_url + PACKAGE)
    tab.click(".versions a:text-is('1.1.0')")
    assert tab.url == f"{site_url}/packages/http-kit/1.1.0/"
    expect(tab.locator(".notice-yanked")).to_contain_text("This release is yanked.")
    expect(tab.locator("h1")).to_have_text("http-kit 1.1.0 yanked")
    assert "sha256:" in tab.inner_text(".artifacts")
    tab.click("text=Newer: 1.1.1")
    assert tab.url == f"{site_url}/packages/http-kit/1.1.1/"


def test_the_version_picker_opens_and_follows_from_the_keyboard(tab: Any, site_url: str) -> None:
    tab.goto(site_url + PACKAGE)
    summary = tab.locator(".picker summary")
    summary.focus()
    tab.keyboard.press("Enter")
    expect(tab.locator(".picker")).to_have_attribute("open", "")
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.textContent") == "1.2.0"
    tab.keyboard.press("Tab")
    tab.keyboard.press("Enter")
    tab.wait_for_url(f"{site_url}/packages/http-kit/1.1.1/")


def test_a_version_anchor_highlights_its_row(tab: Any, site_url: str) -> None:
    tab.goto(f"{site_url}{PACKAGE}#v1.1.0")
    row = tab.locator("#v1\\.1\\.0")
    outline = row.evaluate("row => getComputedStyle(row).outlineStyle")
    other = tab.locator("#v1\\.2\\.0").evaluate("row => getComputedStyle(row).outlineStyle")
    assert (outline, other) == ("solid", "none")
    expect(row).to_contain_text("yanked")


def test_on_a_phone_the_facts_come_before_the_readme(browser: Any, site_url: str) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(site_url + PACKAGE)
        facts = page.locator(".package-facts").bounding_box()
        readme = page.locator(".readme").bounding_box()
        repository = page.locator(".package-facts a[href='https://example.org/git/http-kit']")
        assert facts["y"] < readme["y"]
        assert repository.bounding_box()["y"] < PHONE["height"]  # on the first screen
    finally:
        context.close()


def test_readme_code_blocks_are_reachable_and_scroll_from_the_keyboard(
    browser: Any, site_url: str
) -> None:
    context = browser.new_context(viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(site_url + PACKAGE)
        regions = page.locator(".readme .scroll")
        wide = regions.evaluate_all("rs => rs.findIndex(r => r.scrollWidth > r.clientWidth)")
        assert wide >= 0  # a line of the README's code is wider than a phone
        regions.nth(wide).focus()
        assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(300)  # smooth scrolling
        assert page.evaluate("document.activeElement.scrollLeft") > 0
    finally:
        context.close()
