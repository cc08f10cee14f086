"""Real servers for tests: a store made with pyoxigraph, and ``python -m ftgraph.web.server`` on it.

Each server is a subprocess on a free loopback port, so tests talk real HTTP to a real uvicorn and
can measure or signal the server process from outside.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox

from ftgraph.vocab import META_GRAPH


def union_default_graph(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The triples of ``quads`` once each, in the default graph: what a build materialises (a set)."""
    seen = {(q.subject, q.predicate, q.object) for q in quads}
    return [ox.Quad(s, p, o, ox.DefaultGraph()) for s, p, o in seen]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def make_store(path: Path, quads: Iterable[ox.Quad], version: str = "test-version") -> Path:
    """Bulk-load ``quads`` into a fresh on-disk store with a build record, like a real build.

    As ``ftgraph build`` does, the default graph receives the union of the named graphs but the meta graph.
    """
    quads = list(quads)
    store = ox.Store(str(path))
    store.bulk_extend(quads)
    store.bulk_extend(
        union_default_graph(q for q in quads if q.graph_name != ox.NamedNode(META_GRAPH))
    )
    store.flush()
    n = len(store)
    graphs = len(list(store.named_graphs()))
    del store
    (path / "ftgraph-build.json").write_text(
        json.dumps(
            {"version": version, "built_at": "2026-01-01T00:00:00Z", "quads": n, "graphs": graphs}
        ),
        encoding="utf-8",
    )
    return path


@dataclass
class LiveServer:
    """A running ``ftgraph`` server subprocess."""

    base: str
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def sparql(self) -> str:
        """The query endpoint URL."""
        return self.base + "/sparql"

    def health(self) -> dict[str, object]:
        """Parsed /health answer."""
        body: dict[str, object] = httpx.get(self.base + "/health", timeout=10).json()
        return body

    def idle_workers(self, n: int = 2) -> set[int]:
        """Pids of the query workers once ``n`` of them are up and none is busy (e.g. after a kill)."""
        for _ in range(200):
            h = self.health()
            pids = h["worker_pids"]
            assert isinstance(pids, list)
            if len(pids) == n and h["busy"] == 0:
                return {int(p) for p in pids}
            time.sleep(0.05)
        raise AssertionError(f"workers not back: {self.health()}")

    def log_text(self) -> str:
        """Everything the server wrote so far (stderr and stdout)."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if uvicorn does not stop in time."""
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def read_truncated(response: httpx.Response) -> bytes:
    """The tail of a streamed answer that a deadline cut off; fails if the transfer ended cleanly."""
    received = b""
    try:
        for chunk in response.iter_raw():
            received = (received + chunk)[-4096:]
        raise AssertionError("the truncated answer ended like a complete one")
    except httpx.RemoteProtocolError:
        pass
    return received


def start_server(store: Path, workdir: Path, **settings: str) -> LiveServer:
    """Start a server on ``store`` with ``FTGRAPH_<NAME>`` overrides and wait until it answers."""
    port = free_port()
    env = {
        **os.environ,
        "FTGRAPH_STORE": str(store),
        "FTGRAPH_HOST": "127.0.0.1",
        "FTGRAPH_PORT": str(port),
        "FTGRAPH_WORKERS": "2",
        "FTGRAPH_LOG_LEVEL": "info",
    }
    env.update({"FTGRAPH_" + k.upper(): v for k, v in settings.items()})
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ftgraph.web.server"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log_text()}")
        try:
            if httpx.get(server.base + "/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"server did not start:\n{server.log_text()}")
