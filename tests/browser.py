"""The shared browser harness: a served build, Debian's chromium driven by Playwright, axe-core.

Loaded by ``conftest.py`` as a plugin, so its fixtures reach every test module:

- ``site_url``: example-site built once per session and served on a loopback port;
- ``browser``: chromium from /usr/bin/chromium (Playwright never downloads a browser here);
- ``page``: a fresh tab whose console errors, uncaught exceptions and failed requests fail the
  test; ``Console`` and ``results`` for tests that open their own contexts;
- ``axe``: an :class:`Axe` that opens a URL at desktop and phone width, in light and dark, runs
  axe-core over it, saves a screenshot of each, and fails listing every violation.

axe-core comes from npm, pinned (:data:`AXE_CORE`). ``.ci/run`` installs it into
``~/.cache/regsite/axe``; a local run installs it there on first use when npm is at hand, and
``REGSITE_AXE`` may name an ``axe.min.js`` elsewhere. Without chromium or axe-core the tests skip,
unless ``REGSITE_REQUIRE_TOOLS=1`` (CI) says they must run. Screenshots go to the directory
``REGSITE_SCREENSHOTS`` names, or to ``screenshots/`` under the session's pytest temporary
directory; the path is printed at the end of the run.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import require_tool, serving

__all__ = [
    "AXE_CORE",
    "COLOR_SCHEMES",
    "VIEWPORTS",
    "Axe",
    "Console",
    "results",
]

AXE_CORE = "axe-core@4.14.1"  # the axe-core release the accessibility tests run
AXE_CACHE = Path.home() / ".cache" / "regsite" / "axe"
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
COLOR_SCHEMES = ("light", "dark")
# The rules axe checks: WCAG 2.x A and AA, and axe's own best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def site_url(example_build: Path) -> Iterator[str]:
    """The example site's build, served by ``regsite serve``'s server, without a trailing /."""
    with serving(example_build) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = require_tool("chromium", "/usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


class Console:
    """Every console error, uncaught exception and failed request a page produced."""

    def __init__(self, page: Any) -> None:
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"failed: {request.url}"))

    def _console(self, message: Any) -> None:
        if message.type in {"error", "warning"}:
            self.problems.append(f"{message.type}: {message.text}")


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, Console]]:
    """A tab at desktop width; the test fails if it logged an error or a request failed."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    opened = context.new_page()
    console = Console(opened)
    try:
        yield opened, console
    finally:
        context.close()
    assert console.problems == []


def results(page: Any) -> list[str]:
    """The names the search page lists, once it lists any."""
    page.wait_for_selector("#search-results .result-link")
    return [link.inner_text() for link in page.query_selector_all("#search-results .result-link")]


_saved: list[Path] = []  # the screenshots folder, once a test has asked for it


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    named = os.environ.get("REGSITE_SCREENSHOTS")
    folder = Path(named) if named else tmp_path_factory.getbasetemp() / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    _saved.append(folder)
    return folder


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for folder in _saved:
        terminalreporter.write_line(f"screenshots for review: {folder}")


@pytest.fixture(scope="session")
def axe_source() -> str:
    return _axe_script().read_text(encoding="utf-8")


@pytest.fixture
def axe(browser: Any, axe_source: str, screenshots: Path) -> Axe:
    return Axe(browser, axe_source, screenshots)


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help} at {', '.join(self.targets)}"


@dataclass(frozen=True, slots=True)
class Axe:
    """axe-core over one page in every viewport and colour scheme, with screenshots."""

    browser: Any
    source: str
    screenshots: Path

    def check(self, url: str, name: str) -> list[Path]:
        """Fails listing each violation per viewport and scheme; gives the screenshots taken."""
        found: list[str] = []
        shots = []
        for viewport in VIEWPORTS:
            for scheme in COLOR_SCHEMES:
                shot = self.screenshots / f"{name}-{viewport}-{scheme}.png"
                violations = self.run(url, viewport, scheme, shot)
                found += [f"{viewport} {scheme}: {violation}" for violation in violations]
                shots.append(shot)
        assert not found, f"axe-core found on {url}:\n" + "\n".join(found)
        return shots

    def run(self, url: str, viewport: str, scheme: str, shot: Path) -> list[Violation]:
        """axe-core's violations on ``url`` at one width and scheme; saves a full-page shot.

        The context bypasses the page's CSP only so that axe-core itself can be injected.
        """
        context = self.browser.new_context(
            viewport=VIEWPORTS[viewport],
            color_scheme=scheme,
            bypass_csp=True,
            is_mobile=viewport == "phone",
            has_touch=viewport == "phone",
        )
        try:
            tab = context.new_page()
            tab.goto(url)
            tab.wait_for_load_state("networkidle")
            tab.screenshot(path=str(shot), full_page=True)
            return _violations(tab, self.source)
        finally:
            context.close()


def _violations(tab: Any, source: str) -> list[Violation]:
    tab.add_script_tag(content=source)
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    report = tab.evaluate("options => axe.run(document, options)", options)
    return [
        Violation(
            rule=item["id"],
            impact=item.get("impact") or "unknown",
            help=item["help"],
            targets=tuple(" ".join(map(str, node["target"])) for node in item["nodes"]),
        )
        for item in report["violations"]
    ]


def _axe_script() -> Path:
    """axe.min.js: ``REGSITE_AXE``, or the cache, installed there from npm when missing."""
    named = os.environ.get("REGSITE_AXE")
    script = Path(named) if named else AXE_CACHE / "node_modules" / "axe-core" / "axe.min.js"
    if script.is_file() and (named or _installed_version(script) == AXE_CORE.split("@")[1]):
        return script
    npm = require_tool("npm")
    command = [npm, "install", "--prefix", str(AXE_CACHE), "--no-audit", "--no-fund", AXE_CORE]
    finished = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    if finished.returncode != 0 or not script.is_file():
        message = f"`{' '.join(command)}` failed: {finished.stderr.strip()[-500:]}"
        if os.environ.get("REGSITE_REQUIRE_TOOLS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return script


def _installed_version(script: Path) -> str | None:
    manifest = script.parent / "package.json"
    if not manifest.is_file():
        return None
    found = re.search(r'"version":\s*"([^"]+)"', manifest.read_text(encoding="utf-8"))
    return found.group(1) if found else None
