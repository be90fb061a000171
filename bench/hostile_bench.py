"""Hostile READMEs (issue 12): ``regsite build`` of a one-package registry per README shape.

Run ``python bench/hostile_bench.py`` for every shape, ``--shape NAME`` (repeatable) for some,
``--list`` to list them. Each README is as large as the README size limit allows (512 KiB, or
``--size BYTES``). Each shape gets its own signed source (``source.write_source`` with one
package whose README is replaced), built cold by ``python -m regsite build`` in a child process;
the figures are that child's wall time and CPU time (user + system, ``os.wait4``), and what the
build said: ``built``, or the first problem that refused the README.

The shapes are the ones that once took minutes or hours (``issue-*``), the markup that costs
markdown-it-py most per byte (each now refused by a README limit: ``over-*``), the same markup
kept just within its limit, or all of them within theirs at once (``at-*``: what a README that
passes can cost), and prose as a baseline. bench/README.md ("Hostile READMEs") has the figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from source import write_package, write_source

from regsite.load import SourceLimits

LIMITS = SourceLimits()


def _fill(unit: str, size: int) -> str:
    """``unit`` repeated to exactly ``size`` characters."""
    return (unit * (size // len(unit) + 1))[: max(size, 0)]


def _then_fill(head: str, size: int) -> str:
    """``head``, then the filler, to exactly ``size`` characters."""
    return (head + _fill(FILLER, size - len(head)))[:size]


def _prose(size: int) -> str:
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    return _fill(text.encode("ascii", "ignore").decode() + "\n\n", size)


# The costliest markup that no limit counts, per byte (about 2.5 us in markdown-it-py): text
# interrupted at every character, by '!' (an image that never opens) and escapes.
FILLER = "!\\!"
NESTING, ITEMS = LIMITS.readme_nesting, LIMITS.readme_list_items
LINKS, EMPHASIS = LIMITS.readme_links, LIMITS.readme_emphasis
CELLS, LINES = LIMITS.readme_table_cells, LIMITS.readme_lines


def _sparse_images(size: int) -> str:
    """One paragraph of filler with an unclosed image every 1/20th: markdown-it scans the rest
    of the paragraph for the end of each image's text, up to its nesting limit (20) deep."""
    part = "![" + _fill(FILLER, size // 20 - 2)
    return _then_fill(part * 20, size)


def _table(columns: int, cells: int) -> str:
    """A table of as many rows as keep it within ``cells`` (as the README check counts them)."""
    row = "a|" * (columns - 1) + "a\n"
    rows = cells // columns - 1  # and the header
    return row + "-|" * (columns - 1) + "-\n" + row * rows + "\n"


def _every_limit(size: int) -> str:
    """Every counted kind of markup at its limit, then one paragraph of images, emphasis and
    filler (so that each image's scan goes over the filler)."""
    head = ("- " * NESTING + "a\n") * (ITEMS // NESTING) + "\n" + _table(8, CELLS)
    lines = head.count("\n")
    head += "=\na\n" * ((LINES - lines - 2) // 2) + "\n"
    return _then_fill(head + "![ " * LINKS + "*_ " * (EMPHASIS // 2), size)


SHAPES: dict[str, Callable[[int], str]] = {
    # The inputs issue 12 reported: hours in the scan stage, or 24-62 s in markdown-it.
    "issue-heading-spaces": lambda size: "# x" + _fill(" ", size - 4) + "x",
    "issue-heading-brackets": lambda size: "# " + _fill("[", size - 2),
    "issue-setext-brackets": lambda size: _fill("[", size - 5) + "\n===\n",
    "issue-brackets": lambda size: _fill("[", size),
    # The markup that costs markdown-it most per byte, as much as fits: each breaks a limit.
    "over-image-lines": lambda size: _fill("![\n", size),
    "over-bracket-bang": lambda size: _fill("[!", size),
    "over-autolinks": lambda size: _fill("<http://a>", size),
    "over-list-items": lambda size: _fill("- a\n", size),
    "over-nested-lists": lambda size: _fill("- " * 9 + "a\n", size),
    "over-quoted-lists": lambda size: _fill("> - " * 6 + "a\n", size),
    "over-table-rows": lambda size: "a|b\n-|-\n" + _fill("a|b\n", size - 8),
    "over-wide-table": lambda size: _fill(_table(20, size), size),
    "over-emphasis": lambda size: _fill("*_", size),
    "over-lines": lambda size: _fill("=\n", size),
    "over-quotes": lambda size: _fill(">", size),
    # The same markup just within its limit, then the filler; and all of them at once: what a
    # README that passes can cost.
    "at-images": lambda size: _then_fill("![\n" * LINKS, size),
    "at-sparse-images": _sparse_images,
    "at-autolinks": lambda size: _then_fill("<http://a>\n" * LINKS + "\n", size),
    "at-list-items": lambda size: _then_fill("- a\n" * ITEMS + "\n", size),
    "at-nesting": lambda size: _then_fill(("- " * NESTING + "a\n") * (ITEMS // NESTING), size),
    "at-table-cells": lambda size: _then_fill(_table(2, CELLS), size),
    "at-emphasis": lambda size: _then_fill("*_ " * (EMPHASIS // 2), size),
    "at-lines": lambda size: _then_fill("=\n" * (LINES - 1), size),
    "at-filler": lambda size: _fill(FILLER, size),
    "at-every-limit": _every_limit,
    "prose": _prose,
}


@dataclass(frozen=True, slots=True)
class Figure:
    shape: str
    bytes: int
    wall: float  # seconds
    cpu: float  # seconds, user + system, of the build's process and its workers
    outcome: str


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", action="append", choices=sorted(SHAPES), help="repeatable")
    parser.add_argument("--size", type=int, default=LIMITS.readme_bytes, help="README bytes")
    parser.add_argument("--list", action="store_true", help="list the shapes and exit")
    parser.add_argument("--json-out", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(SHAPES))
        return 0
    figures = []
    print(f"{'shape':24} {'bytes':>8} {'wall s':>7} {'cpu s':>6}  outcome", flush=True)
    for shape in args.shape or list(SHAPES):
        figure = measure(shape, args.size)
        figures.append(figure)
        print(
            f"{figure.shape:24} {figure.bytes:8} {figure.wall:7.2f} {figure.cpu:6.2f}"
            f"  {figure.outcome}",
            flush=True,
        )
    worst = max(figures, key=lambda figure: figure.cpu)  # wall time varies with the load
    print(f"worst: {worst.shape}, {worst.cpu:.2f} s CPU, {worst.wall:.2f} s wall")
    if args.json_out:
        args.json_out.write_text(json.dumps([dataclasses.asdict(f) for f in figures], indent=2))
    return 0


def measure(shape: str, size: int) -> Figure:
    """Build a fresh registry whose one package has ``shape``'s README."""
    readme = SHAPES[shape](size)
    with tempfile.TemporaryDirectory(prefix="hostile-bench-") as temporary:
        directory = Path(temporary) / "source"
        source = write_source(directory, 1)
        spec = dataclasses.replace(source.specs[0], readme=readme)
        write_package(directory, spec, [source.owners[spec.owners[0]]])
        command = [sys.executable, "-m", "regsite", "build", "-q", str(directory)]
        command += ["-o", str(Path(temporary) / "site"), "--online-key", str(source.online_key)]
        wall, cpu, code, stderr = _run(command)
    return Figure(shape, len(readme.encode()), wall, cpu, _outcome(code, stderr))


def _run(command: list[str]) -> tuple[float, float, int, str]:
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        text = stderr.read().decode(errors="replace")
    # os.wait4 counts the child and the workers it waited for.
    return wall, usage.ru_utime + usage.ru_stime, process.returncode, text


def _outcome(code: int, stderr: str) -> str:
    if code == 0:
        return "built"
    problems = [line.strip() for line in stderr.splitlines() if "README.md" in line]
    return f"refused: {problems[0][:110]}" if problems else f"exit {code}: {stderr[-200:]!r}"


if __name__ == "__main__":
    sys.exit(main())
