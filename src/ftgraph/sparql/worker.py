"""The query worker process: opens the store read-only and evaluates jobs from stdin until it closes.

It serializes with pyoxigraph straight into its stdout in frames (:mod:`ftgraph.sparql.jobs`), so no
answer is built as Python objects and a slow reader blocks it on a full pipe. Started by
:class:`ftgraph.sparql.embedded.Engine` as ``python -m ftgraph.sparql.worker``.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import marshal
import os
import resource
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from ftgraph.config import BUILD_INFO_FILE
from ftgraph.formats import ALL_FORMATS

if TYPE_CHECKING:
    pass

from ftgraph.sparql.jobs import CHUNK, FIRST_CHUNK, decode_substitutions, frame

log = logging.getLogger("ftgraph.sparql.worker")


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
            _write_all(self.fd, frame(b"D", bytes(self.buf)))
        else:
            _write_all(self.fd, frame(b"S", bytes([self.fmt]) + self.buf))
            self.started = True
        self.buf.clear()

    def finish(self) -> None:
        if not self.started:
            _write_all(self.fd, frame(b"C", bytes([self.fmt]) + self.buf))
            return
        if self.buf:
            _write_all(self.fd, frame(b"D", bytes(self.buf)))
        _write_all(self.fd, frame(b"E"))


def _errorframe(status: int, message: str) -> bytes:
    return frame(b"X", status.to_bytes(2, "big") + message.encode("utf-8", "replace"))


def _run_procedure(run: Callable[[str, str], bytes], name: str, argument: str, out: int) -> None:
    """One page read (:mod:`ftgraph.web.describe`): its pickled answer as a complete frame."""
    try:
        body = run(name, argument)
    except MemoryError:
        raise
    except Exception as e:
        _write_all(out, _errorframe(500, f"Page read error: {e}"))
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
            _procedures = _load_procedures(store, _store_path)
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
        _write_all(out, _errorframe(400, f"Query parse error: {e}"))
        return
    except MemoryError:
        raise
    except Exception as e:
        _write_all(out, _errorframe(500, f"Query evaluation error: {e}"))
        return
    is_graph = isinstance(result, ox.QueryTriples)
    idx = graph_idx if is_graph else results_idx
    if idx < 0:
        offered = ", ".join(
            f.media_type for f in ALL_FORMATS if f.kind == ("graph" if is_graph else "results")
        )
        _write_all(out, _errorframe(406, f"No acceptable format; this query can return {offered}"))
        return
    fmt = ALL_FORMATS[idx]
    target = fmt.serializer
    assert target is not None  # every /sparql format has one
    writer = _FrameWriter(out, idx)
    try:
        result.serialize(writer, target)
    except (BrokenPipeError, MemoryError):
        raise
    except Exception as e:
        _write_all(out, _errorframe(500, f"Query evaluation error: {e}"))
        return
    writer.finish()


_procedures: Callable[[str, str], bytes] | None = None
"""The worker's procedure dispatcher, made on its first procedure job (one store per worker)."""

_procedures_factory = ""
"""``module:function`` making the dispatcher from the store and its directory: the caller's, given
at spawn, so this pool runs the procedures of the layer above it without importing that layer."""

_store_path = Path()
"""The directory of the store this worker opened (a build keeps its sidecars there)."""


def _load_procedures(store: Any, path: Path) -> Callable[[str, str], bytes]:
    """The dispatcher named by :data:`_procedures_factory`.

    Raises:
        ValueError: this pool was started without procedures.
    """
    if not _procedures_factory:
        raise ValueError("this query pool runs no procedures")
    module, _, name = _procedures_factory.partition(":")
    factory: Callable[[Any, Path], Callable[[str, str], bytes]] = getattr(
        importlib.import_module(module), name
    )
    return factory(store, path)


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
    global _procedures_factory, _store_path
    _procedures_factory = procedures
    _store_path = Path(store_path)
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
    _write_all(out, frame(b"R", str(os.getpid()).encode()))
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


if __name__ == "__main__":
    worker_main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 0, *sys.argv[3:4])
