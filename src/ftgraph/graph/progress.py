"""Progress of long work (a build, a validation): what the work reports, never how it is shown.

The build and the validators call :class:`Progress`; the CLI renders it (rich on a terminal, one line
per phase otherwise), and everything else passes :data:`SILENT`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

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
