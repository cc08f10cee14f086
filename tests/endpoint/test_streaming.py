"""A 500k-row SELECT streams: chunked answer, server memory (all its processes) stays flat."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import httpx
import psutil
import pyoxigraph as ox
import pytest

from endpoint.live import LiveServer, make_store, start_server

ROWS = 500_000
MB = 1024 * 1024


def big_quads() -> Iterator[ox.Quad]:
    """500k triples in one graph, generated lazily for bulk loading."""
    p = ox.NamedNode("http://example.org/value")
    g = ox.NamedNode("http://example.org/big")
    for i in range(ROWS):
        yield ox.Quad(ox.NamedNode(f"http://example.org/item/{i}"), p, ox.Literal(i), g)


@pytest.fixture(scope="module")
def big_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Endpoint on the 500k-triple store."""
    tmp = tmp_path_factory.mktemp("big")
    live = start_server(make_store(tmp / "store", big_quads()), tmp)
    yield live
    live.stop()


def _tree_rss(proc: psutil.Process) -> int:
    """Resident memory of the server and its query workers."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def test_large_select_streams_with_flat_memory(big_server: LiveServer) -> None:
    """The answer is chunked, complete, and the server tree's RSS grows by less than 100 MB."""
    proc = psutil.Process(big_server.proc.pid)
    query = "SELECT ?s ?v WHERE { ?s <http://example.org/value> ?v }"
    # Warm up: workers touch the store once, so the baseline includes their steady state.
    warm = httpx.get(big_server.sparql, params={"query": query + " LIMIT 1000"}, timeout=60)
    assert warm.status_code == 200
    baseline = _tree_rss(proc)
    peak = baseline
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_rss(proc))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    lines = 0
    size = 0
    try:
        with httpx.stream(
            "GET",
            big_server.sparql,
            params={"query": query},
            headers={"accept": "text/tab-separated-values", "accept-encoding": "identity"},
            timeout=120,
        ) as r:
            assert r.status_code == 200
            assert r.headers.get("transfer-encoding") == "chunked"
            assert "content-length" not in r.headers
            for chunk in r.iter_raw():
                lines += chunk.count(b"\n")
                size += len(chunk)
    finally:
        stop.set()
        sampler.join()
    assert lines == ROWS + 1  # header line + one line per row
    growth = (peak - baseline) / MB
    print(f"streamed {size / MB:.1f} MB, {ROWS} rows; server tree RSS growth {growth:.1f} MB")
    assert growth < 100, f"server RSS grew by {growth:.1f} MB"
