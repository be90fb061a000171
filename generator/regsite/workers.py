"""The build's processes: workers for the per-package stages (one package at a time, on every
core), and how often the collector runs.

Workers are forked with the stage's context already in memory (:func:`run`), so nothing but
small tasks and results crosses process boundaries; a stage's function reads the context with
:func:`context`.  They end with the build's process, however it ends.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["context", "default_jobs", "fewer_collections", "run"]

log = logging.getLogger(__name__)

_Item = TypeVar("_Item")
_Result = TypeVar("_Result")

_context: Any = None  # the running stage's context, inherited by forked workers


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the garbage collector less often: a build allocates millions of small objects that
    hold no cycles, and the default thresholds walk them over and over (a no-op rebuild of
    10,000 packages spent a quarter of its time there)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(100_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def context() -> Any:
    """The context the running stage was given (in a worker, or in the build's process)."""
    if _context is None:
        raise RuntimeError("no stage is running")
    return _context


def run(
    work: Callable[[_Item], _Result],
    items: Sequence[_Item],
    stage_context: object,
    jobs: int,
    done: Callable[[_Result], None],
) -> None:
    """Call ``work`` on every item in ``jobs`` forked processes, ``done`` on each result as it
    comes (in any order).  One process, or no fork on this platform, runs them here instead."""
    global _context
    _context = stage_context
    try:
        forkable = "fork" in multiprocessing.get_all_start_methods()
        if jobs <= 1 or len(items) < 2 * jobs or not forkable:
            for item in items:
                done(work(item))
            return
        chunk = max(1, min(64, len(items) // (jobs * 8)))
        pool = multiprocessing.get_context("fork").Pool(
            jobs, initializer=_worker_started, initargs=(os.getpid(),)
        )
        # Leaving the block terminates the workers, also on an error or Ctrl-C (KeyboardInterrupt)
        # in this process; if this process is killed, the kernel ends them (_worker_started).
        with pool:
            for result in pool.imap_unordered(work, items, chunksize=chunk):
                done(result)
    finally:
        _context = None


_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _worker_started(parent: int) -> None:
    """Tie a worker's life to the build's process: a worker that outlived a killed build would
    go on using a core, for hours if it was stuck in a bad input."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the build's process to handle
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            log.warning("worker %d outlives its build if killed: prctl failed", os.getpid())
    if os.getppid() != parent:  # the build died before the line above took effect
        os._exit(1)
