"""What a build tells the person watching: stages, their progress and their times."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, NoReturn, Protocol

if TYPE_CHECKING:
    from tqdm import tqdm

__all__ = ["LineProgress", "NullProgress", "Progress", "Stages", "TerminalProgress"]


class Progress(Protocol):
    prints_stages: bool  # each stage's time is printed as it ends: a summary need not repeat it

    def start(self, stage: str, total: int | None) -> None: ...
    def advance(self, count: int) -> None: ...
    def finish(self, stage: str, seconds: float) -> None: ...


class NullProgress:
    prints_stages = False

    def start(self, stage: str, total: int | None) -> None:
        pass

    def advance(self, count: int) -> None:
        pass

    def finish(self, stage: str, seconds: float) -> None:
        pass


class LineProgress:
    """One plain line per stage when it ends: for CI logs and other non-terminals."""

    prints_stages = True

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total: int | None = None

    def start(self, stage: str, total: int | None) -> None:
        self.total = total

    def advance(self, count: int) -> None:
        pass

    def finish(self, stage: str, seconds: float) -> None:
        items = f" {self.total:,} packages," if self.total else ""
        print(f"{stage}:{items} {seconds:.2f}s", file=self.stream, flush=True)


class TerminalProgress:
    """A progress bar per stage with packages to go through (tqdm), on a terminal; the bars
    vanish when done, so the summary lists the stage times."""

    prints_stages = False

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        self.bar: tqdm[NoReturn] | None = None

    def start(self, stage: str, total: int | None) -> None:
        if total:
            from tqdm import tqdm  # 66 ms to import: only when a bar is drawn

            self.bar = tqdm(
                total=total, desc=f"{stage:<10}", unit=" pkg", file=self.stream, leave=False
            )

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def finish(self, stage: str, seconds: float) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Stages:
    """Times each stage of a build and reports it to a :class:`Progress`."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.times: dict[str, float] = {}

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Callable[[], None]]:
        self.progress.start(name, total)
        started = time.perf_counter()
        yield lambda: self.progress.advance(1)
        seconds = time.perf_counter() - started
        self.times[name] = self.times.get(name, 0.0) + seconds
        self.progress.finish(name, seconds)
