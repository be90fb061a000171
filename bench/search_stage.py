"""The search stage alone, in a child process: its time and its own peak memory.

``search_bench.py`` writes the packages, in search order, to a JSON-lines file. A child process
(``python bench/search_stage.py``) reads them back as the build's database would hand them over, one
package at a time, runs the stage, writes every file it gives under a directory, and prints its
figures as JSON:

- ``seconds``: the time spent in the stage, from its start to its last file, leaving out the
  time spent writing the files it gave (the build's writer's share, the same for every version),
  which is ``write_seconds``;
- ``baseline_rss``: the child's resident memory just before the stage (the interpreter, regsite
  and the stream, which holds one package at a time);
- ``peak_rss``: its peak resident memory during the stage (``VmHWM``, reset to the current size
  when the stage starts through ``/proc/self/clear_refs``); the stage's own peak is
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
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MB = 1000 * 1000


def _reset_peak() -> int:
    """Reset the kernel's mark of this process's peak resident memory (Linux 4.0 and later) to
    its current size, and return that size in bytes: what the process holds before the stage."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status("VmRSS")


def _peak() -> int:
    """The peak resident memory since the last :func:`_reset_peak`, in bytes."""
    return _status("VmHWM")


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024  # reported in kB
    raise LookupError(f"/proc/self/status has no {field}")


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
    seconds: float  # in the stage, writing left out
    write_seconds: float
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
    """Run the stage in a child process, into an empty ``out``; ``memo`` keeps the shards."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, str(Path(__file__)), str(source), str(out)]
    if generator is not None:
        command += ["--generator", str(generator)]
    if memo is not None:
        command += ["--memo", str(memo)]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return StageFigures(**json.loads(completed.stdout))


def extract_generator(repo: Path, revision: str, into: Path) -> Path:
    """``generator/`` as it is at ``revision`` of the git repository ``repo``."""
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", revision, "generator"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "generator"


@dataclass(frozen=True, slots=True)
class StageReport:
    after: StageFigures  # this checkout, cold, no memo
    memo_cold: StageFigures  # an empty SQLite memo: the shards computed, stored and read back
    memo_warm: StageFigures  # the same memo again: a rebuild where no search text changed
    before: StageFigures | None  # the baseline revision's code, cold
    baseline: str | None  # that revision
    repeat: int  # runs of each; the fastest is kept


def measure_stage(
    packages: Iterable[Any], work: Path, baseline: str | None, repeat: int = 1
) -> tuple[StageReport, Path]:
    """Every run of the stage over the same packages; the directory holds this checkout's files."""
    source = work / "packages.jsonl"
    write_input(packages, source)
    generator = None
    if baseline is not None:
        generator = extract_generator(Path(__file__).parent.parent, baseline, work / "baseline")
    befores, afters, colds, warms = [], [], [], []
    for _ in range(repeat):
        if generator is not None:
            befores.append(run_stage(source, work / "before", generator))
        afters.append(run_stage(source, work / "after"))
        (work / "memo.sqlite").unlink(missing_ok=True)
        colds.append(run_stage(source, work / "memo", memo=work / "memo.sqlite"))
        warms.append(run_stage(source, work / "memo", memo=work / "memo.sqlite"))
    report = StageReport(
        after=_fastest(afters),
        memo_cold=_fastest(colds),
        memo_warm=_fastest(warms),
        before=_fastest(befores) if befores else None,
        baseline=baseline,
        repeat=repeat,
    )
    return report, work / "after"


def _fastest(runs: Sequence[StageFigures]) -> StageFigures:
    return min(runs, key=lambda run: run.seconds)


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


def _write(files: Iterator[tuple[str, bytes]], out: Path) -> tuple[float, float]:
    """Write every file as the stage gives it; return the seconds spent in the stage (waiting
    for the next file) and the seconds spent writing."""
    made: set[Path] = set()
    staged = written = 0.0
    while True:
        start = time.perf_counter()
        file = next(files, None)
        between = time.perf_counter()
        staged += between - start
        if file is None:
            return staged, written
        target = out / file[0]
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(file[1])
        written += time.perf_counter() - between


def _count(path: Path) -> int:
    with path.open("rb") as lines:
        return sum(1 for _ in lines)


def _streaming_stage(source: Path, out: Path, memo_path: Path | None) -> tuple[float, float, int]:
    from regsite.render.search import search_files

    packages = JsonLines(source, _count(source))
    memo = SqliteMemo(memo_path) if memo_path is not None else None
    baseline = _reset_peak()
    return *_write(search_files(packages, memo), out), baseline


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


def _in_memory_stage(source: Path, out: Path) -> tuple[float, float, int]:
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
    baseline = _reset_peak()

    def files() -> Iterator[tuple[str, bytes]]:
        yield from render_search(site).items()  # type: ignore[arg-type] # a duck-typed Site

    return *_write(files(), out), baseline


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
        seconds, writing, baseline = _streaming_stage(args.source, args.out, args.memo)
    else:
        seconds, writing, baseline = _in_memory_stage(args.source, args.out)
    peak = _peak()
    files, size, tree = tree_digest(args.out)
    figures = StageFigures(seconds, writing, baseline, peak, files, size, tree)
    print(json.dumps(dataclasses.asdict(figures)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
