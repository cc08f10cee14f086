"""The seam between the web layer and whatever evaluates queries: one :class:`Backend` per store version.

Every route asks the runtime's backend, with a deadline; nothing above this module knows how a query
is evaluated. :class:`ftgraph.sparql.embedded.Engine` (a pool of killable Oxigraph workers) is the
first implementation; a remote SPARQL engine is meant to be the second. A :class:`~ftgraph.sparql.jobs.Job`
says what to evaluate (query or page procedure, dataset, formats, base IRI, bound terms).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from ftgraph.formats import Format
from ftgraph.sparql.jobs import Job


class Answer(Protocol):
    """An answer under way: its head once started, then the rest as it comes, within the deadline."""

    format: Format | None
    head: bytes
    complete: bool
    """The head is the whole answer (small answers travel whole, with a Content-Length)."""
    nbytes: int

    async def start(self) -> None:
        """Wait for the first bytes (or the whole of a small answer).

        Raises:
            QueryTimeout: the deadline passed first.
            QueryError: the query failed (its status and message say why).
        """

    def rest(self) -> AsyncIterator[bytes]:
        """The remaining bytes, as they are produced."""
        ...

    @property
    def finished(self) -> bool:
        """The answer ended cleanly."""
        ...

    def close(self) -> None:
        """Stop the answer (the evaluation with it) if it is still running; idempotent."""


class Backend(Protocol):
    """Evaluates jobs against one store version, each within its deadline."""

    size: int
    """Evaluations it runs at once (for the embedded pool: its workers)."""

    async def start(self) -> None:
        """Be ready to evaluate (open the store, start workers, reach the engine)."""

    async def execute(
        self, job: Job, deadline: float, *, wait_until: float | None = None
    ) -> Answer:
        """Start evaluating ``job``; ``deadline`` covers waiting, evaluating and streaming.

        Raises:
            QueryTimeout: no capacity became free before the deadline.
            NoWorker: none before ``wait_until``, or none can be had (retry later: a 503).
        """
        ...

    async def fetch(self, job: Job, timeout: float) -> tuple[Format, bytes]:
        """The whole answer of a small query of the server's own (Service Description, UI data)."""
        ...

    @property
    def live(self) -> int:
        """Evaluations it can run right now (at most :attr:`size`)."""
        ...

    @property
    def healthy(self) -> bool:
        """False when it cannot evaluate at all (nothing can be started or reached)."""
        ...

    @property
    def busy(self) -> int:
        """Evaluations running now."""
        ...

    @property
    def pids(self) -> list[int]:
        """Processes evaluating on this machine, if any (for /health)."""
        ...

    async def close(self, grace: float = 0.0) -> None:
        """Stop, letting running evaluations finish for up to ``grace`` seconds."""
