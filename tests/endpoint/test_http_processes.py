"""``http_processes``: several uvicorn processes on one socket, each with its own query workers."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from endpoint.conftest import VERSION, example_quads
from endpoint.live import LiveServer, free_port, make_store, start_server
from endpoint.test_timeouts import SLOW

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("procs") / "store", example_quads(), version=VERSION)


@pytest.fixture(scope="module")
def two(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(store, tmp_path_factory.mktemp("two"), http_processes="2")
    yield live
    live.stop()


def test_every_process_answers(two: LiveServer) -> None:
    """Answers are the same whichever process takes the connection; each has its own workers."""

    def http_processes() -> list[psutil.Process]:
        # The supervisor's children that run query workers (not multiprocessing's helpers).
        return [c for c in psutil.Process(two.proc.pid).children() if c.children()]

    deadline = time.monotonic() + 30
    while len(http_processes()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    children = http_processes()
    assert len(children) == 2

    def one(_: int) -> tuple[int, str, int]:
        with httpx.Client() as c:  # a new connection each time
            health = c.get(two.base + "/health").json()
            r = c.get(two.sparql, params={"query": COUNT})
            return r.status_code, r.text, health["pid"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(one, range(64)))
    assert {a[0] for a in answers} == {200}
    assert len({a[1] for a in answers}) == 1
    served_by = {a[2] for a in answers}
    assert served_by <= {c.pid for c in children}
    for child in children:  # each HTTP process started its own query workers
        assert len(child.children()) == 2


def test_flags_reach_every_process(store: Path, tmp_path: Path) -> None:
    """``ftgraph serve --http-processes 2 --query-timeout 1``: spawned processes get the flags, so
    a runaway query is stopped at 1 s (the default deadline is 30 s) by whichever process runs it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FTGRAPH_")}
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "ftgraph.cli", "serve", "--store", str(store),
                "--port", str(port), "--http-processes", "2", "--query-timeout", "1",
            ],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    server = LiveServer(f"http://127.0.0.1:{port}", proc, tmp_path / "serve.log")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(server.base + "/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with ThreadPoolExecutor(4) as pool:
            slow = list(
                pool.map(
                    lambda _: httpx.get(server.sparql, params={"query": SLOW}, timeout=20),
                    range(4),
                )
            )
        assert [r.status_code for r in slow] == [503] * 4, server.log_text()
    finally:
        server.stop()
