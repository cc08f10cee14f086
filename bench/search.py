"""``/api/search`` latency over HTTP: distinct queries typed the way people type names.

Serves a built store (``ftgraph serve``, default settings, a free port), draws ``--queries`` queries
from the index's own labels (one to three leading words, half of them cut to a prefix, seeded), and
sends each once at concurrency 1 and then at ``--concurrency`` (distinct queries: the answers are not
cached anywhere in ftgraph's search path). Prints p50/p90/p99 in milliseconds as one JSON line.

Usage: python bench/search.py STORE [--queries 1000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx


def queries(index: Path, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    db = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    rows = db.execute("SELECT labels FROM entity ORDER BY id").fetchall()
    out: list[str] = []
    while len(out) < n:
        labels = list(json.loads(rng.choice(rows)[0]).values())
        if not labels:
            continue
        words = labels[0].split()
        q = " ".join(words[: rng.randint(1, min(3, len(words)))])
        if rng.random() < 0.5 and len(q) > 4:
            q = q[: rng.randint(3, len(q))]
        out.append(q)
    return out


def percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    return {
        p: round(ms[min(len(ms) - 1, int(q * len(ms)))], 2)
        for p, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
    }


async def run(base: str, qs: list[str], concurrency: int) -> dict[str, float]:
    times: list[float] = []
    todo = iter(qs)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:

        async def worker() -> None:
            for q in todo:
                started = time.perf_counter()
                r = await client.get("/api/search", params={"q": q})
                times.append((time.perf_counter() - started) * 1000)
                assert r.status_code == 200, (q, r.status_code, r.text)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {**percentiles(times), "requests": len(times)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ftgraph.cli",
            "serve",
            "--store",
            str(args.store),
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(base + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        qs = queries(args.store.resolve() / "search.sqlite", args.queries)
        asyncio.run(run(base, qs[:50], 1))  # warm the page cache and the connection
        result = {
            "distinct": len(set(qs)),
            "c1": asyncio.run(run(base, qs, 1)),
            f"c{args.concurrency}": asyncio.run(run(base, list(reversed(qs)), args.concurrency)),
        }
        print(json.dumps(result))
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    main()
