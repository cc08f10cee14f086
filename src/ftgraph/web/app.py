"""The FastAPI app: assembles the routes (``/sparql`` here; linked data, the API, the UI from their
modules) over :mod:`ftgraph.web.runtime` and :mod:`ftgraph.web.answering`, plus the ASGI fast path for
repeated requests. Nothing imports this module but the server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.datastructures import URL
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.responses import StreamingResponse
from starlette.types import Message, Receive, Scope, Send

from ftgraph.config import Settings
from ftgraph.formats import GRAPH_FORMATS, choose_format
from ftgraph.sparql import service_description as sdesc
from ftgraph.sparql.protocol import Negotiated, ProtocolError, QueryRequest, parse_query_request
from ftgraph.vocab import META_GRAPH
from ftgraph.web import api, dumps, linked_data, search
from ftgraph.web.answering import (
    _error,
    answer_not_modified,
    answer_query,
    read_page,
    record_answer,
)
from ftgraph.web.caches import GZIP_MINIMUM, HOT_HEADER_BYTES, HOT_REQUEST_BYTES, identity_headers
from ftgraph.web.metrics import Metrics, MetricsMiddleware
from ftgraph.web.runtime import Reloader, Runtime, RuntimeDep, health, start_runtime, stop_runtime
from ftgraph.web.ui import install_ui

log = logging.getLogger("ftgraph.web.app")

_FAST_METHODS = frozenset({"GET", "POST", "HEAD"})

VOID_QUERY = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{META_GRAPH}> {{ ?s ?p ?o }} }}"
"""The VoID description is whatever the build wrote into the meta graph."""


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
    dump_urls = [f"{request.base_url}dumps/{f.file}" for f in rt.dumps]
    triples = sdesc.service_description(
        endpoint, void_url, rt.graphs, federated=bool(rt.allow), dumps=dump_urls
    )
    return Response(
        sdesc.serialize(triples, fmt),
        headers={"Content-Type": fmt.content_type, "Vary": "Accept"},
    )


def _media_list(formats: tuple[Any, ...]) -> str:
    return ", ".join(f.media_type for f in formats)


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
        cached = answer_not_modified(rt, req, request.headers.get("if-none-match"))
        if cached is not None:
            return cached
    client = request.client.host if request.client else ""
    return await answer_query(
        rt, req, method, started, hot_key=hot_key, client=client, receive=request.receive
    )


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
        response.raw_headers = identity_headers(response.raw_headers, size)
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
            rt.backend.size,
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
        # /docs is served by ftgraph.web.ui with a bundled Swagger UI (FastAPI's loads it from a CDN).
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
        cached = answer_not_modified(rt, req, request.headers.get("if-none-match"))
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

    async def page_read(request: Request, procedure: str, argument: str) -> Any:
        client = request.client.host if request.client else ""
        rt = request.app.state.runtime
        return await read_page(rt, procedure, argument, client, request.receive)

    def served_version(request: Request) -> str:
        return str(request.app.state.runtime.version)

    app.include_router(linked_data.create_router(settings, page_read, served_version))
    app.include_router(api.create_router(settings))
    app.include_router(dumps.create_router(settings))
    app.include_router(search.create_router(settings))

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
