"""Chaos (issue 9, acceptance): mixed load while workers are SIGKILLed and crashing queries arrive.

Every normal query that was not in flight at a kill, nor sent within a second after one, gets its
answer; at the end as many workers are live as configured.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from endpoint.conftest import EX, GRAPHS, PER_GRAPH, example_quads
from endpoint.live import make_store, start_server

SECONDS = float(os.environ.get("FTGRAPH_CHAOS_SECONDS", "60"))
"""The issue asks for 60 s; lower it locally to iterate."""

KILL_EVERY = 3.0
CLIENTS = 4

CRASHERS = [
    "SELECT * WHERE " + "{" * 3000 + "}" * 3000,
    "SELECT (" + "+".join(["1"] * 8000) + " AS ?x) WHERE {}",
    "SELECT * {" + "{SELECT * {" * 4000 + "}}" * 4000 + "}",
]
"""Queries that crashed pyoxigraph's parser (finding 1): the guard answers 400."""


@dataclass
class Outcome:
    sent: float
    finished: float
    status: int
    normal: bool


def test_the_pool_survives_kills_and_crashing_queries(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", example_quads())
    server = start_server(store, tmp_path, query_timeout="10")
    outcomes: list[Outcome] = []
    kills: list[float] = []
    stop = time.monotonic() + SECONDS
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(n)
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{n + 2}")
        with httpx.Client(transport=transport, timeout=30) as http:
            while time.monotonic() < stop:
                normal = rng.random() >= 0.01
                if normal:
                    i = rng.randrange(GRAPHS * PER_GRAPH)
                    query = f"SELECT ?o WHERE {{ <{EX}s/{i}> <{EX}p> ?o }} # {rng.random()}"
                else:
                    query = rng.choice(CRASHERS)
                sent = time.monotonic()
                try:
                    resp = http.post(server.sparql, data={"query": query})
                    status = resp.status_code
                except httpx.TransportError:
                    status = 0
                with lock:
                    outcomes.append(Outcome(sent, time.monotonic(), status, normal))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    rng = random.Random(0)
    try:
        while time.monotonic() < stop - KILL_EVERY:
            time.sleep(KILL_EVERY)
            pids = server.health()["worker_pids"]
            assert isinstance(pids, list)
            if pids:
                kills.append(time.monotonic())
                os.kill(int(rng.choice(pids)), signal.SIGKILL)
    finally:
        for t in threads:
            t.join()
    try:
        excused = [
            o
            for o in outcomes
            if o.normal
            and o.status != 200
            and any(o.sent <= k + 1.0 and o.finished >= k for k in kills)
        ]
        failed = [o for o in outcomes if o.normal and o.status != 200 and o not in excused]
        crashers = [o.status for o in outcomes if not o.normal]
        assert len(kills) >= SECONDS / KILL_EVERY - 2
        assert sum(o.normal for o in outcomes) > 100
        assert failed == [], failed[:5]
        assert all(status == 400 for status in crashers), crashers
        assert len(server.idle_workers(2)) == 2
        metrics = httpx.get(server.base + "/metrics", timeout=10).text
        deaths = sum(
            float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("ftgraph_worker_deaths_total{")
        )
        assert deaths >= len(kills)
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()
