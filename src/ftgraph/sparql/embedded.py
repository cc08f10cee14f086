"""Query evaluation in a pool of long-lived, killable worker processes.

pyoxigraph cannot cancel a running query, so each query runs in a worker process that holds the
store open read-only; a query past its deadline gets its worker SIGKILLed and replaced. Workers
serialize results with pyoxigraph straight into a pipe in framed chunks, and the server relays
those bytes to the client as they come: no answer is ever built as Python objects, and a slow
client blocks the worker on a full pipe instead of filling memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftgraph.formats import ALL_FORMATS, Format

if TYPE_CHECKING:
    pass

from ftgraph.sparql.jobs import (
    CHUNK,
    Job,
    QueryError,
    QueryTimeout,
)
from ftgraph.sparql.worker import MEMORY_EXIT

log = logging.getLogger("ftgraph.sparql.embedded")

STARTUP_TIMEOUT = 120.0
"""Seconds a worker may take to open the store."""


DEATH_CAUSES = ("timeout", "abandoned", "memory", "signal", "exit", "startup")
"""Why a worker died, as counted by ``ftgraph_worker_deaths_total{cause}`` (a bounded set)."""


class NoWorker(Exception):
    """No worker became free in time, or none can be started: the client should retry (503)."""


class _Worker:
    """Handle on one worker process and its two pipes."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        assert proc.stdout is not None and proc.stdin is not None
        self.reader: asyncio.StreamReader = proc.stdout
        self.writer: asyncio.StreamWriter = proc.stdin
        self.killed = False
        self.timed_out = False
        self.dead = False
        self.cause = ""
        self.exited: asyncio.Event = asyncio.Event()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        if not self.killed:
            self.killed = True
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()

    def kill_for_timeout(self) -> None:
        self.timed_out = True
        self.kill()

    async def read_frame(self) -> tuple[int, bytes]:
        head = await self.reader.readexactly(5)
        n = int.from_bytes(head[1:], "big")
        return head[0], (await self.reader.readexactly(n) if n else b"")


def _death(worker: _Worker, memory_mb: int) -> tuple[str, str]:
    """Cause (a :data:`DEATH_CAUSES` label) and the message the client of its query gets."""
    rc = worker.proc.returncode
    if worker.timed_out:
        return "timeout", "query stopped at its deadline"
    if worker.killed:
        return "abandoned", "query abandoned"
    over = f"query exceeded the worker memory limit of {memory_mb} MB (FTGRAPH_WORKER_MEMORY_MB)"
    if rc == MEMORY_EXIT or (memory_mb > 0 and rc == -signal.SIGABRT):
        return "memory", f"{over}; the worker has been replaced"
    if rc is not None and rc < 0:
        try:
            name = signal.Signals(-rc).name
        except ValueError:
            name = f"signal {-rc}"
        return "signal", f"query worker died ({name}); it has been replaced, retry"
    return "exit", f"query worker exited (status {rc}); it has been replaced, retry"


class Execution:
    """One query running on one worker: first answer, then a stream of chunks.

    At the deadline the worker is killed and its slot freed at once, whether or not anyone is
    reading the stream; the next read raises :class:`QueryTimeout`.
    """

    def __init__(self, engine: Engine, worker: _Worker, deadline: float) -> None:
        self._engine = engine
        self._worker = worker
        self._deadline = deadline
        self._watchdog = asyncio.get_running_loop().call_at(deadline, self._expire)
        self._done = False
        self._expired = False
        self.format: Format | None = None
        self.head = b""
        """First chunk, or the whole answer when :attr:`complete`."""
        self.complete = False
        self.nbytes = 0

    def _expire(self) -> None:
        self._expired = True
        self._worker.kill_for_timeout()
        self._finish()

    async def _frame(self) -> tuple[int, bytes]:
        if self._expired:
            raise QueryTimeout()
        try:
            return await self._worker.read_frame()
        except (asyncio.IncompleteReadError, ConnectionError):
            self._worker.dead = True  # its pipe broke: never hand it another job
            self._finish()
            if self._worker.timed_out:
                raise QueryTimeout() from None
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2):
                    await self._worker.exited.wait()
            _, message = _death(self._worker, self._engine.memory_mb)
            raise QueryError(503, message) from None

    async def start(self) -> None:
        """Wait for the first answer frame.

        Raises:
            QueryError: the worker refused or failed the query before producing output.
            QueryTimeout: the deadline passed before any output.
        """
        kind, payload = await self._frame()
        if kind == ord("X"):
            self._finish()
            raise QueryError(int.from_bytes(payload[:2], "big"), payload[2:].decode())
        if kind not in (ord("C"), ord("S")):
            self._worker.kill()
            self._finish()
            raise QueryError(500, f"Unexpected frame {kind!r} from query worker")
        if kind == ord("S") and asyncio.get_running_loop().time() >= self._deadline:
            # The stream's first bytes came in as the deadline passed, before the watchdog ran:
            # it would be cut before its first row, so it never starts.
            self._expire()
            raise QueryTimeout()
        self.format = ALL_FORMATS[payload[0]]
        self.head = payload[1:]
        self.nbytes = len(self.head)
        if kind == ord("C"):
            self.complete = True
            self._finish()

    async def rest(self) -> AsyncIterator[bytes]:
        """Chunks after :attr:`head`, until the end of the answer.

        Raises:
            QueryTimeout: the deadline passed mid-stream (the worker is already dead).
            QueryError: evaluation failed mid-stream.
        """
        while not self._done:
            kind, payload = await self._frame()
            if kind == ord("D"):
                self.nbytes += len(payload)
                yield payload
            elif kind == ord("E"):
                self._finish()
            elif kind == ord("X"):
                self._finish()
                raise QueryError(int.from_bytes(payload[:2], "big"), payload[2:].decode())
            else:
                self._worker.kill()
                self._finish()
                raise QueryError(500, f"Unexpected frame {kind!r} from query worker")
        if self._expired:
            raise QueryTimeout()

    @property
    def finished(self) -> bool:
        """The worker is released: the answer ended, failed, or was abandoned."""
        return self._done

    def close(self) -> None:
        """Abandon the query (client gone, HEAD...): a worker still busy is killed and replaced."""
        if not self._done:
            self._worker.kill()
            self._finish()

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        self._watchdog.cancel()
        self._engine._release(self._worker)


class Engine:
    """Pool of query workers over one store version that heals: any worker that dies, for any
    reason, is replaced at once, and dead workers are never handed a job."""

    def __init__(
        self,
        store_path: Path,
        size: int,
        on_kill: Callable[[], None] | None = None,
        *,
        memory_mb: int = 0,
        on_death: Callable[[str], None] | None = None,
        procedures: str = "",
    ) -> None:
        self.store_path = Path(store_path)
        self.procedures = procedures
        """``module:function`` of the procedures jobs may name besides SPARQL (see :class:`Job`)."""
        self.size = max(1, size)
        self.memory_mb = memory_mb
        self._on_kill = on_kill
        self._on_death = on_death
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = False
        self._failing = False
        self._starting = 0
        self.deaths: dict[str, int] = dict.fromkeys(DEATH_CAUSES, 0)

    async def start(self) -> None:
        """Start every worker and wait until each has opened the store."""
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        for w in workers:
            self._idle.put_nowait(w)

    async def _spawn(self) -> _Worker:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ftgraph.sparql.worker",
            str(self.store_path),
            str(self.memory_mb),
            self.procedures,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=2 * CHUNK,
        )
        worker = _Worker(proc)
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT):
                kind, _ = await worker.read_frame()
        except (TimeoutError, asyncio.IncompleteReadError) as e:
            worker.kill()
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
            raise RuntimeError(f"query worker failed to open store {self.store_path}") from e
        if kind != ord("R"):
            worker.kill()
            raise RuntimeError("query worker sent an unexpected greeting")
        self._all.add(worker)
        self._track(self._watch(worker))
        return worker

    def _track(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch(self, worker: _Worker) -> None:
        """Notice the death of a worker, busy or idle, the moment it happens."""
        with contextlib.suppress(ProcessLookupError):
            await worker.proc.wait()
        worker.dead = True
        worker.exited.set()
        self._all.discard(worker)
        if self._closing:
            return
        cause, _ = _death(worker, self.memory_mb)
        worker.cause = cause
        self.deaths[cause] += 1
        if worker.killed and self._on_kill is not None:
            self._on_kill()
        if self._on_death is not None:
            self._on_death(cause)
        if cause not in ("timeout", "abandoned"):
            log.warning("query worker %d died (%s, status %s)", worker.pid, cause,
                        worker.proc.returncode)  # fmt: skip
        await self._replace()

    def _release(self, worker: _Worker) -> None:
        if not worker.killed and not worker.dead and not self._closing:
            self._idle.put_nowait(worker)

    async def _replace(self) -> None:
        delay = 0.0
        self._starting += 1
        try:
            while not self._closing:
                try:
                    worker = await self._spawn()
                except (RuntimeError, OSError):
                    self._failing = True
                    self.deaths["startup"] += 1
                    if self._on_death is not None:
                        self._on_death("startup")
                    log.error("could not start a query worker on %s; retrying", self.store_path)
                    delay = min(5.0, delay * 2 or 0.2)
                    await asyncio.sleep(delay)
                    continue
                self._failing = False
                if self._closing:
                    worker.kill()
                else:
                    self._idle.put_nowait(worker)
                return
        finally:
            self._starting -= 1

    async def _take(self, until: float) -> _Worker:
        """A live idle worker; dead ones found in the queue are dropped (their watcher replaces them)."""
        while True:
            try:
                worker = self._idle.get_nowait()
            except asyncio.QueueEmpty:
                if self._failing and self.live == 0:
                    raise NoWorker("no query worker can be started; retry later") from None
                async with asyncio.timeout_at(until):
                    worker = await self._idle.get()
            gone = worker.dead or worker.killed or worker.reader.at_eof()
            if not gone and worker.proc.returncode is None:
                return worker

    async def execute(
        self, job: Job, deadline: float, *, wait_until: float | None = None
    ) -> Execution:
        """Hand a job to a free worker; the deadline covers waiting, evaluating and streaming.

        Raises:
            QueryTimeout: no worker became free before the deadline.
            NoWorker: none became free before ``wait_until``, or none can be started.
        """
        if self._closing:
            raise NoWorker("the server is shutting down; retry")
        loop = asyncio.get_running_loop()
        began = loop.time()
        until = deadline if wait_until is None else min(wait_until, deadline)
        frame = job.encode()
        while True:
            try:
                worker = await self._take(until)
            except TimeoutError:
                if until < deadline:
                    raise NoWorker(
                        f"no query worker became free within {until - began:.1f} s"
                        " (FTGRAPH_QUEUE_WAIT); retry"
                    ) from None
                raise QueryTimeout() from None
            if worker.writer.is_closing():
                continue
            worker.writer.write(frame)
            execution = Execution(self, worker, deadline)
            if len(frame) > 32 * 1024:
                try:
                    await worker.writer.drain()
                except ConnectionError:
                    execution.close()
                    continue  # the worker died before taking the job: try another
            return execution

    async def fetch(self, job: Job, timeout: float) -> tuple[Format, bytes]:
        """Whole answer of a small query (service description, VoID); not for user queries."""
        loop = asyncio.get_running_loop()
        execution = await self.execute(job, loop.time() + timeout)
        try:
            await execution.start()
            parts = [execution.head]
            async for chunk in execution.rest():
                parts.append(chunk)
        finally:
            execution.close()
        assert execution.format is not None
        return execution.format, b"".join(parts)

    @property
    def live(self) -> int:
        """Workers alive now (a replacement counts once it has opened the store)."""
        return len([w for w in self._all if not w.dead and not w.killed])

    @property
    def healthy(self) -> bool:
        """False when no worker is alive and none can be started."""
        return self.live > 0 or not self._failing

    @property
    def pids(self) -> list[int]:
        """Process ids of the live workers (for /health and tests)."""
        return sorted(w.pid for w in self._all if not w.killed and not w.dead)

    @property
    def busy(self) -> int:
        """Workers evaluating a query right now."""
        idle = len([w for w in list(self._idle._queue) if not w.dead and not w.killed])  # type: ignore[attr-defined]
        return max(0, self.live - idle)

    async def close(self, grace: float = 0.0) -> None:
        """Stop every worker: busy ones get ``grace`` seconds to finish, then all are killed."""
        self._closing = True
        loop = asyncio.get_running_loop()
        until = loop.time() + grace
        while self.busy and loop.time() < until:
            await asyncio.sleep(0.05)
        for task in list(self._tasks):
            task.cancel()
        for w in list(self._all):
            with contextlib.suppress(Exception):
                w.writer.close()
            w.kill()
        for w in list(self._all):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(w.proc.wait(), 5)
        self._all.clear()
