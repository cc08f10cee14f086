"""Answering a query or a page read on the workers: admission, deadline, streaming, refusals.

Plain functions the routes call; they know nothing of the route that asked."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any, TypeVar

from fastapi.responses import PlainTextResponse, Response
from starlette.responses import StreamingResponse
from starlette.types import Receive, Send

from ftgraph.formats import ALL_FORMATS, Format
from ftgraph.sparql.analysis import (
    QueryRefused,
    analyze_query,
    check_services,
)
from ftgraph.sparql.backend import Answer
from ftgraph.sparql.embedded import NoWorker
from ftgraph.sparql.jobs import Job, QueryError, QueryTimeout, Substitution
from ftgraph.sparql.protocol import QueryRequest
from ftgraph.web.admission import TooManyQueries
from ftgraph.web.caches import HotAnswer, cacheable, identity_headers
from ftgraph.web.describe import answer as page_answer
from ftgraph.web.http_limits import DRAIN
from ftgraph.web.metrics import Metrics, log_query, query_hash
from ftgraph.web.responses import not_modified
from ftgraph.web.runtime import Runtime

_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------
# Query answering (plain functions, the routes only call these)
# --------------------------------------------------------------------------------------------


def etag_for(rt: Runtime, req: QueryRequest, substitutions: tuple[Substitution, ...] = ()) -> str:
    """Weak ETag: same dataset version, query, dataset, formats and bound terms give the same bytes.

    It is also the result cache's key, so the substitutions (sorted, see
    :func:`~ftgraph.sparql.jobs.encode_substitutions`) are part of it.
    """
    f = req.formats
    key = "\0".join(
        (
            rt.version,
            req.query,
            "\1".join(req.default_graph_uris),
            "\1".join(req.named_graph_uris),
            f.results.name if f.results else "",
            f.graph.name if f.graph else "",
            req.base_iri or "",
        )
    )
    if substitutions:
        key += "\0" + repr(substitutions)
    return 'W/"' + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + '"'


def answer_not_modified(
    rt: Runtime,
    req: QueryRequest,
    if_none_match: str | None,
    substitutions: tuple[Substitution, ...] = (),
) -> Response | None:
    """``304 Not Modified`` when ``If-None-Match`` names the answer's ETag, else None."""
    return not_modified(if_none_match, _validators(rt, etag_for(rt, req, substitutions)))


def _validators(rt: Runtime, etag: str) -> dict[str, str]:
    """The headers every answer and its 304 carry, whatever its format."""
    return {
        "ETag": etag,
        "Cache-Control": f"public, max-age={rt.settings.cache_max_age}",
        "Vary": "Accept",
    }


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


INCOMPLETE_TIMEOUT = "\n\n# ftgraph: query stopped at its deadline; this answer is INCOMPLETE\n"
INCOMPLETE_SHUTDOWN = "\n\n# ftgraph: server shutting down; this answer is INCOMPLETE\n"
INCOMPLETE_FAILED = "\n\n# ftgraph: query failed mid-answer; this answer is INCOMPLETE: {}\n"

SEND_GRACE = 1.0
"""Seconds past the deadline a blocked send may take before the stream is given up."""


class QueryStream(StreamingResponse):
    """Relays worker chunks until the deadline; on a timeout, failure or shutdown it writes a marker
    and drops the connection.

    Leaving the chunked body unterminated is what tells a client the answer is incomplete. The
    deadline bounds the sends too, so a client that stops reading cannot hold its slot.
    """

    def __init__(
        self,
        execution: Answer,
        headers: dict[str, str],
        done: Callable[[int, str, int], None],
        deadline: float,
        keep: Callable[[bytes], None] | None = None,
        keep_limit: int = 0,
    ) -> None:
        async def never() -> AsyncIterator[bytes]:
            yield b""

        super().__init__(never(), headers=headers)
        self.execution = execution
        self.done = done
        self.deadline = deadline
        self.keep = keep
        """Receives the whole answer once it ended cleanly, if it is at most ``keep_limit`` bytes."""
        self.keep_limit = keep_limit

    async def stream_response(self, send: Send) -> None:
        ex = self.execution
        status, note, marker = 200, "", ""
        parts: list[bytes] | None = [ex.head] if self.keep is not None else None
        try:
            async with DRAIN.bounded(self.deadline + SEND_GRACE):
                await send(
                    {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
                )
                await send({"type": "http.response.body", "body": ex.head, "more_body": True})
                async for chunk in ex.rest():
                    if parts is not None:
                        parts.append(chunk)
                        if ex.nbytes > self.keep_limit:
                            parts = None
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            if parts is not None and self.keep is not None and ex.finished:
                self.keep(b"".join(parts))
        except (QueryTimeout, TimeoutError):
            if DRAIN.cut():  # SIGTERM, and the drain is over
                status, note, marker = 503, "shutdown", INCOMPLETE_SHUTDOWN
            else:
                status, note, marker = 503, "timeout", INCOMPLETE_TIMEOUT
        except QueryError as e:
            status, note, marker = e.status, e.message, INCOMPLETE_FAILED.format(e.message)
        except asyncio.CancelledError:  # client gone (Starlette) or shutdown past the drain
            status, note, marker = 499, "cancelled", INCOMPLETE_SHUTDOWN
            await _send_marker(send, marker)
            raise
        finally:
            if status == 200 and not ex.finished:
                status, note = 499, "client gone"
            ex.close()
            self.done(status, note, ex.nbytes)
        if marker:
            await _send_marker(send, marker)


async def _send_marker(send: Send, marker: str) -> None:
    """Best effort: a client that does not read gets nothing more, and the send does not block."""
    with contextlib.suppress(Exception, asyncio.CancelledError):
        async with asyncio.timeout(0.1):
            await send({"type": "http.response.body", "body": marker.encode(), "more_body": True})


def record_answer(
    m: Metrics,
    qhash: str,
    method: str,
    fmt: str | None,
    nbytes: int,
    started: float,
    status: int,
    note: str = "",
) -> None:
    """Latency histogram, timeout count and the access-log line of one answered query."""
    duration = time.perf_counter() - started
    m.query_latency.observe(duration)
    if status == 503 and note == "timeout":
        m.timeouts.inc()
    log_query(
        sha256=qhash,
        method=method,
        format=fmt,
        bytes=nbytes,
        duration_ms=round(duration * 1000, 2),
        status=status,
        **({"error": note} if note else {}),
    )


def refusal(
    e: TooManyQueries | NoWorker | ShuttingDown | QueryTimeout | QueryError, timeout: float
) -> tuple[int, str, Response]:
    """Status, log note and response for a query that got no answer (one mapping for every route)."""
    retry = {"Retry-After": str(RETRY_AFTER)}
    if isinstance(e, TooManyQueries):
        if e.at_deadline:
            msg = f"Query timed out after {timeout:g} s waiting for its turn"
            return 503, "timeout", _error(503, msg, retry)
        return 429, e.message, _error(429, e.message, {"Retry-After": str(e.retry_after)})
    if isinstance(e, NoWorker | ShuttingDown):
        return 503, str(e), _error(503, str(e), retry)
    if isinstance(e, QueryTimeout):
        msg = f"Query timed out after {timeout:g} s and was stopped"
        return 503, "timeout", _error(503, msg, retry)
    return e.status, e.message, _error(e.status, e.message, retry if e.status == 503 else None)


class Turn:
    """One query's place: the client's admission slot, then a worker; each released once."""

    def __init__(self, rt: Runtime, client: str) -> None:
        self.rt = rt
        self.client = client
        self.admitted = False
        self.execution: Answer | None = None

    async def start(self, job: Job, deadline: float) -> Answer:
        """Wait for the client's turn and a free worker, then for the first answer frame."""
        await self.rt.admission.enter(self.client, deadline)
        self.admitted = True
        loop = asyncio.get_running_loop()
        wait_until = min(deadline, loop.time() + self.rt.settings.queue_wait)
        self.execution = await self.rt.backend.execute(job, deadline, wait_until=wait_until)
        await self.execution.start()
        return self.execution

    def leave(self) -> None:
        if self.admitted:
            self.admitted = False
            self.rt.admission.leave(self.client)


async def read_page(
    rt: Runtime, procedure: str, argument: str, client: str, receive: Receive | None
) -> Any:
    """Run one page read of :mod:`ftgraph.web.describe` on a worker, with the query deadline and the
    client's admission slot, so a page costs what a query costs and can be stopped like one.

    Returns the procedure's value, or the error :class:`Response` to send instead.
    """
    loop = asyncio.get_running_loop()
    timeout = rt.settings.query_timeout
    deadline = loop.time() + timeout
    job = Job(argument, None, None, True, -1, -1, procedure=procedure)
    turn = Turn(rt, client)

    async def whole() -> bytes:
        execution = await turn.start(job, deadline)
        parts = [execution.head]
        async for chunk in execution.rest():
            parts.append(chunk)
        return b"".join(parts)

    try:
        body = await _unless_gone(whole(), receive)
    except ClientGone:
        return Response(status_code=499)
    except (TooManyQueries, NoWorker, ShuttingDown, QueryTimeout, QueryError) as e:
        return refusal(e, timeout)[2]
    finally:
        if turn.execution is not None:
            turn.execution.close()
        turn.leave()
    return page_answer(body)


async def answer_query(
    rt: Runtime,
    req: QueryRequest,
    method: str,
    started: float,
    *,
    substitutions: tuple[Substitution, ...] = (),
    extra_headers: Callable[[Format], dict[str, str]] | None = None,
    hot_key: tuple[bytes, ...] | None = None,
    client: str = "",
    receive: Receive | None = None,
    own_query: str | None = None,
) -> Response:
    """Evaluate a query on a worker and build the response (whole, or streamed if large).

    ``substitutions`` bind variables to RDF terms in the worker (named queries); ``extra_headers``
    adds headers that depend on the format the worker chose (a download's file name). ``client``
    (the peer address) takes one of its per-client slots; with ``receive``, a client leaving before
    the first byte cancels the query. ``own_query`` names a query of the server's own (a named
    query): one that is refused or does not parse is the server's fault, a 500, never a 400.
    """

    m = rt.metrics
    qhash = query_hash(req.query)

    turn = Turn(rt, client)

    def done(status: int, note: str, nbytes: int, fmt: str = "") -> None:
        m.active.dec()
        ex = turn.execution
        shown = fmt or (ex.format.name if ex and ex.format else None)
        record_answer(m, qhash, method, shown, nbytes, started, status, note)

    def refused(message: str) -> Response:
        if own_query is None:
            done(400, message, 0)
            return _error(400, message)
        done(500, message, 0)
        return _error(500, f"Query {own_query!r} failed: {message}")

    m.active.inc()
    try:
        facts = analyze_query(req.query, req.base_iri)
        check_services(facts, rt.allow)
    except QueryRefused as e:
        return refused(str(e))
    etag = etag_for(rt, req, substitutions)

    def headers_for(fmt: Format) -> dict[str, str]:
        headers = _answer_headers(rt, fmt, etag)
        if extra_headers is not None:
            headers.update(extra_headers(fmt))
        return headers

    cache = rt.cache if cacheable(req.query, facts) else None

    def whole(body: bytes, fmt: Format) -> Response:
        response = Response(body, headers=headers_for(fmt))
        if cache is not None and hot_key is not None and rt.hot is not None:
            raw = identity_headers(response.raw_headers, len(body))
            rt.hot.put(hot_key, HotAnswer(etag, qhash, fmt.name, raw))
        return response

    if cache is not None:
        hit = cache.get(etag)
        if hit is not None:
            done(200, "", len(hit[1]), hit[0].name)
            return whole(hit[1], hit[0])
    f = req.formats
    job = Job(
        query=req.query,
        default_graphs=req.default_graph_uris if req.has_dataset else None,
        named_graphs=req.named_graph_uris if req.has_dataset else None,
        union=not req.has_dataset and not facts.has_from,
        results_format=ALL_FORMATS.index(f.results) if f.results else -1,
        graph_format=ALL_FORMATS.index(f.graph) if f.graph else -1,
        base_iri=req.base_iri,
        substitutions=substitutions,
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(0.0, req.timeout - (time.perf_counter() - started))
    leave = turn.leave
    try:
        execution = await _unless_gone(turn.start(job, deadline), receive)
    except ClientGone:
        if turn.execution is not None:
            turn.execution.close()
        leave()
        done(499, "client gone", 0)
        return Response(status_code=499)
    except (TooManyQueries, NoWorker, ShuttingDown, QueryTimeout, QueryError) as e:
        leave()
        if isinstance(e, QueryError) and e.status == 400:
            return refused(e.message)
        status, note, response = refusal(e, req.timeout)
        done(status, note, 0)
        return response
    fmt = execution.format
    assert fmt is not None
    if execution.complete:
        leave()
        done(200, "", execution.nbytes)
        if cache is not None:
            cache.put(etag, fmt, execution.head)
        return whole(execution.head, fmt)
    headers = headers_for(fmt)

    def streamed(status: int, note: str, nbytes: int) -> None:
        leave()
        done(status, note, nbytes)

    if cache is None:
        return QueryStream(execution, headers, streamed, deadline)
    return QueryStream(
        execution,
        headers,
        streamed,
        deadline,
        lambda body: cache.put(etag, fmt, body),
        cache.max_entry,
    )


RETRY_AFTER = 2
"""Seconds a client is told to wait after a 503 (no free worker, deadline, worker died)."""


class ShuttingDown(Exception):
    """The server is stopping and its drain is over before this answer started."""

    def __str__(self) -> str:
        return "Server shutting down; retry (another replica may answer)"


class ClientGone(Exception):
    """The client closed the connection before the answer started."""


async def _until_gone(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _unless_gone(work: Coroutine[Any, Any, _T], receive: Receive | None) -> _T:
    """Run ``work`` (queueing, evaluating up to the first answer), cancelled if the client leaves.

    Raises:
        ClientGone: the client disconnected first; ``work`` has been cancelled.
        ShuttingDown: the drain ended first (SIGTERM); ``work`` has been cancelled.
    """
    task = asyncio.ensure_future(work)
    waits: set[asyncio.Future[Any]] = {task}
    if receive is not None:
        waits.add(asyncio.ensure_future(_until_gone(receive)))
    try:
        async with DRAIN.bounded(None):
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    except TimeoutError:
        raise ShuttingDown() from None
    finally:
        for w in waits:
            if not w.done():
                w.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await w
    if task.cancelled():
        raise ClientGone()
    return task.result()


def _answer_headers(rt: Runtime, fmt: Format, etag: str) -> dict[str, str]:
    return {"Content-Type": fmt.content_type, **_validators(rt, etag)}
