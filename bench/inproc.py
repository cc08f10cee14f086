"""In-process pyoxigraph peer: the same queries, no HTTP, no worker process (the limit of our stack).

Reads a JSON job on stdin ``{"store", "queries": [{name, query, kind}], "duration", "mixes":
[{name, queries: [index...], concurrency}]}`` and prints one JSON line with, per query, latency
percentiles at concurrency 1 (query + full serialization to bytes, as a server would send), and per
mix the throughput of ``concurrency`` threads sharing one read-only store.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import threading
import time
from typing import Any

import pyoxigraph as ox


def _run(store: ox.Store, query: str, kind: str) -> int:
    result = store.query(query)
    if kind == "graph":
        fmt: Any = ox.RdfFormat.TURTLE
    else:
        fmt = ox.QueryResultsFormat.JSON
    body = result.serialize(format=fmt)
    return len(body or b"")


def _pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def main() -> int:
    job = json.load(sys.stdin)
    t0 = time.perf_counter()
    store = ox.Store.read_only(job["store"])
    open_s = time.perf_counter() - t0
    queries = job["queries"]
    duration = float(job["duration"])
    out: dict[str, Any] = {"open_seconds": open_s, "queries": {}, "mixes": {}}
    for q in queries[: job.get("timed", len(queries))]:
        lat: list[float] = []
        end = time.perf_counter() + duration
        while True:
            t = time.perf_counter()
            _run(store, q["query"], q["kind"])
            lat.append(time.perf_counter() - t)
            if t > end and len(lat) >= 3:
                break
        out["queries"][q["name"]] = {
            "n": len(lat),
            "p50_ms": _pct(lat, 50) * 1000,
            "p99_ms": _pct(lat, 99) * 1000,
            "rps": len(lat) / sum(lat),
            "mean_ms": statistics.fmean(lat) * 1000,
        }
    for mix in job["mixes"]:
        items = [queries[i] for i in mix["queries"]]
        counts = [0] * mix["concurrency"]
        stop = time.perf_counter() + duration

        def worker(
            k: int,
            items: list[dict[str, Any]] = items,
            counts: list[int] = counts,
            stop: float = stop,
        ) -> None:
            i = k
            while time.perf_counter() < stop:
                q = items[i % len(items)]
                _run(store, q["query"], q["kind"])
                counts[k] += 1
                i += 1

        threads = [threading.Thread(target=worker, args=(k,)) for k in range(mix["concurrency"])]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.perf_counter() - t
        out["mixes"][mix["name"]] = {"requests": sum(counts), "rps": sum(counts) / elapsed}
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
