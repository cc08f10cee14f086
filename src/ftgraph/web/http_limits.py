"""Limits on the request head that uvicorn's httptools protocol does not enforce (issue 9).

httptools buffers a header of any size, and a connection that never finishes its head is kept
forever: one 8 MB ``Accept`` or a slowloris client costs memory or a connection each. This protocol
answers ``431 Request Header Fields Too Large`` (RFC 6585, section 5) once the request line and
headers pass ``FTGRAPH_MAX_HEADER_BYTES``, and ``408 Request Timeout`` (RFC 9110, section 15.5.9)
when a head is not complete ``FTGRAPH_HEADER_TIMEOUT`` seconds after the connection or its first
byte. uvicorn loads it by name (``http="ftgraph.web.http_limits:LimitedHttpToolsProtocol"``), so each
HTTP process gets it; :func:`configure` sets the limits in each of them.

On SIGTERM uvicorn closes the listener and calls each connection's ``shutdown``; that starts the
process's :data:`DRAIN`. Answers in flight get ``FTGRAPH_DRAIN_SECONDS``; then every wait bounded
by :meth:`Drain.bounded` times out, so the app ends its streams with the INCOMPLETE marker and its
pending requests with a 503, before uvicorn would cancel them (a CancelledError traceback each).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ftgraph.config import Settings

log = logging.getLogger("ftgraph.http")

PROTOCOL = "ftgraph.web.http_limits:LimitedHttpToolsProtocol"
"""What to give uvicorn as ``http``: an import string survives the spawn of HTTP processes."""

HEAD_END = b"\r\n\r\n"


SHUTDOWN_GRACE = 2.0
"""Seconds uvicorn waits past the drain before it cancels what is left (the app is done by then)."""


class Drain:
    """The end of this process's answers once shutdown began: waits registered here stop there."""

    def __init__(self) -> None:
        self.deadline = math.inf
        """Loop time at which answers still in flight are cut; infinite until shutdown begins."""
        self._bounds: set[asyncio.Timeout] = set()

    @property
    def started(self) -> bool:
        return self.deadline != math.inf

    def begin(self, seconds: float) -> None:
        """Shutdown began: bring every registered wait forward to ``seconds`` from now."""
        if self.started:
            return
        self.deadline = asyncio.get_running_loop().time() + seconds
        log.info("shutting down: answers in flight get %g s", seconds)
        for bound in self._bounds:
            self._tighten(bound)

    def cut(self) -> bool:
        """True once the drain is over (a wait that timed out was cut by shutdown)."""
        return self.started and asyncio.get_running_loop().time() >= self.deadline

    def _tighten(self, bound: asyncio.Timeout) -> None:
        when = bound.when()
        if when is None or when > self.deadline:
            bound.reschedule(self.deadline)

    @asynccontextmanager
    async def bounded(self, deadline: float | None) -> AsyncIterator[None]:
        """``asyncio.timeout_at(deadline)`` that also ends at the drain's deadline.

        Raises:
            TimeoutError: at ``deadline`` or the end of the drain (tell them apart with :meth:`cut`).
        """
        async with asyncio.timeout_at(deadline) as bound:
            self._bounds.add(bound)
            if self.started:
                self._tighten(bound)
            try:
                yield
            finally:
                self._bounds.discard(bound)


DRAIN = Drain()
"""This process's drain (one per process: shutdown is a process's event)."""


def configure(settings: Settings) -> None:
    """Set this process's head limits and drain from the settings (before uvicorn serves)."""
    LimitedHttpToolsProtocol.max_head_bytes = settings.max_header_bytes
    LimitedHttpToolsProtocol.head_timeout = settings.header_timeout
    LimitedHttpToolsProtocol.drain_seconds = settings.drain_seconds


def _response(status: int, reason: str, message: str) -> bytes:
    body = message.encode("ascii")
    return (
        f"HTTP/1.1 {status} {reason}\r\n"
        "content-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    ).encode("ascii") + body


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a bounded, timed request head."""

    max_head_bytes = 32 * 1024
    head_timeout = 10.0
    drain_seconds = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True
        """Between requests or inside a head: bytes received now belong to a request head."""
        self._head_bytes = 0
        self._tail = b""
        """The last bytes of the previous chunk, so a head end split across chunks is found."""
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            if self._head_bytes + len(data) > self.max_head_bytes:
                room = self.max_head_bytes - self._head_bytes
                if HEAD_END not in self._tail + data[: max(room, 0) + len(HEAD_END)]:
                    self._refuse(
                        431,
                        "Request Header Fields Too Large",
                        f"Request line and headers exceed {self.max_head_bytes} bytes "
                        "(FTGRAPH_MAX_HEADER_BYTES).\n",
                    )
                    return
            self._head_bytes += len(data)
            self._tail = data[-(len(HEAD_END) - 1) :]
            if self._head_timer is None:
                self._arm()
        super().data_received(data)

    def shutdown(self) -> None:
        DRAIN.begin(self.drain_seconds)
        super().shutdown()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        self._tail = b""
        self._disarm()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head = True

    def _arm(self) -> None:
        self._disarm()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._in_head or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm()  # an answer is still going out: the next head waits for it
            return
        if self._head_bytes == 0:
            self.transport.close()  # nothing was asked: no answer is owed
            return
        self._refuse(
            408,
            "Request Timeout",
            f"Request head not received within {self.head_timeout:g} s (FTGRAPH_HEADER_TIMEOUT).\n",
        )

    def _refuse(self, status: int, reason: str, message: str) -> None:
        log.warning("%s from %s: %s", status, self.client, message.strip())
        self._disarm()
        self._in_head = False
        self.transport.write(_response(status, reason, message))
        self.transport.close()
