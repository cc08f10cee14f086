"""Deadlines really stop evaluation (the worker is killed) while other clients are served."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil

from endpoint.live import LiveServer

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
"""A three-way cross product of the store: hours of work, no output until the end."""
ENDLESS_ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
"""Millions of rows, produced at once: the deadline hits mid-stream."""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _wait_for_workers(server: LiveServer, n: int) -> list[int]:
    for _ in range(200):
        h = server.health()
        pids = h["worker_pids"]
        assert isinstance(pids, list)
        if len(pids) == n and h["busy"] == 0:
            return [int(p) for p in pids]
        time.sleep(0.05)
    raise AssertionError(f"workers not back: {server.health()}")


def test_timeout_stops_query_while_others_succeed(server: LiveServer) -> None:
    """A query past its deadline gets 503 and its worker killed; 50 concurrent queries succeed."""
    before = set(_wait_for_workers(server, 2))
    simple = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/g/0> { ?s ?p ?o } }"
    with ThreadPoolExecutor(max_workers=51) as pool:
        slow = pool.submit(
            httpx.get, server.sparql, params={"query": SLOW, "timeout": "2"}, timeout=60
        )
        time.sleep(0.3)  # let the slow query take its worker
        quick = [
            pool.submit(httpx.get, server.sparql, params={"query": simple}, timeout=60)
            for _ in range(50)
        ]
        answers = [f.result() for f in quick]
        stopped = slow.result()
    assert all(a.status_code == 200 for a in answers), {a.status_code for a in answers}
    assert {a.json()["results"]["bindings"][0]["n"]["value"] for a in answers} == {"500"}
    assert stopped.status_code == 503
    assert "timed out" in stopped.text
    after = set(_wait_for_workers(server, 2))
    killed = before - after
    assert len(killed) == 1, (before, after)
    assert _gone(killed.pop())
    metrics = httpx.get(server.base + "/metrics").text
    timeouts = [ln for ln in metrics.splitlines() if ln.startswith("ftgraph_query_timeouts_total ")]
    assert float(timeouts[0].split()[1]) >= 1
    assert httpx.get(server.sparql, params={"query": "ASK {}"}).status_code == 200


def test_timeout_mid_stream_truncates_answer(server: LiveServer) -> None:
    """Past the deadline after headers went out: an error marker, then the connection drops."""
    _wait_for_workers(server, 2)
    received = b""
    with (
        httpx.stream(
            "GET",
            server.sparql,
            params={"query": ENDLESS_ROWS, "timeout": "1"},
            headers={"accept-encoding": "identity", "accept": "text/tab-separated-values"},
            timeout=60,
        ) as r,
    ):
        assert r.status_code == 200
        try:
            for chunk in r.iter_raw():
                received = (received + chunk)[-4096:]
            raise AssertionError("the truncated answer ended like a complete one")
        except httpx.RemoteProtocolError:
            pass
    assert b"INCOMPLETE" in received
    _wait_for_workers(server, 2)
    assert httpx.get(server.sparql, params={"query": "ASK {}"}).status_code == 200
