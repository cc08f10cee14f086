"""Soak: ftgraph at concurrency 8 for a long time, good requests mixed with bad ones.

Against the store of ``bench/run.py --scale <scale>`` (built first if missing), ``--minutes`` at
concurrency 8: the light query mix, point lookups over many organisations (so the result cache
churns), and bad requests: malformed queries (400), unknown formats (406), oversized queries (413),
wrong content types (415), updates (400), runaway queries with ``timeout=0.5`` (503, worker
killed and replaced), queries that crashed the engine before the pre-parse guard (400),
oversized headers (431), and slow readers: clients that ask for a large answer, read a little and
stop reading (the deadline frees their worker). Ends with requests served, answers by status, the
5xx count (must be 0 apart from the intended 503 timeouts) and the server's RSS (with its query
workers) at start, middle and end.

Usage: python bench/soak.py --scale 1m --minutes 10
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

CRASHERS = [
    "SELECT * WHERE " + "{" * 3000 + "}" * 3000,
    "SELECT (" + "+".join(["1"] * 8000) + " AS ?x) WHERE {}",
    "SELECT * {" + "{SELECT * {" * 4000 + "}}" * 4000 + "}",
]
"""Issue 9, finding 1: each crashed a worker; the pre-parse guard answers 400."""

EXPECTED = {
    "malformed": "400",
    "unknown-format": "406",
    "oversized": "413",
    "wrong-type": "415",
    "update": "400",
    "crashing": "400",
    "big-header": "431",
}
"""What each bad request must get; anything else is counted as unexpected."""

SLOW_READER_EVERY = 15.0
"""Seconds between two slow readers; each holds its connection for a deadline and a half."""


Kind = tuple[str, Callable[[], dict[str, Any]]]


def requests(rng: random.Random, orgs: int) -> tuple[list[Kind], Kind]:
    """Weighted request kinds: (kind, builder) pairs; a builder returns httpx request kwargs."""
    mix = [q for q in run.query_mix(True) if q.name in LIGHT]

    def good() -> dict[str, Any]:
        q = rng.choice(mix)
        return {"data": {"query": q.query}, "headers": {"Accept": q.accept}}

    def point() -> dict[str, Any]:
        iri = f"{run.ORG}org-{rng.randrange(orgs)}"
        fmt = rng.choice(
            ["application/sparql-results+json", "text/csv", "application/sparql-results+xml"]
        )
        return {
            "data": {"query": f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}"},
            "headers": {"Accept": fmt},
        }

    def malformed() -> dict[str, Any]:
        return {"data": {"query": "SELECT ?s WHERE { ?s ?p "}}

    def unknown_format() -> dict[str, Any]:
        return {"data": {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "format": "yaml"}}

    def oversized() -> dict[str, Any]:
        return {"data": {"query": "SELECT * WHERE { ?s ?p ?o } # " + "x" * 70_000}}

    def wrong_type() -> dict[str, Any]:
        return {"content": b"query=ASK{}", "headers": {"Content-Type": "text/plain"}}

    def update() -> dict[str, Any]:
        return {"data": {"update": "INSERT DATA { <a:b> <a:c> <a:d> }"}}

    def runaway() -> dict[str, Any]:
        return {"data": {"query": SLOW, "timeout": "0.5"}}

    def crashing() -> dict[str, Any]:
        return {"data": {"query": rng.choice(CRASHERS)}}

    def big_header() -> dict[str, Any]:
        return {"data": {"query": "ASK {}"}, "headers": {"X-Padding": "x" * 40_000}}

    return [
        ("good", good),
        ("good", good),
        ("good", good),
        ("point", point),
        ("point", point),
        ("point", point),
        ("point", point),
        ("malformed", malformed),
        ("unknown-format", unknown_format),
        ("oversized", oversized),
        ("wrong-type", wrong_type),
        ("update", update),
        ("crashing", crashing),
        ("big-header", big_header),
    ], ("runaway", runaway)


LIGHT = {
    "q:accelerator-programmes",
    "q:articles-mentioning-both",
    "q:label-awards",
    "q:tech-champions",
    "point",
    "join-label",
    "count-group",
    "optional-order",
    "path-3hop",
    "describe",
}


async def soak(url: str, minutes: float, pid: int, orgs: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    kinds, runaway = requests(rng, orgs)
    by_status: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    unexpected_5xx: Counter[str] = Counter()
    unexpected: Counter[str] = Counter()
    rss: dict[str, int] = {}
    server_rss: dict[str, int] = {}
    cache: dict[str, int] = {}
    start = time.monotonic()
    end = start + minutes * 60
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:

        async def one() -> None:
            while time.monotonic() < end:
                kind, build = runaway if rng.random() < 0.01 else rng.choice(kinds)
                try:
                    r = await client.post(url, **build())
                    status = str(r.status_code)
                except httpx.HTTPError as e:
                    status = type(e).__name__
                by_status[status] += 1
                by_kind[f"{kind} {status}"] += 1
                if status.startswith("5") and not (kind == "runaway" and status == "503"):
                    unexpected_5xx[f"{kind} {status}"] += 1
                if kind in EXPECTED and status != EXPECTED[kind]:
                    unexpected[f"{kind} {status}"] += 1

        async def slow_reader() -> None:
            """Ask for a large answer, read 64 KiB, stop reading past the deadline, hang up."""
            host, port = url.removeprefix("http://").split("/", 1)[0].split(":")
            while time.monotonic() < end - SLOW_READER_EVERY:
                await asyncio.sleep(SLOW_READER_EVERY)
                reader, writer = await asyncio.open_connection(host, int(port))
                body = "query=" + "SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D&timeout=5"
                writer.write(
                    f"POST /sparql HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    f"Accept: text/tab-separated-values\r\nContent-Length: {len(body)}\r\n\r\n"
                    f"{body}".encode()
                )
                await writer.drain()
                got = 0
                while got < 65536:
                    chunk = await reader.read(65536 - got)
                    if not chunk:
                        break
                    got += len(chunk)
                await asyncio.sleep(7.5)
                writer.close()
                by_kind["slow-reader"] += 1

        async def sampler() -> None:
            marks = {"start": 0.05, "middle": 0.5, "end": 0.999}
            for name, frac in marks.items():
                delay = start + frac * minutes * 60 - time.monotonic()
                await asyncio.sleep(max(0.0, delay))
                rss[name] = run.tree_rss(pid)
                server_rss[name] = psutil.Process(pid).memory_info().rss
                metrics = (await client.get(url.removesuffix("/sparql") + "/metrics")).text
                cache[name] = int(float(_metric(metrics, "ftgraph_result_cache_bytes") or 0))
                print(f"  {name}: RSS {rss[name] / 1e6:.0f} MB (server process "
                      f"{server_rss[name] / 1e6:.0f} MB, result cache {cache[name] / 1e6:.0f} MB), "
                      f"{sum(by_status.values())} requests", file=sys.stderr, flush=True)  # fmt: skip

        await asyncio.gather(sampler(), slow_reader(), *(one() for _ in range(8)))
    drift = (rss["end"] - rss["start"]) / rss["start"]
    # The server process is the one that lives all along (workers are killed and replaced by
    # design); what it holds beyond the bounded result cache is what a leak would grow.
    beyond = {k: server_rss[k] - cache[k] for k in server_rss}
    server_drift = (beyond["end"] - beyond["start"]) / beyond["start"]
    return {
        "minutes": minutes,
        "requests": sum(by_status.values()),
        "rps": sum(by_status.values()) / (time.monotonic() - start),
        "by_status": dict(sorted(by_status.items())),
        "by_kind": dict(sorted(by_kind.items())),
        "unexpected_5xx": sum(unexpected_5xx.values()),
        "unexpected_5xx_detail": dict(unexpected_5xx),
        "unexpected_status": dict(unexpected),
        "rss": rss,
        "rss_drift": drift,
        "server_rss": server_rss,
        "result_cache_bytes": cache,
        "server_rss_beyond_cache_drift": server_drift,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", default="1m")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    built = run.build_all(args.scale, True, lambda m: print(m, file=sys.stderr))
    logs = run.OUT / args.scale / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    orgs = generate_orgs(args.scale)
    server = run.start_ftgraph(built.ftgraph_store, logs, args.workers)
    try:
        health_before = httpx.get(server.url.removesuffix("/sparql") + "/health").json()
        result = asyncio.run(soak(server.url, args.minutes, server.proc.pid, orgs, args.seed))
        health_after, back_after = workers_back(server.url.removesuffix("/sparql") + "/health")
        metrics = httpx.get(server.url.removesuffix("/sparql") + "/metrics").text
    finally:
        server.stop()
    result["workers_before"] = health_before["workers"]
    result["workers_after"] = health_after["workers"]
    result["workers_back_after_s"] = back_after
    result["worker_deaths"] = {
        ln.split("{", 1)[1].split("}", 1)[0]: float(ln.split()[-1])
        for ln in metrics.splitlines()
        if ln.startswith("ftgraph_worker_deaths_total{")
    }
    result["command"] = "python bench/soak.py " + " ".join(argv or sys.argv[1:])
    (run.OUT / args.scale / "soak.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    # Growth is what matters. The tree's RSS swings with the queries the workers run when sampled
    # (and killed workers come back small), so the leak criterion is the server process's RSS
    # beyond its bounded result cache; the tree figures are reported alongside.
    ok = (
        result["unexpected_5xx"] == 0
        and not result["unexpected_status"]
        and result["server_rss_beyond_cache_drift"] < 0.10
        and result["workers_after"] == args.workers
    )
    return 0 if ok else 1


def workers_back(health_url: str, patience: float = 10.0) -> tuple[dict[str, Any], float]:
    """/health once the pool is whole again, and how long that took after the load stopped
    (the last runaway query's worker may still be being replaced when the soak ends)."""
    started = time.monotonic()
    while True:
        health: dict[str, Any] = httpx.get(health_url).json()
        waited = time.monotonic() - started
        if health["workers"] >= health["workers_wanted"] or waited > patience:
            return health, round(waited, 2)
        time.sleep(0.1)


def _metric(text: str, name: str) -> str | None:
    """Value of an unlabelled metric in Prometheus text format."""
    return next((ln.split()[-1] for ln in text.splitlines() if ln.startswith(name + " ")), None)


def generate_orgs(scale: str) -> int:
    import generate

    return generate.Sizes(generate.articles_for(generate.SCALES[scale])).organisations


if __name__ == "__main__":
    sys.exit(main())
