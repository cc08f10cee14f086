"""Query evaluation in a pool of long-lived, killable worker processes.

pyoxigraph cannot cancel a running query, so each query runs in a worker process that holds the
store open read-only; a query past its deadline gets its worker SIGKILLed and replaced. Workers
serialize results with pyoxigraph straight into a pipe in framed chunks, and the server relays
those bytes to the client as they come: no answer is ever built as Python objects, and a slow
client blocks the worker on a full pipe instead of filling memory.

Wire format. Server to worker: 4-byte big-endian length + ``marshal`` of a :class:`Job` tuple
(substitutions travel as plain tuples, see :func:`encode_substitutions`).
Worker to server: frames of 1 type byte + 4-byte big-endian length + payload, where the type is
``R`` ready, ``C`` complete answer (format index byte + body), ``S`` start of a streamed answer
(format index byte + first chunk), ``D`` more data, ``E`` end, ``X`` error (2-byte status +
UTF-8 message).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib
import logging
import marshal
import os
import resource
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal

from ftgraph.config import BUILD_INFO_FILE
from ftgraph.sparql.protocol import ALL_FORMATS, Format

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import pyoxigraph as ox

log = logging.getLogger("ftgraph.sparql.embedded")

FIRST_CHUNK = 16 * 1024
"""Bytes buffered before the first frame: small answers travel whole, with a Content-Length."""
CHUNK = 64 * 1024
"""Bytes per later frame: few enough frames, small enough to stream smoothly."""
STARTUP_TIMEOUT = 120.0
"""Seconds a worker may take to open the store."""


Substitution = tuple[str, Literal["iri", "literal"], str, str | None, str | None]
"""One bound variable as plain, marshal-able data: (variable name, kind, value, datatype IRI or
None, language tag or None). A plain ``xsd:string`` literal has neither datatype nor language."""

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def encode_substitutions(
    bindings: Mapping[ox.Variable, ox.NamedNode | ox.Literal],
) -> tuple[Substitution, ...]:
    """pyoxigraph ``substitutions`` as plain tuples for a :class:`Job`, sorted by variable name
    (so equal bindings give equal jobs, ETags and cache keys whatever the parameter order).

    Raises:
        TypeError: a term that is neither an IRI nor a literal (blank nodes, quoted triples).
        ValueError: a literal with a base direction, which the tuple cannot carry.
    """
    import pyoxigraph as ox

    out: list[Substitution] = []
    for var, term in bindings.items():
        if isinstance(term, ox.NamedNode):
            out.append((var.value, "iri", term.value, None, None))
        elif isinstance(term, ox.Literal):
            if term.direction is not None:
                raise ValueError(f"?{var.value}: literals with a base direction are not supported")
            if term.language is not None:
                out.append((var.value, "literal", term.value, None, term.language))
            else:
                dt = term.datatype.value
                out.append(
                    (var.value, "literal", term.value, None if dt == _XSD_STRING else dt, None)
                )
        else:
            raise TypeError(f"?{var.value}: cannot substitute {term!r}: only IRIs and literals")
    out.sort()
    return tuple(out)


def decode_substitutions(
    data: Iterable[Substitution],
) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
    """The pyoxigraph terms of :func:`encode_substitutions`' tuples (in the worker).

    Raises:
        ValueError: an unknown kind, or a value pyoxigraph refuses (such as an invalid IRI).
    """
    import pyoxigraph as ox

    subs: dict[ox.Variable, ox.NamedNode | ox.Literal] = {}
    for name, kind, value, datatype, language in data:
        if kind == "iri":
            subs[ox.Variable(name)] = ox.NamedNode(value)
        elif kind == "literal":
            if language is not None:
                subs[ox.Variable(name)] = ox.Literal(value, language=language)
            elif datatype is not None:
                subs[ox.Variable(name)] = ox.Literal(value, datatype=ox.NamedNode(datatype))
            else:
                subs[ox.Variable(name)] = ox.Literal(value)
        else:
            raise ValueError(f"?{name}: unknown substitution kind {kind!r}")
    return subs


@dataclass(frozen=True)
class Job:
    """One query evaluation, as sent to a worker."""

    query: str
    default_graphs: tuple[str, ...] | None
    """Protocol dataset (None: the query's own FROM clauses, or the union default graph)."""
    named_graphs: tuple[str, ...] | None
    union: bool
    """Use the union of all graphs as default graph (no protocol dataset, no FROM)."""
    results_format: int
    """Index into ALL_FORMATS for SELECT/ASK, -1 if none is acceptable."""
    graph_format: int
    """Index into ALL_FORMATS for CONSTRUCT/DESCRIBE, -1 if none is acceptable."""
    base_iri: str | None = None
    """Base for relative IRIs in the query: the endpoint URL, as the protocol suggests."""
    substitutions: tuple[Substitution, ...] = ()
    """Variables bound to RDF terms (SEP-0007), never pasted into the query text."""
    procedure: str = ""
    """A page read of :mod:`ftgraph.web.describe` instead of SPARQL (``query`` is its argument)."""

    def encode(self) -> bytes:
        """Length-prefixed marshal frame: the cheapest safe encoding between trusted processes."""
        payload = marshal.dumps(
            (
                self.query,
                self.default_graphs,
                self.named_graphs,
                self.union,
                self.results_format,
                self.graph_format,
                self.base_iri,
                self.substitutions,
                self.procedure,
            )
        )
        return len(payload).to_bytes(4, "big") + payload


class QueryError(Exception):
    """The query failed in the worker (syntax error, no acceptable format, evaluation error)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class QueryTimeout(Exception):
    """The deadline passed: the worker was killed (or none became free in time)."""


# --------------------------------------------------------------------------------------------
# Worker process side
# --------------------------------------------------------------------------------------------


def _frame(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + len(payload).to_bytes(4, "big") + payload


def _write_all(fd: int, data: bytes | bytearray | memoryview) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


class _FrameWriter:
    """File-like sink for pyoxigraph's serializers that ships framed chunks down the pipe."""

    def __init__(self, fd: int, fmt: int) -> None:
        self.fd = fd
        self.fmt = fmt
        self.buf = bytearray()
        self.started = False

    def write(self, data: bytes) -> int:
        self.buf += data
        if len(self.buf) >= (CHUNK if self.started else FIRST_CHUNK):
            self._ship()
        return len(data)

    def flush(self) -> None:
        """pyoxigraph flushes at the end; shipping is driven by size instead."""

    def _ship(self) -> None:
        if self.started:
            _write_all(self.fd, _frame(b"D", bytes(self.buf)))
        else:
            _write_all(self.fd, _frame(b"S", bytes([self.fmt]) + self.buf))
            self.started = True
        self.buf.clear()

    def finish(self) -> None:
        if not self.started:
            _write_all(self.fd, _frame(b"C", bytes([self.fmt]) + self.buf))
            return
        if self.buf:
            _write_all(self.fd, _frame(b"D", bytes(self.buf)))
        _write_all(self.fd, _frame(b"E"))


def _error_frame(status: int, message: str) -> bytes:
    return _frame(b"X", status.to_bytes(2, "big") + message.encode("utf-8", "replace"))


def _run_procedure(run: Callable[[str, str], bytes], name: str, argument: str, out: int) -> None:
    """One page read (:mod:`ftgraph.web.describe`): its pickled answer as a complete frame."""
    try:
        body = run(name, argument)
    except MemoryError:
        raise
    except Exception as e:
        _write_all(out, _error_frame(500, f"Page read error: {e}"))
        return
    writer = _FrameWriter(out, 0)
    writer.write(body)
    writer.finish()


def _run_job(
    store: Any, job: tuple[Any, ...], out: int, *, union_materialised: bool = False
) -> None:
    """Evaluate one job and stream its serialization; errors become an ``X`` frame.

    A store made by ``ftgraph build`` already holds the union (as a set) in its default graph; any other
    store falls back to pyoxigraph's union flag, which repeats a triple once per graph holding it.
    """
    import pyoxigraph as ox

    query, default_graphs, named_graphs, union, results_idx, graph_idx, base_iri, subs, proc = job
    if proc:
        global _procedures
        if _procedures is None:
            _procedures = _load_procedures(store)
        _run_procedure(_procedures, proc, query, out)
        return
    kwargs: dict[str, Any] = {"base_iri": base_iri}
    if default_graphs is not None or named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or ()]
    elif union and not union_materialised:
        kwargs["use_default_graph_as_union"] = True
    try:
        if subs:
            kwargs["substitutions"] = decode_substitutions(subs)
        result = store.query(query, **kwargs)
    except SyntaxError as e:
        _write_all(out, _error_frame(400, f"Query parse error: {e}"))
        return
    except MemoryError:
        raise
    except Exception as e:
        _write_all(out, _error_frame(500, f"Query evaluation error: {e}"))
        return
    is_graph = isinstance(result, ox.QueryTriples)
    idx = graph_idx if is_graph else results_idx
    if idx < 0:
        offered = ", ".join(
            f.media_type for f in ALL_FORMATS if f.kind == ("graph" if is_graph else "results")
        )
        _write_all(out, _error_frame(406, f"No acceptable format; this query can return {offered}"))
        return
    fmt = ALL_FORMATS[idx]
    target = (
        getattr(ox.RdfFormat, _OX_RDF[fmt.name])
        if is_graph
        else getattr(ox.QueryResultsFormat, fmt.name.upper())
    )
    writer = _FrameWriter(out, idx)
    try:
        result.serialize(writer, target)
    except (BrokenPipeError, MemoryError):
        raise
    except Exception as e:
        _write_all(out, _error_frame(500, f"Query evaluation error: {e}"))
        return
    writer.finish()


_procedures: Callable[[str, str], bytes] | None = None
"""The worker's procedure dispatcher, made on its first procedure job (one store per worker)."""

_procedures_factory = ""
"""``module:function`` making the dispatcher from the store: the caller's, given at spawn, so this
pool runs the procedures of the layer above it without importing that layer."""


def _load_procedures(store: Any) -> Callable[[str, str], bytes]:
    """The dispatcher named by :data:`_procedures_factory`.

    Raises:
        ValueError: this pool was started without procedures.
    """
    if not _procedures_factory:
        raise ValueError("this query pool runs no procedures")
    module, _, name = _procedures_factory.partition(":")
    factory: Callable[[Any], Callable[[str, str], bytes]] = getattr(
        importlib.import_module(module), name
    )
    return factory(store)


_OX_RDF = {"turtle": "TURTLE", "ntriples": "N_TRIPLES", "rdfxml": "RDF_XML", "jsonld": "JSON_LD"}


def _read_exact(stream: BinaryIO, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this worker when the server dies, so no query outlives it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


MEMORY_EXIT = 3
"""Exit status of a worker whose query went over its memory cap (Python's MemoryError)."""


def _cap_memory(memory_mb: int) -> None:
    """RLIMIT_AS: past it allocations fail (MemoryError, or Rust aborts) instead of growing the
    machine into the OOM killer; a worker with a store open maps about 0.5 GB to begin with."""
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def worker_main(store_path: str, memory_mb: int = 0, procedures: str = "") -> None:
    """Worker entry point: open the store read-only, then evaluate jobs until stdin closes."""
    global _procedures_factory
    _procedures_factory = procedures
    _die_with_parent()
    _cap_memory(memory_mb)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops us; Ctrl-C goes to it
    jobs = os.fdopen(os.dup(0), "rb", buffering=0)
    out = os.dup(1)
    # Keep stray prints off the result pipe.
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    import pyoxigraph as ox

    store = ox.Store.read_only(store_path)
    union_materialised = (Path(store_path) / BUILD_INFO_FILE).exists()
    _write_all(out, _frame(b"R", str(os.getpid()).encode()))
    try:
        while True:
            head = _read_exact(jobs, 4)
            if head is None:
                return
            payload = _read_exact(jobs, int.from_bytes(head, "big"))
            if payload is None:
                return
            _run_job(store, marshal.loads(payload), out, union_materialised=union_materialised)
    except (BrokenPipeError, KeyboardInterrupt):
        return
    except MemoryError:
        os._exit(MEMORY_EXIT)


# --------------------------------------------------------------------------------------------
# Server side
# --------------------------------------------------------------------------------------------


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
            "ftgraph.sparql.embedded",
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


if __name__ == "__main__":
    worker_main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0, *sys.argv[3:4])
