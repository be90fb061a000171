"""The CPU-time budget (regsite.budget) stops work that runs too long and leaves no trace."""

from __future__ import annotations

import contextlib
import signal
import threading
import time

import pytest

from regsite.budget import OutOfTime, cpu_budget, enforced

posix_only = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timers")


def spin(seconds: float) -> None:
    """Use ``seconds`` of CPU time."""
    ends = time.process_time() + seconds
    while time.process_time() < ends:
        pass


@posix_only
def test_work_over_its_cpu_budget_is_stopped() -> None:
    started = time.process_time()
    with pytest.raises(OutOfTime), cpu_budget(0.05):
        spin(10)
    assert time.process_time() - started < 5


@posix_only
def test_work_within_its_budget_is_not_disturbed() -> None:
    with cpu_budget(5):
        spin(0.01)
    spin(0.05)  # the timer is off: nothing fires later


def test_a_budget_of_zero_is_no_budget() -> None:
    with cpu_budget(0):
        spin(0.05)


@posix_only
def test_an_except_exception_in_the_work_does_not_swallow_it() -> None:
    with pytest.raises(OutOfTime), cpu_budget(0.05):
        for _ in range(1000):
            with contextlib.suppress(Exception):  # as a library doing the work might
                spin(0.01)


@posix_only
def test_the_previous_handler_and_timer_are_restored() -> None:
    def previous(signum: int, frame: object) -> None:
        raise AssertionError("the enclosing timer fired")

    before = signal.signal(signal.SIGVTALRM, previous)
    try:
        signal.setitimer(signal.ITIMER_VIRTUAL, 60)
        with pytest.raises(OutOfTime), cpu_budget(0.05):
            spin(10)
        assert signal.getsignal(signal.SIGVTALRM) is previous
        remaining = signal.getitimer(signal.ITIMER_VIRTUAL)[0]
        assert 50 < remaining < 60  # still running, less the time the budgeted block used
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, before)


def test_no_budget_off_the_main_thread() -> None:
    """Python runs signal handlers in the main thread only: elsewhere the work just runs."""
    outcome: list[object] = []

    def work() -> None:
        try:
            with cpu_budget(0.001):
                spin(0.05)
            outcome.append(enforced())
        except BaseException as exc:  # reported by the assertion below
            outcome.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert outcome == [False]
