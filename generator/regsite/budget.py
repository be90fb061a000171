"""A CPU-time budget for one piece of work, the backstop behind the README limits.

The limits in :mod:`regsite.readme` keep every known costly Markdown shape small; this stops
whatever escapes them. It counts CPU time, not wall-clock time, so a loaded CI machine does not
fail a build that an idle one passes. It needs a POSIX interval timer and the main thread (where
Python runs signal handlers); elsewhere the work runs without one.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

__all__ = ["OutOfTime", "cpu_budget", "enforced"]


class OutOfTime(BaseException):
    """Raised inside the work when its budget runs out.

    A BaseException, as KeyboardInterrupt is, so that no ``except Exception`` in the library doing
    the work (markdown-it) swallows it. It never leaves regsite: :func:`cpu_budget`'s callers turn
    it into a problem or a :class:`~regsite.errors.RegistryError` that names the file.
    """


def enforced() -> bool:
    """Whether :func:`cpu_budget` can stop work here (a POSIX timer, and the main thread)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def cpu_budget(seconds: float) -> Iterator[None]:
    """Raise :class:`OutOfTime` in the block once it has used ``seconds`` of CPU time (0 sets no
    budget). The previous handler and timer of ``SIGVTALRM`` are restored afterwards.
    """
    if seconds <= 0 or not enforced():
        yield
        return
    previous = signal.signal(signal.SIGVTALRM, _out_of_time)
    remaining, interval = signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        unused = signal.setitimer(signal.ITIMER_VIRTUAL, 0)[0]
        signal.signal(signal.SIGVTALRM, signal.SIG_DFL if previous is None else previous)
        if remaining:  # someone else's timer was running: it goes on, less what this block used
            left = remaining - (seconds - unused)
            signal.setitimer(signal.ITIMER_VIRTUAL, max(left, 0.001), interval)


def _out_of_time(signum: int, frame: FrameType | None) -> None:
    raise OutOfTime
