"""Prometheus metrics and the one-line JSON query log.

Each app owns its registry, so two apps in one process (tests) never clash on metric names.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("ftgraph.access")

ROUTES = frozenset({"/sparql", "/.well-known/void", "/health", "/metrics"})
"""Known paths get their own label; anything else is ``other`` (bounded cardinality)."""


class Metrics:
    """The endpoint's metric families."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "ftgraph_http_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.query_latency = Histogram(
            "ftgraph_query_duration_seconds",
            "Time from request to last byte of a query answer",
            buckets=(
                0.001,
                0.0025,
                0.005,
                0.01,
                0.025,
                0.05,
                0.1,
                0.25,
                0.5,
                1,
                2.5,
                5,
                10,
                30,
                60,
            ),
            registry=self.registry,
        )
        self.timeouts = Counter(
            "ftgraph_query_timeouts", "Queries stopped at their deadline", registry=self.registry
        )
        self.active = Gauge(
            "ftgraph_active_queries", "Queries being evaluated or streamed", registry=self.registry
        )
        self.result_cache_bytes = Gauge(
            "ftgraph_result_cache_bytes",
            "Bytes held by the result cache, answers and per-entry overhead (FTGRAPH_RESULT_CACHE_MB)",
            registry=self.registry,
        )
        self.worker_kills = Counter(
            "ftgraph_worker_kills",
            "Query workers killed (timeouts, abandoned streams)",
            registry=self.registry,
        )
        self.worker_deaths = Counter(
            "ftgraph_worker_deaths",
            "Query workers that died, by cause: timeout, abandoned (killed by the server), memory "
            "(over FTGRAPH_WORKER_MEMORY_MB), signal, exit (crashed by themselves), startup",
            ["cause"],
            registry=self.registry,
        )


class MetricsMiddleware:
    """Counts every response by route and status; pure ASGI to keep per-request cost tiny."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        route = path if path in ROUTES else "other"
        counted = False

        async def counting_send(message: Message) -> None:
            nonlocal counted
            if message["type"] == "http.response.start" and not counted:
                counted = True
                self.metrics.requests.labels(route, str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counting_send)


def query_hash(query: str) -> str:
    """sha256 of the query text: logs identify repeated queries without storing their text."""
    return hashlib.sha256(query.encode("utf-8")).hexdigest()


def log_query(**fields: Any) -> None:
    """One JSON line per query on the ``ftgraph.access`` logger."""
    if access_log.isEnabledFor(logging.INFO):
        access_log.info(json.dumps({"event": "query", **fields}, separators=(",", ":")))
