"""Deadlines really stop evaluation (the worker is killed) while other clients are served."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil

from endpoint.live import LiveServer, read_truncated

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
"""A three-way cross product of the store: hours of work, no output until the end."""
ENDLESS_ROWS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"
"""Millions of rows, produced at once: the deadline hits mid-stream."""


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _as_client(n: int, url: str, query: str) -> httpx.Response:
    """One query from loopback address 127.0.0.<n>: another client for the per-client limits."""
    with httpx.Client(transport=httpx.HTTPTransport(local_address=f"127.0.0.{n}")) as client:
        return client.get(url, params={"query": query}, timeout=60)


def test_timeout_stops_query_while_others_succeed(server: LiveServer) -> None:
    """A query past its deadline gets 503 and its worker killed; 50 concurrent queries of 50
    other clients succeed."""
    before = server.idle_workers()
    simple = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <http://example.org/g/0> { ?s ?p ?o } }"
    with ThreadPoolExecutor(max_workers=51) as pool:
        slow = pool.submit(
            httpx.get, server.sparql, params={"query": SLOW, "timeout": "2"}, timeout=60
        )
        time.sleep(0.3)  # let the slow query take its worker
        quick = [pool.submit(_as_client, 2 + n, server.sparql, simple) for n in range(50)]
        answers = [f.result() for f in quick]
        stopped = slow.result()
    assert all(a.status_code == 200 for a in answers), {a.status_code for a in answers}
    assert {a.json()["results"]["bindings"][0]["n"]["value"] for a in answers} == {"500"}
    assert stopped.status_code == 503
    assert "timed out" in stopped.text
    after = server.idle_workers()
    killed = before - after
    assert len(killed) == 1, (before, after)
    assert _gone(killed.pop())
    metrics = httpx.get(server.base + "/metrics").text
    timeouts = [ln for ln in metrics.splitlines() if ln.startswith("ftgraph_query_timeouts_total ")]
    assert float(timeouts[0].split()[1]) >= 1
    assert httpx.get(server.sparql, params={"query": "ASK {}"}).status_code == 200


def test_timeout_mid_stream_truncates_answer(server: LiveServer) -> None:
    """Past the deadline after headers went out: an error marker, then the connection drops."""
    server.idle_workers()
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
        received = read_truncated(r)
    assert b"INCOMPLETE" in received
    server.idle_workers()
    assert httpx.get(server.sparql, params={"query": "ASK {}"}).status_code == 200


def test_a_deadline_passed_before_the_answer_starts_is_a_503_not_a_cut_stream(
    server: LiveServer,
) -> None:
    """A vanishing ``timeout`` (found by schemathesis): the first bytes can arrive with the deadline;
    the client then gets a 503 with Retry-After, never a stream cut before its first row."""
    for _ in range(20):
        r = httpx.get(
            server.sparql,
            params={"query": ENDLESS_ROWS, "timeout": "1e-9"},
            headers={"Accept": "text/csv", "Accept-Encoding": "identity"},
            timeout=30,
        )
        assert r.status_code == 503, r.text[:200]
        assert r.headers["retry-after"].isdigit()
    server.idle_workers()
