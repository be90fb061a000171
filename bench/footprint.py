"""What a built site holds, by kind of file, and how two builds of one source differ.

The same classification serves regsite's output and dumb-pypi's (:func:`kind_of`), so their
bytes compare kind by kind. Bytes are counted two ways: **served**, every path with its own
size, as a host serves the site and as an artifact that may hold no links (GitHub Pages') is
uploaded; **stored**, each file once however many hard links it has, as the disk holds it.
"""

from __future__ import annotations

import filecmp
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "KINDS",
    "Comparison",
    "Footprint",
    "KindFigures",
    "compare_sites",
    "files_under",
    "kind_of",
    "measure_footprint",
]

CONTENT_ADDRESSED = re.compile(r"[0-9a-f]{64}\.")  # TUF's <sha256>.<name> copies
METADATA = "metadata/"
SOURCES = "api/v1/sources/"
FLAVOURS = ("simple/", "cargo/")  # regsite's opt-in flavours; dumb-pypi's simple index
PACKAGE_JSON = ("api/v1/packages/", "pypi/")  # regsite's documents; dumb-pypi's JSON API
# Says what changed since the previous build, so a rebuild's differs from a fresh build's.
BUILD_REPORT = "api/v1/build-report.json"
CHANGE_PAGES = "api/v1/changes/"  # the change feed's pages (docs/feed.md)
HISTORY_FILES = (BUILD_REPORT, "api/v1/changes.json", "feed.xml")  # with metadata/, CHANGE_PAGES
KINDS = (
    "pages",
    "package JSON",
    "signed sources",
    "signed source copies",
    "READMEs",
    "metadata",
    "search",
    "flavours",
    "other",
)


def kind_of(relative: str) -> str:
    """Which of :data:`KINDS` an output path is (``/``-separated, relative to the site)."""
    name = relative.rpartition("/")[2]
    if relative.startswith(METADATA):
        return "metadata"
    if relative.startswith(FLAVOURS):
        return "flavours"
    if relative.startswith(SOURCES):
        return _source_kind(name)
    if name.endswith(".html"):
        return "pages"  # people's pages, search/index.html and dumb-pypi's changelog included
    if relative.startswith("search/"):
        return "search"
    if relative.startswith(PACKAGE_JSON):
        return "package JSON"
    return "other"


def _source_kind(name: str) -> str:
    if CONTENT_ADDRESSED.match(name):
        return "signed source copies"
    if name.endswith((".toml", ".toml.sig")):
        return "signed sources"
    return "READMEs" if name.endswith(".md") else "other"


@dataclass(frozen=True, slots=True)
class KindFigures:
    files: int = 0
    served: int = 0  # bytes, every path counted
    stored: int = 0  # bytes, each inode once


@dataclass(frozen=True, slots=True)
class Footprint:
    kinds: dict[str, KindFigures] = field(default_factory=dict)  # every kind of KINDS

    @property
    def files(self) -> int:
        return sum(figures.files for figures in self.kinds.values())

    @property
    def served(self) -> int:
        return sum(figures.served for figures in self.kinds.values())

    @property
    def stored(self) -> int:
        return sum(figures.stored for figures in self.kinds.values())


def files_under(root: Path) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every regular file under ``root``, with its path relative to it, ``/``-separated."""
    folders = [""]
    while folders:
        folder = folders.pop()
        with os.scandir(root / folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(f"{folder}{entry.name}/")
                elif entry.is_file(follow_symlinks=False):
                    yield folder + entry.name, entry


def measure_footprint(root: Path) -> Footprint:
    """Files and bytes of each kind under ``root`` (a walk with ``os.scandir``: sizes, not
    blocks)."""
    counts = {kind: [0, 0, 0] for kind in KINDS}
    inodes: set[tuple[int, int]] = set()
    for relative, entry in files_under(root):
        found = entry.stat(follow_symlinks=False)
        figures = counts[kind_of(relative)]
        figures[0] += 1
        figures[1] += found.st_size
        if found.st_nlink == 1 or (found.st_dev, found.st_ino) not in inodes:
            inodes.add((found.st_dev, found.st_ino))
            figures[2] += found.st_size
    return Footprint({kind: KindFigures(*figures) for kind, figures in counts.items()})


def depends_on_history(relative: str) -> bool:
    """metadata/ (its versions), the build report and the change feed (the events of earlier
    builds, docs/feed.md), with their content-addressed copies, depend on earlier builds."""
    folder, slash, name = relative.rpartition("/")
    if is_tuf_copy(relative):
        relative = folder + slash + name.partition(".")[2]
    return relative.startswith((METADATA, CHANGE_PAGES)) or relative in HISTORY_FILES


def is_tuf_copy(relative: str) -> bool:
    return CONTENT_ADDRESSED.match(relative.rpartition("/")[2]) is not None


@dataclass(frozen=True, slots=True)
class Comparison:
    differing: list[str]  # only in one site, or other bytes; history and `kept` aside
    kept: int  # content-addressed copies only the rebuilt site has: the replaced versions


def compare_sites(rebuilt: Path, fresh: Path) -> Comparison:
    """Compare two sites file by file, leaving out what legitimately depends on earlier builds.

    A rebuild keeps the content-addressed copies of the files it replaced, for TUF clients that
    still hold the previous snapshot, so those are counted apart rather than as differences.
    """

    def listing(root: Path) -> dict[str, str]:
        return {rel: e.path for rel, e in files_under(root) if not depends_on_history(rel)}

    ours, theirs = listing(rebuilt), listing(fresh)
    kept = {relative for relative in ours.keys() - theirs.keys() if is_tuf_copy(relative)}
    differing = sorted(
        relative
        for relative in (ours.keys() | theirs.keys()) - kept
        if relative not in ours
        or relative not in theirs
        or not filecmp.cmp(ours[relative], theirs[relative], shallow=False)
    )
    return Comparison(differing, len(kept))
