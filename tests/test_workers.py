"""The build's worker processes end with it: on an error, on Ctrl-C, and when it is killed."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from builder import SourceBuilder, release
from regsite.errors import RegistryError
from regsite.pipeline import run

linux_only = pytest.mark.skipif(
    sys.platform != "linux", reason="reads /proc; PR_SET_PDEATHSIG is Linux's"
)


def _fails_on_three(item: int) -> int:
    if item == 3:
        raise RegistryError("item 3 is bad")
    return item


def _slow(item: int) -> int:
    time.sleep(0.05)
    return item


def test_a_failing_work_item_stops_every_worker() -> None:
    with pytest.raises(RegistryError, match="item 3 is bad"):
        run(_fails_on_three, list(range(40)), None, 2, lambda result: None)
    assert multiprocessing.active_children() == []


def test_ctrl_c_in_the_build_stops_every_worker() -> None:
    def interrupted(result: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(_slow, list(range(40)), None, 2, interrupted)
    assert multiprocessing.active_children() == []


# The build runs in a child process whose scan stage never ends, as a worker stuck on a hostile
# input once did; the test kills that process and looks for its workers. The stand-in is defined
# in __main__, so the forked workers find it there.
_STUCK_BUILD = textwrap.dedent(
    """
    import sys, time
    import regsite.build
    from regsite.cli import main

    def stuck(item):
        time.sleep(120)

    regsite.build.scan_package = stuck
    sys.exit(main(["build", sys.argv[1], "-o", sys.argv[2], "-j", "2", "--unsigned", "-q"]))
    """
)


@linux_only
@pytest.mark.slow
def test_a_killed_build_leaves_no_worker_behind(builder: SourceBuilder, tmp_path: Path) -> None:
    for number in range(8):
        builder.add_package(f"extra{number}", ["alice"], [release(f"extra{number}", "1.0.0")])
    source = builder.write(tmp_path / "source")
    command = [sys.executable, "-c", _STUCK_BUILD, str(source), str(tmp_path / "site")]
    with subprocess.Popen(command, stderr=subprocess.PIPE) as build:
        try:
            workers = _wait_for_children(build.pid, count=2)
            os.kill(build.pid, signal.SIGKILL)
            build.wait()
            survivors = _wait_until_gone(workers, seconds=10)
        finally:
            build.kill()
    assert survivors == set(), f"workers {survivors} outlived the killed build"


def _wait_for_children(pid: int, count: int, seconds: float = 60) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = _children(pid)
        if len(children) >= count:
            return children
        time.sleep(0.05)
    raise AssertionError(f"the build did not start {count} workers in {seconds} s")


def _wait_until_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    alive = pids
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = {pid for pid in alive if _alive(pid)}
    for pid in alive:  # leave nothing running, whatever the test says
        os.kill(pid, signal.SIGKILL)
    return alive


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _stat(int(entry.name))[1:2] == [str(pid)]:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    state = _stat(pid)[:1]
    return state not in ([], ["Z"])  # gone, or a zombie waiting to be reaped: dead either way


def _stat(pid: int) -> list[str]:
    """A process's state and parent, from /proc/PID/stat; [] once it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text.rsplit(")", 1)[1].split()[:2]  # after "(command)": state, ppid
