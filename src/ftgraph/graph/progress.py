"""Progress of long work (a build, a validation): what the work reports, and its two renderings.

The build and the validators call :class:`Progress`; the CLI picks a renderer with
:func:`progress_for` (rich bars on a terminal, one line per phase otherwise), and everything else
passes :data:`SILENT`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Progress(Protocol):
    """Phases one after the other, each optionally counting units towards a known total."""

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        """A phase begins (and the one before it ends)."""

    def advance(self, n: int = 1) -> None:
        """``n`` more units of the current phase are done."""

    def close(self) -> None:
        """The work is over (the last phase ends)."""


class Silent:
    """Reports nothing: the default of every function that takes a :class:`Progress`."""

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


SILENT: Progress = Silent()

STEP = 50_000
"""Units counted between two reports of :func:`counting` (so a report costs nothing per item)."""


def counting(items: Iterable[T], progress: Progress, step: int = STEP) -> Iterator[T]:
    """``items``, reporting every ``step`` of them to ``progress`` (and the rest at the end)."""
    n = 0
    for item in items:
        yield item
        n += 1
        if n == step:
            progress.advance(n)
            n = 0
    progress.advance(n)


# --------------------------------------------------------------------------------------------
# Renderings (used by the CLI)
# --------------------------------------------------------------------------------------------


class PhaseLines:
    """Progress off a terminal (CI logs, pipes): one line per phase when it ends, on stderr."""

    def __init__(self, command: str) -> None:
        self.command = command
        self.name = ""
        self.unit = ""
        self.count = 0
        self.started = 0.0

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        self._end()
        self.name, self.unit, self.count, self.started = name, unit, 0, time.perf_counter()

    def advance(self, n: int = 1) -> None:
        self.count += n

    def close(self) -> None:
        self._end()
        self.name = ""

    def abort(self) -> None:
        """The work failed: the running phase gets no line (the error says what happened)."""
        self.name = ""

    def _end(self) -> None:
        if not self.name:
            return
        seconds = time.perf_counter() - self.started
        line = f"{self.command}: {self.name} {seconds:.1f} s"
        if self.count and self.unit:
            line += f", {self.count:,} {self.unit}"
            if seconds > 0:
                line += f" ({_rate(self.count / seconds)}/s)"
        print(line, file=sys.stderr, flush=True)


class PhaseBars:
    """Progress on a terminal: a rich bar per phase (count, rate, time, and the time left when the
    phase knows its total)."""

    def __init__(self, command: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bars = Progress(
            SpinnerColumn(finished_text="✓"),
            TextColumn(f"{command}: {{task.description}}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self.bars.start()
        self.task: Any = None
        self.started = 0.0

    def phase(self, name: str, total: int | None = None, unit: str = "") -> None:
        self._end()
        self.unit = unit
        self.started = time.perf_counter()
        self.task = self.bars.add_task(name, total=total, rate="")

    def advance(self, n: int = 1) -> None:
        if self.task is None:
            return
        self.bars.advance(self.task, n)
        done = self.bars.tasks[self.task].completed
        elapsed = time.perf_counter() - self.started
        if self.unit and elapsed > 0:
            self.bars.update(self.task, rate=f"{_rate(done / elapsed)} {self.unit}/s")

    def close(self) -> None:
        self._end()
        self.abort()

    def abort(self) -> None:
        """Stop drawing (idempotent); a failed phase stays as it was."""
        if self.bars.live.is_started:
            self.bars.stop()

    def _end(self) -> None:
        if self.task is not None:
            task = self.bars.tasks[self.task]
            self.bars.update(
                self.task,
                total=task.total or max(task.completed, 1),
                completed=task.total or max(task.completed, 1),
            )
            self.task = None


def _rate(per_second: float) -> str:
    return f"{per_second:,.1f}" if per_second < 10 else f"{per_second:,.0f}"


def progress_for(command: str) -> PhaseLines | PhaseBars:
    """Bars on a terminal, one line per phase elsewhere (both on stderr: stdout stays the result)."""
    return PhaseBars(command) if sys.stderr.isatty() else PhaseLines(command)
