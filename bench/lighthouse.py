"""Lighthouse over every page template of the example site (issue 16): a manual benchmark.

Run ``python bench/lighthouse.py --lighthouse /tmp/lh/node_modules/.bin/lighthouse``. It builds
example-site/ with a base URL, serves it with ``regsite serve`` on a free local port, runs
Lighthouse (desktop and mobile presets; performance, accessibility, best practices, SEO) on each
page ``--runs`` times with Debian's chromium (``CHROME_PATH``, else ``chromium`` on the PATH), and
prints a Markdown table of the median scores, then every audit that cost a page points in any run.
Each report is kept as JSON in ``--out`` (default: a temporary directory, printed).

Lighthouse is not a Python dependency: install it with npm anywhere (``npm install lighthouse``
in an empty directory) and name its binary. The 404 template is measured at ``/404.html``:
Lighthouse refuses to score a page served with status 404.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
PRESETS = ("desktop", "mobile")
PAGES = (
    ("home", ""),
    ("package", "packages/http-kit/"),
    ("release", "packages/http-kit/1.2.0/"),
    ("release, yanked", "packages/http-kit/1.1.0/"),
    ("search (q=retry)", "search/?q=retry"),
    ("browse by name", "browse/name/1.html"),
    ("browse recent", "browse/recent/1.html"),
    ("browse most depended", "browse/depended/1.html"),
    ("A-Z (name listing at H)", "browse/name/1.html#initial-h"),
    ("owner", "owners/june/"),
    ("keyword", "keywords/retry/"),
    ("404", "404.html"),
)
CHROME_FLAGS = "--headless=new --no-sandbox"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def build(out: Path, base_url: str) -> None:
    """example-site/ built as `python3 dev.py demo` builds it, plus the base URL."""
    key = ROOT / "example-site/demo-keys/online.key"  # a DEMO key, published on purpose
    command = [sys.executable, "-m", "regsite", "build", str(ROOT / "example-site")]
    command += ["-o", str(out), "--online-key", str(key), "--base-url", base_url, "-q"]
    subprocess.run(command, check=True)


@contextlib.contextmanager
def served(site: Path, port: int) -> Iterator[None]:
    command = [sys.executable, "-m", "regsite", "serve", str(site), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/")
        yield
    finally:
        server.terminate()
        server.wait()


def wait_until_up(url: str) -> None:
    for _ in range(100):
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1):  # noqa: S310
            return  # our own local server answered
        time.sleep(0.1)
    raise SystemExit(f"regsite serve did not answer at {url}")


def lighthouse(binary: str, url: str, preset: str, report: Path) -> dict[str, object]:
    command = [binary, url, "--output=json", f"--output-path={report}", "--quiet"]
    command += [f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROME_FLAGS}"]
    if preset == "desktop":
        command.append("--preset=desktop")
    subprocess.run(command, check=True, env=chrome_env())
    result: dict[str, object] = json.loads(report.read_text())
    return result


def chrome_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("CHROME_PATH", shutil.which("chromium") or "chromium")
    return env


def scores(result: dict[str, object]) -> dict[str, float | None]:
    categories = result["categories"]
    assert isinstance(categories, dict)
    return {
        name: None if categories[name]["score"] is None else 100 * categories[name]["score"]
        for name in CATEGORIES
    }


def losses(result: dict[str, object]) -> set[str]:
    """Each scored audit below full marks, as "category: audit-id (score)"."""
    categories, audits = result["categories"], result["audits"]
    assert isinstance(categories, dict) and isinstance(audits, dict)
    lost = set()
    for name in CATEGORIES:
        for ref in categories[name]["auditRefs"]:
            audit = audits[ref["id"]]
            if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
                lost.add(f"{name}: {ref['id']} ({audit['score']:.2f})")
    return lost


def median(values: list[float | None]) -> str:
    known = [value for value in values if value is not None]
    return "n/a" if not known else f"{statistics.median(known):.0f}"


def run_all(args: argparse.Namespace, base_url: str, out: Path) -> None:
    print("| page | preset | " + " | ".join(CATEGORIES) + " |")
    print("|---|---|" + "---:|" * len(CATEGORIES))
    notes: dict[tuple[str, str], set[str]] = {}
    for label, path in PAGES:
        for preset in PRESETS:
            reports = [out / report_name(path, preset, n) for n in range(args.runs)]
            runs = [lighthouse(args.lighthouse, base_url + path, preset, r) for r in reports]
            cells = [median([scores(run)[name] for run in runs]) for name in CATEGORIES]
            print(f"| {label} | {preset} | " + " | ".join(cells) + " |", flush=True)
            notes[label, preset] = set().union(*(losses(run) for run in runs))
    print_notes(notes, runs=args.runs)


def report_name(path: str, preset: str, run: int) -> str:
    slug = "".join(c if c.isalnum() else "-" for c in path).strip("-") or "home"
    return f"{slug}.{preset}.{run}.json"


def print_notes(notes: dict[tuple[str, str], set[str]], runs: int) -> None:
    print(f"\nAudits below full marks in any of the {runs} runs:")
    for (label, preset), lost in notes.items():
        if lost:
            print(f"- {label}, {preset}: " + "; ".join(sorted(lost)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", default="lighthouse", help="the lighthouse binary")
    parser.add_argument("--runs", type=int, default=3, help="runs per page and preset")
    parser.add_argument("--out", type=Path, help="where the JSON reports go")
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="regsite-lighthouse-"))
    out.mkdir(parents=True, exist_ok=True)
    version = subprocess.run([args.lighthouse, "--version"], capture_output=True, text=True)
    print(f"Lighthouse {version.stdout.strip()}; reports in {out}\n")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="regsite-lighthouse-site-") as site:
        build(Path(site) / "site", base_url)
        with served(Path(site) / "site", port):
            run_all(args, base_url, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
