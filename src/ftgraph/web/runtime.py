"""What a request needs, for the store version being served: workers, caches, lease; and the
reload that switches to a new build without a restart."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request

from ftgraph.config import Settings
from ftgraph.formats import ALL_FORMATS, RESULT_FORMATS
from ftgraph.sparql import service_description as sdesc
from ftgraph.sparql.analysis import (
    parse_allowlist,
)
from ftgraph.sparql.backend import Backend
from ftgraph.sparql.embedded import Engine
from ftgraph.sparql.jobs import Job
from ftgraph.store.dumps import DumpFile, read_index
from ftgraph.store.reader import Lease, acquire_lease, resolve_version
from ftgraph.store.search import Index, open_index
from ftgraph.web.admission import Admission
from ftgraph.web.caches import HotAnswers, ResultCache, _result_cache
from ftgraph.web.metrics import Metrics

log = logging.getLogger("ftgraph.web.runtime")


@dataclass
class Runtime:
    """Everything a request needs, created once at startup."""

    settings: Settings
    backend: Backend
    """What evaluates queries and page reads for this version (the embedded pool today)."""
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
    dumps: list[DumpFile] = field(default_factory=list)
    search: Index | None = None
    """The build's full-text index of this version (None for a store made elsewhere)."""
    """The downloadable dumps the build wrote into this version (none for a store made elsewhere)."""


def _store_identity(store: Path) -> tuple[Path, str, str | None]:
    """Resolved version directory, dataset version and build time of the store to serve."""
    from ftgraph.store.reader import read_build_info

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


PAGE_PROCEDURES = "ftgraph.web.describe:procedures"
"""What the workers run besides SPARQL: the page reads of :mod:`ftgraph.web.describe`."""


async def _start_on(lease: Lease, settings: Settings, metrics: Metrics) -> Runtime:
    path, version, built_at = _store_identity(lease.path)
    engine = Engine(
        path,
        settings.workers,
        on_kill=metrics.worker_kills.inc,
        memory_mb=settings.worker_memory_mb,
        on_death=lambda cause: metrics.worker_deaths.labels(cause).inc(),
        procedures=PAGE_PROCEDURES,
    )
    try:
        await engine.start()
    except BaseException:
        await engine.close()
        raise
    rt = Runtime(
        settings=settings,
        backend=engine,
        metrics=metrics,
        store_path=path,
        version=version,
        built_at=built_at,
        allow=parse_allowlist(settings.service_allow),
        cache=_result_cache(settings),
        hot=HotAnswers() if settings.result_cache_mb > 0 else None,
        admission=Admission(client_queries(settings), settings.client_queue, settings.queue_wait),
        lease=lease,
        dumps=read_index(path),
        search=open_index(path),
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
        await rt.backend.close(grace)
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


def health(rt: Runtime) -> dict[str, Any]:
    """Liveness and dataset identity for /health: "unavailable" (HTTP 503) when no worker can be
    started, "degraded" while fewer than wanted are live (a replacement is starting)."""
    backend = rt.backend
    status = "ok" if backend.live >= backend.size else "degraded"
    if not backend.healthy:
        status = "unavailable"
    return {
        "status": status,
        "version": rt.version,
        "built_at": rt.built_at,
        "store": str(rt.store_path),
        "workers": backend.live,
        "workers_wanted": backend.size,
        "busy": backend.busy,
        "worker_pids": rt.backend.pids,
        "pid": os.getpid(),
        "graphs": len(rt.graphs),
    }
