"""Listing benchmark (issue 16): the bytes and files of the browsing pages at scale.

Run ``python bench/browse_bench.py --packages 100000``. The registry is bench/corpus.py's (the
search and scale benchmarks' generator); the pages are rendered as a build renders them
(``regsite.render.browse_pages.browse_pages``) and measured in memory: files and bytes of each kind
(listings by name, recent and most depended upon; owner pages; keyword pages), raw and gzipped,
and the time to render them.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections import Counter
from collections.abc import Sequence

from corpus import make_model

from regsite.render.browse import PAGE_SIZE
from regsite.render.browse_pages import browse_pages
from regsite.theme import load_theme


def kind_of(path: str) -> str:
    """``browse/name/3.html`` -> ``browse/name``; ``owners/x/index.html`` -> ``owners``."""
    parts = path.split("/")
    return "/".join(parts[:2]) if parts[0] == "browse" else parts[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    site, _ = make_model(args.packages, args.seed, releases_each=1)
    print(f"corpus of {args.packages:,} packages in {time.perf_counter() - start:.1f} s")
    files: Counter[str] = Counter()
    raw: Counter[str] = Counter()
    packed: Counter[str] = Counter()
    start = time.perf_counter()
    for page in browse_pages(site, load_theme()):
        kind = kind_of(page.path)
        files[kind] += 1
        raw[kind] += len(page.content)
        packed[kind] += len(gzip.compress(page.content, 6))
    seconds = time.perf_counter() - start
    print(f"rendered in {seconds:.1f} s, {PAGE_SIZE} packages a page\n")
    print("| pages | files | raw | gzipped | raw per package |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind in sorted(files):
        row = [kind, f"{files[kind]:,}", mb(raw[kind]), mb(packed[kind])]
        print("| " + " | ".join([*row, f"{raw[kind] / args.packages:,.0f} B"]) + " |")
    total = [f"{files.total():,}", mb(raw.total()), mb(packed.total())]
    print("| all | " + " | ".join([*total, f"{raw.total() / args.packages:,.0f} B"]) + " |")
    return 0


def mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


if __name__ == "__main__":
    sys.exit(main())
