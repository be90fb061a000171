"""Run a build in a child process and measure it: wall time, CPU time and peak memory.

A child's ``ru_maxrss`` (``os.wait4``) is not its own peak when the parent is large: Linux starts
a new process's peak at its parent's peak (``exec`` keeps the high-water mark of the memory it
replaces, and ``subprocess`` forks or vforks from the parent), so a benchmark holding its corpus
in memory reported the same 83.5 MB for every build of 2,000 packages. So each build runs under
a small launcher: this file, run as a script, in a fresh interpreter (about 10 MB). The launcher
starts the build, waits for it with ``os.wait4`` and writes the figures to a JSON file:

- ``peak_rss``: ``ru_maxrss`` of the build, which Linux takes over the build and every
  descendant it waited for (its worker processes): the largest single process, not a sum;
- ``peak_pss``: the largest sum over the build's process tree of each process's proportional
  set size (``Pss`` in ``/proc/PID/smaps_rollup``: pages shared by forked workers counted once),
  sampled while it runs, so a peak shorter than the sampling interval can be missed. Reading
  ``smaps_rollup`` walks the page tables (about 12 ms per GB), so the interval grows to keep the
  sampling under 5 % of one core: 0.5 s, or 20 times the last sample's cost. None where /proc
  lacks it;
- ``seconds`` (wall, from start to exit, the launcher's own start left out) and ``cpu_seconds``
  (user and system time of the build and its waited-for descendants).

Linux only (``ru_maxrss`` in KiB, ``/proc``).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ChildFailed", "ChildRun", "run_measured", "stage_seconds"]

LAUNCHER = Path(__file__).resolve()
_INTERVAL = 0.5  # seconds between samples of the tree's memory, at least
_SAMPLING_SHARE = 20  # the interval is at least this many times a sample's cost
_STAGE_LINE = re.compile(r"^([a-z][a-z ]*): (?:[\d,]+ packages, )?([\d.]+)s$", re.MULTILINE)
_RENDERED = re.compile(r"([\d,]+) packages rendered")


class ChildFailed(Exception):
    """The measured command exited with a status other than 0; the message holds its stderr."""


@dataclass(frozen=True, slots=True)
class ChildRun:
    seconds: float  # wall time
    cpu_seconds: float  # user + system, the child and its waited-for descendants
    peak_rss: int  # bytes: the largest single process (ru_maxrss)
    peak_pss: int | None  # bytes: the largest sampled sum over the process tree
    load: float  # the 1-minute load average when the child started
    stages: dict[str, float] = field(default_factory=dict)  # regsite's seconds per stage
    rendered: int | None = None  # packages regsite rendered (its summary line)


def run_measured(
    command: Sequence[str], logs: Path, env: Mapping[str, str] | None = None
) -> ChildRun:
    """Run ``command`` under the launcher, to its end. Its stdout and stderr are kept in
    ``LOGS.out`` and ``LOGS.err`` (regsite's stage times are read from the latter), the
    launcher's figures in ``LOGS.json``. Raise :class:`ChildFailed` unless it exits 0."""
    out, err, result = (logs.with_name(f"{logs.name}.{kind}") for kind in ("out", "err", "json"))
    result.unlink(missing_ok=True)
    load = os.getloadavg()[0]
    launcher = [sys.executable, "-S", str(LAUNCHER), str(result), "--", *command]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        subprocess.run(
            launcher, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=env, check=False
        )
    errors = err.read_text(errors="replace")
    try:
        figures = json.loads(result.read_text())
    except (OSError, ValueError) as exc:
        raise ChildFailed(f"{shlex.join(command)}: the launcher failed:\n{errors}") from exc
    if figures["status"] != 0:
        raise ChildFailed(f"{shlex.join(command)} exited with {figures['status']}:\n{errors}")
    rendered = _RENDERED.search(out.read_text(errors="replace"))
    return ChildRun(
        seconds=figures["seconds"],
        cpu_seconds=figures["cpu_seconds"],
        peak_rss=figures["peak_rss"],
        peak_pss=figures["peak_pss"],
        load=load,
        stages=stage_seconds(errors),
        rendered=None if rendered is None else int(rendered[1].replace(",", "")),
    )


def stage_seconds(stderr: str) -> dict[str, float]:
    """regsite build's seconds per stage, from the lines it prints when stderr is no terminal
    (``scan: 10,000 packages, 18.47s``)."""
    return {name: float(seconds) for name, seconds in _STAGE_LINE.findall(stderr)}


# The launcher (this file run as a script)


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc/PID/task/TID/children."""
    found, queue = [], [pid]
    while queue:
        process = queue.pop()
        found.append(process)
        try:
            for task in Path(f"/proc/{process}/task").iterdir():
                queue.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:  # the process ended meanwhile
            continue
    return found


def _pss(pid: int) -> int:
    """The process's proportional set size in bytes; 0 once it has ended."""
    try:
        with Path(f"/proc/{pid}/smaps_rollup").open() as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class _Sampler(threading.Thread):
    """The largest sum of Pss over the child's tree, until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak: int | None = 0 if Path("/proc/self/smaps_rollup").exists() else None
        self.stopped = threading.Event()

    def run(self) -> None:
        if self.peak is None:
            return
        interval = _INTERVAL
        while not self.stopped.is_set():
            started = time.perf_counter()
            total = sum(_pss(process) for process in _tree(self.pid))
            self.peak = max(self.peak, total)
            interval = max(_INTERVAL, _SAMPLING_SHARE * (time.perf_counter() - started))
            self.stopped.wait(interval)


def _launcher(argv: Sequence[str]) -> int:
    """``measure_child.py RESULT -- COMMAND...``: run COMMAND, write its figures to RESULT."""
    result, separator, *command = argv
    if separator != "--" or not command:
        print("usage: measure_child.py RESULT -- COMMAND...", file=sys.stderr)
        return 2
    started = time.perf_counter()
    process = subprocess.Popen(command)
    sampler = _Sampler(process.pid)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    figures = {
        "seconds": seconds,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss": usage.ru_maxrss * 1024,  # KiB on Linux
        "peak_pss": sampler.peak,
        "status": process.returncode,
    }
    Path(result).write_text(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(_launcher(sys.argv[1:]))
