"""FastAPI app: thin routes over protocol parsing (protocol.py) and the worker pool (engine.py)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import re
import signal
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import URL
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from ftgraph import service_description as sdesc
from ftgraph.admission import Admission, TooManyQueries
from ftgraph.conditional import not_modified as conditional_get
from ftgraph.config import Settings
from ftgraph.describe import answer as page_answer
from ftgraph.engine import (
    Engine,
    Execution,
    Job,
    NoWorker,
    QueryError,
    QueryTimeout,
    Substitution,
)
from ftgraph.http_limits import DRAIN
from ftgraph.metrics import Metrics, MetricsMiddleware, log_query, query_hash
from ftgraph.namespaces import META_GRAPH
from ftgraph.protocol import (
    ALL_FORMATS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Format,
    Negotiated,
    ProtocolError,
    QueryRequest,
    choose_format,
    parse_query_request,
)
from ftgraph.security import (
    QueryFacts,
    QueryRefused,
    analyze_query,
    check_services,
    parse_allowlist,
)
from ftgraph.store import Lease, acquire_lease, resolve_version

_T = TypeVar("_T")

log = logging.getLogger("ftgraph.app")

VOID_QUERY = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{META_GRAPH}> {{ ?s ?p ?o }} }}"
"""The VoID description is whatever the build wrote into the meta graph."""


RESULT_CACHE_ENTRY = 8 * 1024 * 1024
"""Larger answers are streamed and never cached, so the cache cannot hold a few huge answers."""

RESULT_CACHE_ENTRY_OVERHEAD = 256
"""Bytes an entry costs besides its answer (key, tuple, dict node: 206 measured with tracemalloc), so
the bound holds with many small answers too."""

_VOLATILE = re.compile(r"\b(?:RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)
"""Functions whose value changes between evaluations: such queries are never cached."""


class ResultCache:
    """Bounded LRU of recent complete answers, keyed by ETag (dataset version, query, dataset,
    formats, base).

    Safe because a server serves one store version for its whole life: the store only changes by a
    rebuild into a new version directory, which a new server (a new version, new ETags) serves.
    """

    def __init__(self, max_bytes: int, max_entry: int = RESULT_CACHE_ENTRY) -> None:
        self.max_bytes = max_bytes
        self.max_entry = min(max_entry, max_bytes)
        self.size = 0
        self._entries: OrderedDict[str, tuple[Format, bytes]] = OrderedDict()

    def get(self, key: str) -> tuple[Format, bytes] | None:
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
        return hit

    def put(self, key: str, fmt: Format, body: bytes) -> None:
        if len(body) > self.max_entry or key in self._entries:
            return
        self._entries[key] = (fmt, body)
        self.size += len(body) + RESULT_CACHE_ENTRY_OVERHEAD
        while self.size > self.max_bytes:
            _, (_, old) = self._entries.popitem(last=False)
            self.size -= len(old) + RESULT_CACHE_ENTRY_OVERHEAD


def cacheable(query: str, facts: QueryFacts) -> bool:
    """Same query, same store, same answer: not with SERVICE (remote data) or volatile functions."""
    return not facts.services and _VOLATILE.search(query) is None


def _result_cache(settings: Settings) -> ResultCache | None:
    """The cache sized by ``Settings.result_cache_mb`` (``FTGRAPH_RESULT_CACHE_MB``), or None if 0."""
    size = int(settings.result_cache_mb * 1024 * 1024)
    return ResultCache(size) if size > 0 else None


HOT_REQUEST_BYTES = 8192
"""Requests up to this size (query string + body) can be answered by :class:`HotAnswers`."""

HOT_HEADER_BYTES = 512
"""Requests whose Accept, Content-Type or Host is longer are never memoised (bounded keys)."""


@dataclass(frozen=True)
class HotAnswer:
    """A complete cached answer's ETag and response head, for a request seen before."""

    etag: str
    qhash: str
    format: str
    raw_headers: list[tuple[bytes, bytes]]


class HotAnswers:
    """Bounded LRU from a raw request (method, query string, body, headers that matter) to the
    :class:`ResultCache` entry answering it, so a repeated request skips parsing and negotiation.

    It only points into the result cache: the bytes live (and are evicted) there.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[bytes, ...], HotAnswer] = OrderedDict()

    def get(self, key: tuple[bytes, ...]) -> HotAnswer | None:
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
        return hit

    def put(self, key: tuple[bytes, ...], answer: HotAnswer) -> None:
        self._entries[key] = answer
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


@dataclass
class Runtime:
    """Everything a request needs, created once at startup."""

    settings: Settings
    engine: Engine
    metrics: Metrics
    store_path: Path
    version: str
    built_at: str | None
    allow: frozenset[str]
    graphs: list[str] = field(default_factory=list)
    cache: ResultCache | None = None
    hot: HotAnswers | None = None
    admission: Admission = field(default_factory=lambda: Admission(1, 0, 1.0))
    lease: Lease | None = None


def _store_identity(store: Path) -> tuple[Path, str, str | None]:
    """Resolved version directory, dataset version and build time of the store to serve."""
    from ftgraph.store import read_build_info

    info = read_build_info(store)
    if info is not None:
        return info.path, info.version, info.built_at
    resolved = store.resolve()
    stamp = f"{resolved}:{resolved.stat().st_mtime_ns}"
    return resolved, "unversioned-" + hashlib.sha256(stamp.encode()).hexdigest()[:12], None


async def start_runtime(settings: Settings, metrics: Metrics) -> Runtime:
    """Lease the store's current version, start the worker pool on it and read the graph list.

    The lease keeps a rebuild from pruning the version while this runtime serves it.
    """
    lease = acquire_lease(Path(settings.store))
    try:
        return await _start_on(lease, settings, metrics)
    except BaseException:
        lease.release()
        raise


async def _start_on(lease: Lease, settings: Settings, metrics: Metrics) -> Runtime:
    path, version, built_at = _store_identity(lease.path)
    engine = Engine(
        path,
        settings.workers,
        on_kill=metrics.worker_kills.inc,
        memory_mb=settings.worker_memory_mb,
        on_death=lambda cause: metrics.worker_deaths.labels(cause).inc(),
    )
    try:
        await engine.start()
    except BaseException:
        await engine.close()
        raise
    rt = Runtime(
        settings=settings,
        engine=engine,
        metrics=metrics,
        store_path=path,
        version=version,
        built_at=built_at,
        allow=parse_allowlist(settings.service_allow),
        cache=_result_cache(settings),
        hot=HotAnswers() if settings.result_cache_mb > 0 else None,
        admission=Admission(client_queries(settings), settings.client_queue, settings.queue_wait),
        lease=lease,
    )
    cache = rt.cache
    if cache is not None:
        metrics.result_cache_bytes.set_function(lambda: cache.size)
    json_idx = ALL_FORMATS.index(RESULT_FORMATS[0])
    try:
        _, body = await engine.fetch(Job(sdesc.GRAPHS_QUERY, None, None, False, json_idx, -1), 120)
    except BaseException:
        await engine.close()
        raise
    rt.graphs = [b["g"]["value"] for b in json.loads(body)["results"]["bindings"]]
    return rt


async def stop_runtime(rt: Runtime, grace: float = 0.0) -> None:
    """Let in-flight queries finish (up to ``grace`` seconds), stop the workers, end the lease."""
    try:
        await rt.engine.close(grace)
    finally:
        if rt.lease is not None:
            rt.lease.release()


class Reloader:
    """Serves a new build without restart: on SIGHUP, or when the store symlink changes.

    New requests go to a runtime on the new version (new workers, new ETags) as soon as it is up;
    the old one drains its in-flight answers for ``FTGRAPH_DRAIN_SECONDS`` and then stops.
    """

    def __init__(self, app: FastAPI, settings: Settings, metrics: Metrics) -> None:
        self.app = app
        self.settings = settings
        self.metrics = metrics
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def reload(self) -> bool:
        """Switch to the store's current version if it changed; a failed start keeps the old one."""
        async with self._lock:
            current: Runtime = self.app.state.runtime
            try:
                target = resolve_version(Path(self.settings.store))
            except OSError:
                return False
            if current.lease is None or target == current.lease.path:
                return False
            try:
                new = await start_runtime(self.settings, self.metrics)
            except Exception as e:
                log.error("store %s: new version %s not served: %s", self.settings.store, target, e)
                return False
            self.app.state.runtime = new
            log.info(
                "now serving version %s (%s); draining %s", new.version, target, current.version
            )
            self._spawn(stop_runtime(current, self.settings.drain_seconds))
            return True

    def _spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def on_sighup(self) -> None:
        self._spawn(self.reload())

    async def watch(self, interval: float) -> None:
        """Poll the symlink (cheap: one readlink) so a build is served without any signal."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload()
            except Exception:
                log.exception("reload check failed")

    async def close(self) -> None:
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def client_queries(settings: Settings) -> int:
    """Queries one client may run at once: ``FTGRAPH_CLIENT_QUERIES``, by default all workers but
    one, so a single client never holds the whole pool."""
    return settings.client_queries or max(1, settings.workers - 1)


async def get_runtime(request: Request) -> Runtime:
    """Dependency: the runtime the lifespan attached to the app (async: no threadpool hop)."""
    rt: Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


# --------------------------------------------------------------------------------------------
# Query answering (plain functions, the routes only call these)
# --------------------------------------------------------------------------------------------


def etag_for(rt: Runtime, req: QueryRequest, substitutions: tuple[Substitution, ...] = ()) -> str:
    """Weak ETag: same dataset version, query, dataset, formats and bound terms give the same bytes.

    It is also the result cache's key, so the substitutions (sorted, see
    :func:`~ftgraph.engine.encode_substitutions`) are part of it.
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


def not_modified(
    rt: Runtime,
    req: QueryRequest,
    if_none_match: str | None,
    substitutions: tuple[Substitution, ...] = (),
) -> Response | None:
    """``304 Not Modified`` when ``If-None-Match`` names the answer's ETag, else None."""
    return conditional_get(if_none_match, _validators(rt, etag_for(rt, req, substitutions)))


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
        execution: Execution,
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
        self.execution: Execution | None = None

    async def start(self, job: Job, deadline: float) -> Execution:
        """Wait for the client's turn and a free worker, then for the first answer frame."""
        await self.rt.admission.enter(self.client, deadline)
        self.admitted = True
        loop = asyncio.get_running_loop()
        wait_until = min(deadline, loop.time() + self.rt.settings.queue_wait)
        self.execution = await self.rt.engine.execute(job, deadline, wait_until=wait_until)
        await self.execution.start()
        return self.execution

    def leave(self) -> None:
        if self.admitted:
            self.admitted = False
            self.rt.admission.leave(self.client)


async def read_page(
    rt: Runtime, procedure: str, argument: str, client: str, receive: Receive | None
) -> Any:
    """Run one page read of :mod:`ftgraph.describe` on a worker, with the query deadline and the
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
) -> Response:
    """Evaluate a query on a worker and build the response (whole, or streamed if large).

    ``substitutions`` bind variables to RDF terms in the worker (named queries); ``extra_headers``
    adds headers that depend on the format the worker chose (a download's file name). ``client``
    (the peer address) takes one of its per-client slots; with ``receive``, a client leaving before
    the first byte cancels the query.
    """
    m = rt.metrics
    qhash = query_hash(req.query)

    turn = Turn(rt, client)

    def done(status: int, note: str, nbytes: int, fmt: str = "") -> None:
        m.active.dec()
        ex = turn.execution
        shown = fmt or (ex.format.name if ex and ex.format else None)
        record_answer(m, qhash, method, shown, nbytes, started, status, note)

    m.active.inc()
    try:
        facts = analyze_query(req.query, req.base_iri)
        check_services(facts, rt.allow)
    except QueryRefused as e:
        done(400, str(e), 0)
        return _error(400, str(e))
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
            raw = _identity_headers(response.raw_headers, len(body))
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


async def read_body(request: Request, limit: int) -> bytes:
    """Request body, refusing (413) more than ``limit`` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ProtocolError(413, f"Request body larger than {limit} bytes")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(413, f"Request body larger than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def describe_service(rt: Runtime, request: Request) -> Response:
    """Service Description, negotiated among the RDF formats."""
    fmt = choose_format(request.headers.get("accept"), GRAPH_FORMATS)
    if fmt is None:
        return _error(406, "Service description available as " + _media_list(GRAPH_FORMATS))
    endpoint = str(request.url.replace(query=None, fragment=None))
    void_url = str(request.base_url) + ".well-known/void"
    triples = sdesc.service_description(endpoint, void_url, rt.graphs, federated=bool(rt.allow))
    return Response(
        sdesc.serialize(triples, fmt),
        headers={"Content-Type": fmt.content_type, "Vary": "Accept"},
    )


def _media_list(formats: tuple[Any, ...]) -> str:
    return ", ".join(f.media_type for f in formats)


def health(rt: Runtime) -> dict[str, Any]:
    """Liveness and dataset identity for /health: "unavailable" (HTTP 503) when no worker can be
    started, "degraded" while fewer than wanted are live (a replacement is starting)."""
    engine = rt.engine
    status = "ok" if engine.live >= engine.size else "degraded"
    if not engine.healthy:
        status = "unavailable"
    return {
        "status": status,
        "version": rt.version,
        "built_at": rt.built_at,
        "store": str(rt.store_path),
        "workers": engine.live,
        "workers_wanted": engine.size,
        "busy": engine.busy,
        "worker_pids": rt.engine.pids,
        "pid": os.getpid(),
        "graphs": len(rt.graphs),
    }


_HOST = re.compile(
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*(?::[0-9]*)?"
)
"""RFC 9110 §7.2 ``Host = uri-host [ ":" port ]``, uri-host as in RFC 3986 §3.2.2."""

MEMO_HOST_BYTES = 255
"""Longer Host values are not memoised (the longest DNS name is 253 characters)."""


def request_base_iri(request: Request) -> str:
    """The request's URL without query or fragment: the query's base IRI (SPARQL 1.1 Query §4.1.1).

    Raises:
        ProtocolError: 400 for a Host header that is not ``host[:port]`` (RFC 9110 §7.2).
    """
    host = request.headers.get("host")
    if host is None:  # HTTP/1.0 without Host: let Starlette work it out from the server address
        return str(request.url.replace(query=None, fragment=None))
    scheme, path = request.scope.get("scheme", "http"), request.scope["path"]
    if len(host) <= MEMO_HOST_BYTES:
        return _memo_base_iri(scheme, host, path)
    return _base_iri(scheme, host, path)


def _base_iri(scheme: str, host: str, path: str) -> str:
    if _HOST.fullmatch(host) is None:
        raise ProtocolError(400, "Invalid Host header: expected host[:port] (RFC 9110 §7.2)")
    # Starlette's URL object builds and re-parses the whole URL: a measurable share of a cached answer.
    return str(URL(f"{scheme}://{host}{path}"))


_memo_base_iri = lru_cache(maxsize=256)(_base_iri)


async def handle_sparql(
    request: Request, rt: Runtime, body_limit: int, hot_key: tuple[bytes, ...] | None = None
) -> Response:
    """The ``/sparql`` operation: parse per the SPARQL 1.1 Protocol, then SD, 304 or an answer."""
    started = time.perf_counter()
    method = request.method
    settings = rt.settings
    try:
        body = await read_body(request, body_limit) if method == "POST" else b""
        req = parse_query_request(
            method,
            request.url.query,
            request.headers.get("content-type"),
            body,
            request.headers.get("accept"),
            max_query_bytes=settings.max_query_bytes,
            max_timeout=settings.query_timeout,
            base_iri=request_base_iri(request),
        )
    except ProtocolError as e:
        return _error(e.status, e.message)
    if req is None:
        return describe_service(rt, request)
    if method != "POST":
        cached = not_modified(rt, req, request.headers.get("if-none-match"))
        if cached is not None:
            return cached
    client = request.client.host if request.client else ""
    return await answer_query(
        rt, req, method, started, hot_key=hot_key, client=client, receive=request.receive
    )


GZIP_MINIMUM = 1024
"""Answers this large or larger are gzipped for clients that accept it (as GZipMiddleware does)."""

_FAST_METHODS = frozenset({"GET", "POST", "HEAD"})


def _identity_headers(
    raw: list[tuple[bytes, bytes]], size: int | None
) -> list[tuple[bytes, bytes]]:
    """Response head as sent without gzip (``size`` None: streamed): as with GZipMiddleware, an
    answer that could have been compressed varies on Accept-Encoding."""
    if size is not None and size < GZIP_MINIMUM:
        return list(raw)
    if not any(k == b"vary" for k, _ in raw):
        return [*raw, (b"vary", b"Accept-Encoding")]
    return [(k, v + b", Accept-Encoding") if k == b"vary" else (k, v) for k, v in raw]


def _replaying(body: bytes, upstream: Receive) -> Receive:
    """A ``receive`` giving back a body already read, then whatever the client sends next."""
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await upstream()

    return replay


async def hot_request_key(
    scope: Scope, receive: Receive
) -> tuple[tuple[bytes, ...] | None, Receive]:
    """Key of a small GET/POST whose answer only depends on its bytes, and a ``receive`` that
    replays the body read to make it. None for conditional, gzip or CORS requests, large bodies."""
    method = scope["method"]
    accept = content_type = host = length = None
    for k, v in scope["headers"]:
        if k == b"accept":
            accept = v if accept is None else accept
        elif k == b"content-type":
            content_type = v if content_type is None else content_type
        elif k == b"host":
            host = v if host is None else host
        elif k == b"content-length":
            length = v
        elif k in (b"if-none-match", b"origin") or (k == b"accept-encoding" and b"gzip" in v):
            return None, receive
    query_string: bytes = scope["query_string"]
    if method not in ("GET", "POST") or host is None or len(query_string) > HOT_REQUEST_BYTES:
        return None, receive
    if max(len(host), len(accept or b""), len(content_type or b"")) > HOT_HEADER_BYTES:
        return None, receive
    body = b""
    if method == "POST":
        if length is None or not length.isdigit() or int(length) > HOT_REQUEST_BYTES:
            return None, receive
        parts: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # client gone: nothing to answer
                return None, receive
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(parts)
        receive = _replaying(body, receive)
    key = (
        method.encode(),
        scope.get("scheme", "http").encode(),
        host,
        query_string,
        body,
        accept or b"",
        content_type or b"",
    )
    return key, receive


class FtgraphApp(FastAPI):
    """FastAPI app whose ``/sparql`` query operation skips routing and the middleware stack.

    Routing, dependency solving and six ASGI layers cost more than answering a cached point lookup
    (bench/RESULTS.md). Requests carrying ``Origin`` (browsers, CORS) still take the full stack;
    the fast path does the rest of what the middlewares do: metrics, gzip, and a 500 on a crash.
    """

    sparql_body_limit = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == "/sparql"
            and scope["method"] in _FAST_METHODS
            and not any(k == b"origin" for k, _ in scope["headers"])
        ):
            await self._sparql(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _sparql(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = self
        rt: Runtime = self.state.runtime
        key: tuple[bytes, ...] | None = None
        if rt.hot is not None:
            started = time.perf_counter()
            key, receive = await hot_request_key(scope, receive)
            if key is not None and await self._answer_hot(rt, key, scope["method"], send, started):
                return
        request = Request(scope, receive)
        try:
            response = await handle_sparql(request, rt, self.sparql_body_limit, key)
        except Exception:
            log.exception("unhandled error answering %s /sparql", scope["method"])
            response = _error(500, "Internal Server Error")
        rt.metrics.requests.labels("/sparql", str(response.status_code)).inc()
        if "gzip" in request.headers.get("accept-encoding", ""):
            await GZipResponder(response, GZIP_MINIMUM, compresslevel=5)(scope, receive, send)
            return
        body = getattr(response, "body", None)
        size = None if isinstance(response, StreamingResponse) else len(body or b"")
        response.raw_headers = _identity_headers(response.raw_headers, size)
        await response(scope, receive, send)

    async def _answer_hot(
        self, rt: Runtime, key: tuple[bytes, ...], method: str, send: Send, started: float
    ) -> bool:
        """Send a repeated request's cached answer as is; False when it is not cached (any more)."""
        assert rt.hot is not None and rt.cache is not None
        hot = rt.hot.get(key)
        entry = rt.cache.get(hot.etag) if hot is not None else None
        if hot is None or entry is None:
            return False
        body = entry[1]
        await send({"type": "http.response.start", "status": 200, "headers": hot.raw_headers})
        await send({"type": "http.response.body", "body": body})
        rt.metrics.requests.labels("/sparql", "200").inc()
        record_answer(rt.metrics, hot.qhash, method, hot.format, len(body), started, 200)
        return True


# --------------------------------------------------------------------------------------------
# App factory and routes
# --------------------------------------------------------------------------------------------


def create_app(settings: Settings) -> FtgraphApp:
    """Build the endpoint app; the worker pool starts and stops with the app's lifespan."""
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = await start_runtime(settings, metrics)
        app.state.runtime = rt
        log.info(
            "serving store %s (version %s) with %d query workers",
            rt.store_path,
            rt.version,
            rt.engine.size,
        )
        reloader = Reloader(app, settings, metrics)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, reloader.on_sighup)
        watcher = None
        if settings.reload_interval > 0:
            watcher = loop.create_task(reloader.watch(settings.reload_interval))
        try:
            yield
        finally:
            if watcher is not None:
                watcher.cancel()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            await reloader.close()
            await stop_runtime(app.state.runtime, settings.drain_seconds)

    app = FtgraphApp(
        title="ftgraph SPARQL endpoint",
        summary="SPARQL 1.1 Protocol endpoint of the Aix-Marseille French Tech knowledge graph",
        lifespan=lifespan,
        # /docs is served by ftgraph.ui with a bundled Swagger UI (FastAPI's loads it from a CDN).
        docs_url=None,
        redoc_url=None,
    )
    body_limit = 3 * settings.max_query_bytes + 16 * 1024

    @app.api_route("/sparql", methods=["GET", "POST", "HEAD"])
    async def sparql(request: Request, rt: RuntimeDep) -> Response:
        """SPARQL 1.1 query operation; a GET without a query returns the Service Description.

        Served by :class:`FtgraphApp` ahead of routing; declared here for the OpenAPI schema.
        """
        return await handle_sparql(request, rt, body_limit)

    @app.options("/sparql")
    async def sparql_options() -> Response:
        """Methods the query endpoint answers (CORS preflights are handled by middleware)."""
        return Response(status_code=204, headers={"Allow": "GET, POST, HEAD, OPTIONS"})

    @app.api_route("/.well-known/void", methods=["GET", "HEAD"], name="void")
    async def void(request: Request, rt: RuntimeDep) -> Response:
        """VoID description of the dataset (from the build's meta graph), as negotiated RDF."""
        fmt = choose_format(request.headers.get("accept"), GRAPH_FORMATS)
        if fmt is None:
            return _error(406, "VoID available as " + _media_list(GRAPH_FORMATS))
        req = QueryRequest(
            VOID_QUERY, timeout=settings.query_timeout, formats=Negotiated(None, fmt)
        )
        cached = not_modified(rt, req, request.headers.get("if-none-match"))
        if cached is not None:
            return cached
        client = request.client.host if request.client else ""
        return await answer_query(
            rt, req, request.method, time.perf_counter(), client=client, receive=request.receive
        )

    @app.get("/health")
    async def health_route(rt: RuntimeDep) -> JSONResponse:
        """Store open, dataset version and query workers."""
        body = health(rt)
        return JSONResponse(body, status_code=503 if body["status"] == "unavailable" else 200)

    @app.get("/metrics")
    async def metrics_route() -> Response:
        """Prometheus metrics."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    from ftgraph import api, linked_data  # /id, /doc, /ontology; /api/queries, sparql-examples

    async def page_read(request: Request, procedure: str, argument: str) -> Any:
        client = request.client.host if request.client else ""
        rt = request.app.state.runtime
        return await read_page(rt, procedure, argument, client, request.receive)

    def served_version(request: Request) -> str:
        return str(request.app.state.runtime.version)

    app.include_router(linked_data.create_router(settings, page_read, served_version))
    app.include_router(api.create_router(settings))

    from ftgraph.ui import install_ui  # web UI: /, /query, /timeline, /graph, /static

    install_ui(app, settings)

    app.sparql_body_limit = body_limit
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM, compresslevel=5)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
            allow_headers=["*"],
            expose_headers=["ETag", "Content-Type", "Cache-Control"],
            max_age=3600,
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
