"""Per-client admission: how many queries one client address may evaluate at once, and how many wait.

Without it two clients (or one client with two connections) hold every worker and everyone else
waits for 503s. A client over its share gets 429 with ``Retry-After`` (RFC 6585 §4) instead.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from dataclasses import dataclass, field


class TooManyQueries(Exception):
    """The client has its share of queries evaluating and its queue is full or waited too long."""

    def __init__(self, message: str, retry_after: int, at_deadline: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.at_deadline = at_deadline
        """The query's own deadline came before its turn: a timeout (503), not a refusal."""


@dataclass
class _Client:
    running: int = 0
    waiting: deque[asyncio.Future[None]] = field(default_factory=deque)


class Admission:
    """Counts of running and waiting queries per client address (entries vanish when idle)."""

    def __init__(self, per_client: int, queue: int, wait: float) -> None:
        self.per_client = max(1, per_client)
        self.queue = max(0, queue)
        self.wait = wait
        self._clients: dict[str, _Client] = {}

    @property
    def clients(self) -> int:
        """Client addresses with a query running or waiting (bounded by open connections)."""
        return len(self._clients)

    async def enter(self, client: str, deadline: float) -> None:
        """Take one of the client's slots, waiting in its bounded queue if they are all taken.

        Raises:
            TooManyQueries: the queue is full, or the wait passed ``queue_wait`` or the deadline.
        """
        state = self._clients.setdefault(client, _Client())
        if state.running < self.per_client and not state.waiting:
            state.running += 1
            return
        if len(state.waiting) >= self.queue:
            raise TooManyQueries(
                f"{state.running} queries of this client are running and {len(state.waiting)} "
                f"waiting, the most allowed (FTGRAPH_CLIENT_QUERIES={self.per_client}, "
                f"FTGRAPH_CLIENT_QUEUE={self.queue}); retry later",
                self._retry_after(),
            )
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        state.waiting.append(turn)
        began = loop.time()
        limit = min(began + self.wait, deadline)
        try:
            async with asyncio.timeout_at(limit):
                await turn
        except BaseException as exc:
            if turn.done() and not turn.cancelled():
                self.leave(client)  # the slot was handed over just as we gave up: pass it on
            else:
                turn.cancel()
                # ``leave`` may already have dropped our cancelled turn (a timeout cancels it at once,
                # and another query can finish before this handler runs).
                if turn in state.waiting:
                    state.waiting.remove(turn)
                self._forget_if_idle(client, state)
            if isinstance(exc, TimeoutError):
                raise TooManyQueries(
                    f"this client's earlier queries still hold its {self.per_client} slot(s) "
                    f"after {loop.time() - began:.1f} s of waiting (FTGRAPH_QUEUE_WAIT); retry later",
                    self._retry_after(),
                    at_deadline=limit >= deadline,
                ) from None
            raise

    def leave(self, client: str) -> None:
        """Give the slot back: to the client's next waiting query, or free it."""
        state = self._clients.get(client)
        if state is None:
            return
        while state.waiting:
            turn = state.waiting.popleft()
            if not turn.done():
                turn.set_result(None)  # the slot passes on; ``running`` stays the same
                return
        state.running -= 1
        self._forget_if_idle(client, state)

    def _forget_if_idle(self, client: str, state: _Client) -> None:
        if state.running <= 0 and not state.waiting and self._clients.get(client) is state:
            del self._clients[client]

    def _retry_after(self) -> int:
        return max(1, math.ceil(self.wait / 2))
