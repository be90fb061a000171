"""The search stage alone, in a child process: its time and its own peak memory.

``search_bench.py`` writes the packages, in search order, to a JSON-lines file. A child process
(``python bench/search_stage.py``) reads them back as the build's database would hand them over, one
package at a time, runs the stage, writes every file it gives under a directory, and prints its
figures as JSON:

- ``seconds``: from the stage's start to the last file written;
- ``baseline_rss``: the child's resident memory before the stage (the interpreter, regsite and
  the stream, which holds one package at a time);
- ``peak_rss``: its peak resident memory (``ru_maxrss``) at the end; the stage's own peak is
  ``peak_rss - baseline_rss``.

``--generator DIR`` runs the stage with the regsite package found in DIR instead (another
revision's ``generator/``). Revisions before the streaming interface only had
``render_search(site)``, which needs every package in memory: for those the packages are read
into objects first, and the baseline is taken after that, so both figures leave the input out.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import resource
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1000 * 1000


def _rss() -> int:
    """The process's peak resident memory so far, in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# The parent's side


def write_input(packages: Iterable[Any], path: Path) -> int:
    """Write ``SearchPackage``s as JSON lines; return how many."""
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for p in packages:
            row = [p.name, p.keywords, p.description, p.headings, p.latest, p.status, p.dependents]
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


@dataclass(frozen=True, slots=True)
class StageFigures:
    seconds: float
    baseline_rss: int  # bytes
    peak_rss: int  # bytes
    files: int
    bytes: int
    tree: str  # sha256 over every path and content, to compare two runs' output

    @property
    def own_peak(self) -> int:
        return self.peak_rss - self.baseline_rss


def run_stage(
    source: Path, out: Path, generator: Path | None = None, memo: Path | None = None
) -> StageFigures:
    """Run the stage in a child process; ``memo`` is a SQLite file the shards are kept in."""
    import subprocess

    command = [sys.executable, str(Path(__file__)), str(source), str(out)]
    if generator is not None:
        command += ["--generator", str(generator)]
    if memo is not None:
        command += ["--memo", str(memo)]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return StageFigures(**json.loads(completed.stdout))


def tree_digest(root: Path) -> tuple[int, int, str]:
    """Number of files, their bytes, and a digest of every relative path and content."""
    digest = hashlib.sha256()
    files = size = 0
    for path in sorted(root.rglob("*")):
        if path.is_file():
            content = path.read_bytes()
            digest.update(f"{path.relative_to(root).as_posix()}\0{len(content)}\0".encode())
            digest.update(content)
            files, size = files + 1, size + len(content)
    return files, size, digest.hexdigest()


# The child's side


@dataclass(frozen=True, slots=True)
class JsonLines:
    """The packages, read from the file again on every pass, one line at a time."""

    path: Path
    count: int

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[Any]:
        from regsite.render.search import SearchPackage

        with self.path.open(encoding="utf-8") as lines:
            for line in lines:
                name, keywords, description, headings, latest, status, dependents = json.loads(line)
                yield SearchPackage(
                    name=name,
                    keywords=tuple(keywords),
                    description=description,
                    headings=tuple(headings),
                    latest=latest,
                    status=status,
                    dependents=dependents,
                )


class SqliteMemo:
    """A search memo in one SQLite table, as the build's memo may keep it."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS search_shards"
            " (key TEXT, seq INTEGER, path TEXT, first_key TEXT, content BLOB,"
            " PRIMARY KEY (key, seq))"
        )

    def load(self, key: str) -> Iterator[Any] | None:
        from regsite.render.search import Shard

        query = "SELECT 1 FROM search_shards WHERE key = ? LIMIT 1"
        if self.db.execute(query, (key,)).fetchone() is None:
            return None
        rows = self.db.execute(
            "SELECT path, first_key, content FROM search_shards WHERE key = ? ORDER BY seq", (key,)
        )
        return (Shard(path, first_key, content) for path, first_key, content in rows)

    def store(self, key: str, shards: Iterable[Any]) -> None:
        with self.db:
            self.db.execute("DELETE FROM search_shards")
            self.db.executemany(
                "INSERT INTO search_shards VALUES (?, ?, ?, ?, ?)",
                ((key, seq, s.path, s.first_key, s.content) for seq, s in enumerate(shards)),
            )


def _write(files: Iterable[tuple[str, bytes]], out: Path) -> None:
    made: set[Path] = set()
    for path, content in files:
        target = out / path
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(content)


def _count(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


def _streaming_stage(source: Path, out: Path, memo_path: Path | None) -> tuple[float, int]:
    from regsite.render.search import search_files

    packages = JsonLines(source, _count(source))
    memo = SqliteMemo(memo_path) if memo_path is not None else None
    baseline = _rss()
    start = time.perf_counter()
    _write(search_files(packages, memo), out)
    return time.perf_counter() - start, baseline


@dataclass(frozen=True, slots=True)
class _Version:
    version: str


@dataclass(frozen=True, slots=True)
class _Summary:
    """What ``render_search(site)`` read of a package before the streaming interface."""

    name: str
    keywords: tuple[str, ...]
    description: str
    headings: tuple[str, ...]
    latest: _Version | None
    status: str


@dataclass(frozen=True, slots=True)
class _Site:
    packages: dict[str, _Summary]
    dependents: dict[str, range]  # only their number is read


def _in_memory_stage(source: Path, out: Path) -> tuple[float, int]:
    from regsite.render.search import render_search

    packages: dict[str, _Summary] = {}
    dependents: dict[str, range] = {}
    with source.open(encoding="utf-8") as lines:
        for line in lines:
            name, keywords, description, headings, latest, status, count = json.loads(line)
            version = _Version(latest) if latest is not None else None
            summary = _Summary(name, tuple(keywords), description, tuple(headings), version, status)
            packages[name] = summary
            dependents[name] = range(count)
    site = _Site(dict(sorted(packages.items())), dependents)
    del packages
    baseline = _rss()
    start = time.perf_counter()
    _write(render_search(site).items(), out)  # type: ignore[arg-type] # duck-typed Site
    return time.perf_counter() - start, baseline


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="the packages, JSON lines, in search order")
    parser.add_argument("out", type=Path, help="directory to write the search files under")
    parser.add_argument("--generator", type=Path, help="import regsite from this directory")
    parser.add_argument("--memo", type=Path, help="SQLite file to keep the shards in")
    args = parser.parse_args(argv)
    if args.generator is not None:
        sys.path.insert(0, str(args.generator.resolve()))
    import regsite.render.search as stage

    if hasattr(stage, "search_files"):
        seconds, baseline = _streaming_stage(args.source, args.out, args.memo)
    else:
        seconds, baseline = _in_memory_stage(args.source, args.out)
    peak = _rss()
    files, size, tree = tree_digest(args.out)
    figures = StageFigures(seconds, baseline, peak, files, size, tree)
    print(json.dumps(dataclasses.asdict(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
