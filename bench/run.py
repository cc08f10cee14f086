"""ftgraph side by side with its peers on the same generated data, in one run.

Builds (or reuses with ``--reuse``) the stores for one scale, starts ftgraph and each peer, runs the
same requests against each in alternation (A/B, then B/A, ...), and prints medians and the ratio
ftgraph/peer. Peers: ``oxigraph serve-read-only`` (``oxigraph load`` of the same quads), in-process
pyoxigraph (no HTTP, no worker: the limit of our stack), rdflib-endpoint (10k only by default: it
cannot load 1M triples in useful time). Load generator: ``wrk`` with a generated Lua script when it
is installed, else a bounded asyncio client (slower; used by the smoke test).

Usage::

    python bench/run.py --scale 1m                 # the full table
    python bench/run.py --scale 10k --smoke        # seconds; what tests/bench runs
    bash bench/setup_peers.sh                      # installs the peers under bench/out/peers

Results: the table on stdout, every figure in ``bench/out/<scale>/results.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
PEERS = OUT / "peers"
PY = sys.executable

ORG = "https://w3id.org/ftgraph/id/organisation/"
PREFIXES = (
    "PREFIX ftg: <https://w3id.org/ftgraph/ontology/>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
)
HEAVY_TIMEOUT = 30
"""Seconds a single heavy request may take before it counts as "did not finish"."""
BIG_SELECT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 500000"
SLOW_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
"""Runs far past any deadline: used to show what a timeout costs."""


# --------------------------------------------------------------------------------------------
# Query mix
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    name: str
    query: str
    kind: str = "results"
    """``results`` (SELECT/ASK, asked as JSON) or ``graph`` (DESCRIBE, asked as Turtle)."""

    @property
    def accept(self) -> str:
        return "text/turtle" if self.kind == "graph" else "application/sparql-results+json"


def _bind(text: str, values: dict[str, str]) -> str:
    """Bind named-query parameters as a client would: a VALUES block at the top of WHERE."""
    if not values:
        return text
    names = " ".join(f"?{k}" for k in values)
    terms = " ".join(f"<{v}>" for v in values.values())
    i = text.index("WHERE {") + len("WHERE {")
    return text[:i] + f"\n  VALUES ({names}) {{ ({terms}) }}" + text[i:]


def named_queries(synthetic: bool) -> list[Query]:
    """``queries/*.rq``; parameters bound to a (synthetic, if the data is) example entity."""
    out = []
    for path in sorted((REPO / "queries").glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        values: dict[str, str] = {}
        for line in text.splitlines():
            if line.startswith("# param:"):
                name, _, example = line.removeprefix("# param:").split()[:3]
                values[name] = example
        if synthetic:
            values = {k: f"{ORG}org-{7 + i}" for i, k in enumerate(values)}
        out.append(Query("q:" + path.stem, _bind(text, values)))
    return out


def point_iri(i: int, synthetic: bool) -> str:
    return f"{ORG}org-{i}" if synthetic else f"{ORG}voyage-prive"


def extra_queries(synthetic: bool) -> list[Query]:
    """The shapes of query the issue lists, over the synthetic entities."""
    org = point_iri(7, synthetic)
    territory = (
        "https://w3id.org/ftgraph/id/place/territory-3"
        if synthetic
        else "https://w3id.org/ftgraph/id/place/aix-marseille"
    )
    name = "Ka" if synthetic else "Voy"
    return [
        Query("point", f"SELECT ?p ?o WHERE {{ <{org}> ?p ?o }}"),
        Query(
            "join-label",
            PREFIXES + "SELECT ?person ?name ?orgName WHERE {\n"
            "  ?org rdfs:label ?orgName . FILTER (LANG(?orgName) = 'fr' && "
            f"STRSTARTS(?orgName, '{name}'))\n"
            "  ?person ftg:memberOf ?org ; rdfs:label ?name .\n} LIMIT 1000",
        ),
        Query(
            "count-group",
            PREFIXES + "SELECT ?kind (COUNT(DISTINCT ?org) AS ?n) WHERE {\n"
            "  ?org a ftg:Organisation ; ftg:kind ?kind .\n} GROUP BY ?kind ORDER BY DESC(?n)",
        ),
        Query(
            "optional-order",
            PREFIXES + "SELECT ?event ?name ?date ?place WHERE {\n"
            "  ?event a ftg:Event ; rdfs:label ?name . FILTER (LANG(?name) = 'fr')\n"
            "  OPTIONAL { ?event ftg:date ?date }\n  OPTIONAL { ?event ftg:location ?place }\n"
            "} ORDER BY DESC(?date) ?event LIMIT 100",
        ),
        Query(
            "path-3hop",
            PREFIXES + "SELECT DISTINCT ?person WHERE {\n"
            f"  ?person ftg:memberOf/ftg:location/ftg:withinPlace <{territory}> .\n}}",
        ),
        Query("describe", f"DESCRIBE <{org}>", "graph"),
    ]


def query_mix(synthetic: bool) -> list[Query]:
    return named_queries(synthetic) + extra_queries(synthetic)


def point_queries(synthetic: bool, n: int = 64) -> list[Query]:
    """Point lookups over ``n`` different organisations (a result cache cannot hide them all)."""
    return [
        Query(f"point-{i}", f"SELECT ?p ?o WHERE {{ <{point_iri(i, synthetic)}> ?p ?o }}")
        for i in range(n if synthetic else 1)
    ]


# --------------------------------------------------------------------------------------------
# Processes and their memory
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tree_rss(pid: int) -> int:
    """RSS of a process and its children (ftgraph's query workers count as the server)."""
    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for q in procs:
        with contextlib.suppress(psutil.Error):
            total += q.memory_info().rss
    return total


class RssSampler:
    """Peak tree RSS of a process, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.last = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.last = tree_rss(self.pid)
            self.peak = max(self.peak, self.last)
            self._stop.wait(self.interval)

    def reset(self) -> int:
        self.last = tree_rss(self.pid)
        self.peak = self.last
        return self.last

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Server:
    """One HTTP endpoint under test."""

    name: str
    url: str
    proc: subprocess.Popen[bytes]
    start_seconds: float
    sampler: RssSampler
    log: Path

    def stop(self) -> None:
        self.sampler.stop()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def wait_answer(url: str, proc: subprocess.Popen[bytes], timeout: float, log: Path) -> float:
    """Seconds until ``url`` answers a query with 200 (the cold start as a client sees it)."""
    t0 = time.perf_counter()
    body = {"query": "ASK { ?s ?p ?o }"}
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.TransportError):
            r = httpx.post(
                url, data=body, headers={"Accept": "application/sparql-results+json"}, timeout=5
            )
            if r.status_code == 200:
                return time.perf_counter() - t0
        time.sleep(0.02)
    proc.kill()
    raise RuntimeError(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


def _spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
        )


def start_ftgraph(
    store: Path,
    work: Path,
    workers: int,
    extra_env: dict[str, str] | None = None,
    name: str = "ftgraph",
) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "FTGRAPH_STORE": str(store),
        "FTGRAPH_PORT": str(port),
        "FTGRAPH_HOST": "127.0.0.1",
        "FTGRAPH_WORKERS": str(workers),
        # One load generator stands for many clients: let its address use every worker.
        "FTGRAPH_CLIENT_QUERIES": str(workers),
        "FTGRAPH_CLIENT_QUEUE": "256",
        **(extra_env or {}),
    }
    log = work / f"ftgraph-{port}.log"
    t = time.perf_counter()
    proc = _spawn([str(Path(PY).parent / "ftgraph"), "serve", "--store", str(store)], log, env)
    url = f"http://127.0.0.1:{port}/sparql"
    wait_answer(url, proc, 120, log)
    return Server(name, url, proc, time.perf_counter() - t, RssSampler(proc.pid), log)


def oxigraph_bin() -> str | None:
    local = PEERS / "oxigraph" / "bin" / "oxigraph"
    return str(local) if local.exists() else shutil.which("oxigraph")


def rdflib_endpoint_bin() -> str | None:
    local = PEERS / "rdflib-endpoint" / "bin" / "rdflib-endpoint"
    return str(local) if local.exists() else None


def start_oxigraph(store: Path, work: Path, timeout: int | None = None) -> Server:
    """``oxigraph serve-read-only``; ``timeout`` only for the heavy single requests: with
    ``--timeout-s`` oxigraph 0.5.13 starts a thread per query, and under load thread creation
    fails (EAGAIN) until the server panics."""
    binary = oxigraph_bin()
    assert binary
    port = free_port()
    log = work / f"oxigraph-{port}.log"
    t = time.perf_counter()
    proc = _spawn(
        [
            binary,
            "serve-read-only",
            "--location",
            str(store),
            "--bind",
            f"127.0.0.1:{port}",
        ]
        + (["--timeout-s", str(timeout)] if timeout else []),
        log,
    )
    url = f"http://127.0.0.1:{port}/query"
    wait_answer(url, proc, 120, log)
    return Server("oxigraph", url, proc, time.perf_counter() - t, RssSampler(proc.pid), log)


def start_rdflib(dump: Path, work: Path) -> Server:
    binary = rdflib_endpoint_bin()
    assert binary
    port = free_port()
    log = work / f"rdflib-{port}.log"
    t = time.perf_counter()
    proc = _spawn([binary, "serve", "--host", "127.0.0.1", "--port", str(port), str(dump)], log)
    url = f"http://127.0.0.1:{port}/"  # rdflib-endpoint serves SPARQL at the root
    wait_answer(url, proc, 1800, log)
    return Server("rdflib", url, proc, time.perf_counter() - t, RssSampler(proc.pid), log)


# --------------------------------------------------------------------------------------------
# Load generation
# --------------------------------------------------------------------------------------------


@dataclass
class Load:
    """Outcome of one load run against one server."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    bad: int
    """Non-2xx answers, socket errors and timeouts."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _form(q: Query, extra: dict[str, str] | None = None) -> str:
    return urllib.parse.urlencode({"query": q.query, **(extra or {})})


LUA = """
local bodies = {%(bodies)s}
local accepts = {%(accepts)s}
local prepared = {}
local i = 0
function init(args)
  for k = 1, #bodies do
    prepared[k] = wrk.format("POST", nil, {
      ["Content-Type"] = "application/x-www-form-urlencoded", ["Accept"] = accepts[k]}, bodies[k])
  end
end
function request()
  i = i %% #prepared + 1
  return prepared[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "p50": %%d, "p99": %%d, "bad": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def run_wrk(url: str, queries: list[Query], concurrency: int, duration: float, work: Path) -> Load:
    bodies = ", ".join(f"[==[{_form(q)}]==]" for q in queries)
    accepts = ", ".join(f'"{q.accept}"' for q in queries)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", dir=work, delete=False) as fh:
        fh.write(LUA % {"bodies": bodies, "accepts": accepts})
        script = fh.name
    try:
        cmd = [
            "wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(duration))}s",
            "--timeout", "60s", "-s", script, url,
        ]  # fmt: skip
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120)
    finally:
        os.unlink(script)
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:  # wrk itself failed: count the run as bad, keep going
        print(f"wrk failed on {url}: {p.stdout[-500:]} {p.stderr[-500:]}", file=sys.stderr)
        return Load(0, duration, float("nan"), float("nan"), 1)
    d = json.loads(line.removeprefix("WRKJSON "))
    return Load(d["requests"], d["duration_us"] / 1e6, d["p50"] / 1000, d["p99"] / 1000, d["bad"])


async def _async_load(url: str, queries: list[Query], concurrency: int, duration: float) -> Load:
    latencies: list[float] = []
    bad = 0
    stop = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def one(k: int) -> None:
            nonlocal bad
            i = k
            while time.perf_counter() < stop:
                q = queries[i % len(queries)]
                i += 1
                t = time.perf_counter()
                try:
                    r = await client.post(
                        url,
                        content=_form(q).encode(),
                        headers={
                            "Content-Type": "application/x-www-form-urlencoded",
                            "Accept": q.accept,
                        },
                    )
                    if r.status_code != 200:
                        bad += 1
                except httpx.HTTPError:
                    bad += 1
                latencies.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(k) for k in range(concurrency)))
        elapsed = time.perf_counter() - t0
    lat = sorted(latencies) or [float("nan")]
    return Load(
        len(latencies),
        elapsed,
        lat[len(lat) // 2] * 1000,
        lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000,
        bad,
    )


def single(url: str, q: Query, timeout: float) -> float | None:
    """Seconds to the last byte of one request; None if it failed or passed ``timeout``."""
    form = {"query": q.query}
    if url.endswith("/sparql"):
        form["timeout"] = str(timeout)
    t = time.perf_counter()
    try:
        with httpx.stream(
            "POST",
            url,
            data=form,
            headers={"Accept": q.accept, "Accept-Encoding": "identity"},
            timeout=timeout + 5,
        ) as r:
            for _ in r.iter_raw(1 << 16):
                pass
            if r.status_code != 200:
                return None
    except httpx.HTTPError:
        return None
    seconds = time.perf_counter() - t
    return seconds if seconds <= timeout else None


def warm(url: str, queries: list[Query]) -> None:
    """Each request once, sequentially (not measured)."""
    for q in queries[:16]:
        single(url, q, 60)


def run_load(
    url: str, queries: list[Query], concurrency: int, duration: float, work: Path, use_wrk: bool
) -> Load:
    if use_wrk:
        return run_wrk(url, queries, concurrency, duration, work)
    return asyncio.run(_async_load(url, queries, concurrency, duration))


# --------------------------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------------------------


def _median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def alternate(servers: list[Server], rounds: int) -> Iterator[tuple[int, Server]]:
    """A, B, C then C, B, A ...: no server always goes first (warm caches, thermal drift)."""
    for r in range(rounds):
        for s in servers if r % 2 == 0 else reversed(servers):
            yield r, s


def measure_loads(
    servers: list[Server],
    runs: list[tuple[str, list[Query], int, float]],
    rounds: int,
    work: Path,
    use_wrk: bool,
    log: Callable[[str], None],
) -> dict[str, dict[str, dict[str, float]]]:
    """For each (name, queries, concurrency, seconds): median rps, p50, p99, bad, per server."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name, queries, conc, dur in runs:
        samples: dict[str, list[Load]] = {s.name: [] for s in servers}
        # One unmeasured pass warms each server's caches for this request set.
        for s in servers:
            warm(s.url, queries)
        for _, s in alternate(servers, rounds):
            samples[s.name].append(run_load(s.url, queries, conc, dur, work, use_wrk))
        out[name] = {
            sname: {
                "rps": _median([x.rps for x in xs]),
                "p50_ms": _median([x.p50_ms for x in xs]),
                "p99_ms": _median([x.p99_ms for x in xs]),
                "bad": float(sum(x.bad for x in xs)),
                "requests": float(sum(x.requests for x in xs)),
            }
            for sname, xs in samples.items()
        }
        log(
            f"  {name:<34}"
            + "  ".join(
                f"{sn}: {v['rps']:8.1f}/s p50 {v['p50_ms']:7.2f} ms{' BAD' if v['bad'] else ''}"
                for sn, v in out[name].items()
            )
        )
    return out


def time_to_last_byte(url: str, accept: str, sampler: RssSampler) -> dict[str, float]:
    """Stream the big SELECT, discard it; seconds to last byte, bytes, server RSS growth."""
    base = sampler.reset()
    t = time.perf_counter()
    n = 0
    headers = {"Accept": accept, "Accept-Encoding": "identity"}
    with httpx.stream("POST", url, data={"query": BIG_SELECT}, headers=headers, timeout=600) as r:
        r.raise_for_status()
        for chunk in r.iter_raw(1 << 16):
            n += len(chunk)
    seconds = time.perf_counter() - t
    time.sleep(sampler.interval * 2)
    return {"seconds": seconds, "bytes": float(n), "rss_growth": float(sampler.peak - base)}


def measure_big(
    servers: list[Server], rounds: int, log: Callable[[str], None]
) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for fmt, accept in (("json", "application/sparql-results+json"), ("csv", "text/csv")):
        samples: dict[str, list[dict[str, float]]] = {s.name: [] for s in servers}
        for s in servers:  # warm-up: page cache of the store files
            time_to_last_byte(s.url, accept, s.sampler)
        for _, s in alternate(servers, rounds):
            samples[s.name].append(time_to_last_byte(s.url, accept, s.sampler))
        out[fmt] = {
            sn: {
                "seconds": _median([x["seconds"] for x in xs]),
                "bytes": xs[0]["bytes"],
                "rss_growth": max(x["rss_growth"] for x in xs),
            }
            for sn, xs in samples.items()
        }
        log(
            f"  big SELECT {fmt}: "
            + "  ".join(
                f"{sn} {v['seconds']:.3f} s ({v['bytes'] / 1e6:.1f} MB, "
                f"+{v['rss_growth'] / 1e6:.1f} MB RSS)"
                for sn, v in out[fmt].items()
            )
        )
    return out


def measure_timeout(server: Server) -> dict[str, float]:
    """What a timeout costs: the 503, then how soon the next query is answered (worker respawn)."""
    t = time.perf_counter()
    r = httpx.post(server.url, data={"query": SLOW_QUERY, "timeout": "0.5"}, timeout=60)
    stopped = time.perf_counter() - t
    assert r.status_code == 503, r.status_code
    t = time.perf_counter()
    # Sequential point lookups until both workers are back: the first rides the surviving worker.
    firsts = []
    for _ in range(4):
        t1 = time.perf_counter()
        ok = httpx.post(server.url, data={"query": "ASK { ?s ?p ?o }"}, timeout=60)
        assert ok.status_code == 200
        firsts.append(time.perf_counter() - t1)
    respawn = 0.0
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline:
        h = httpx.get(server.url.removesuffix("/sparql") + "/health", timeout=10).json()
        if h["workers"] >= 2 and not h["busy"]:
            respawn = time.perf_counter() - t
            break
        time.sleep(0.01)
    return {"stopped_after": stopped, "next_answer": firsts[0], "respawn": respawn}


def measure_search(server: Server, store: Path, n: int) -> dict[str, Any]:
    """``/api/search`` with distinct queries drawn from the index (``bench/search.py``), c=1 and c=8."""
    import search as search_bench  # bench/search.py, beside this file

    base = server.url.removesuffix("/sparql")
    qs = search_bench.queries(store.resolve() / "search.sqlite", n)
    asyncio.run(search_bench.run(base, qs[:20], 1))  # warm
    return {
        "distinct": len(set(qs)),
        "c1": asyncio.run(search_bench.run(base, qs, 1)),
        "c8": asyncio.run(search_bench.run(base, list(reversed(qs)), 8)),
    }


def du(path: Path) -> int:
    total = 0
    for p in path.resolve().rglob("*"):
        with contextlib.suppress(OSError):
            if p.is_file():
                total += p.stat().st_size
    return total


def timed_run(cmd: list[str], timeout: float | None = None) -> dict[str, Any]:
    """Wall time and peak RSS (of the child) of a command; stdout kept."""
    t = time.perf_counter()
    before = _children_maxrss()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"seconds": time.perf_counter() - t, "timeout": True, "rc": None, "stdout": ""}
    seconds = time.perf_counter() - t
    after = _children_maxrss()
    return {
        "seconds": seconds,
        "rc": p.returncode,
        "stdout": p.stdout,
        "stderr": p.stderr[-2000:],
        "peak_rss": after if after > before else None,
    }


def _children_maxrss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024


# --------------------------------------------------------------------------------------------
# Build phase
# --------------------------------------------------------------------------------------------


@dataclass
class Built:
    root: Path
    ftgraph_store: Path
    oxigraph_store: Path | None
    dump: Path
    figures: dict[str, Any] = field(default_factory=dict)


def build_all(scale: str, reuse: bool, log: Callable[[str], None]) -> Built:
    work = OUT / scale
    saved = work / "build.json"
    root = generate.generate(scale)
    b = Built(root, work / "ftgraph-store", work / "oxigraph-store", work / "dump.nq")
    if reuse and saved.exists() and b.ftgraph_store.exists():
        b.figures = json.loads(saved.read_text())
        if b.oxigraph_store and not b.oxigraph_store.exists():
            b.oxigraph_store = None
        log(f"reusing stores of {scale} (build figures from {saved})")
        return b
    figs: dict[str, Any] = {
        "triples_stated": generate.count_triples(root) if scale == "10k" else None
    }
    log(f"building ftgraph store for {scale} ...")
    r = timed_run([PY, str(REPO / "bench" / "build_ftgraph.py"), str(root), str(b.ftgraph_store)])
    if r["rc"] != 0:
        raise RuntimeError("ftgraph build failed: " + r["stderr"])
    info = json.loads(r["stdout"].strip().splitlines()[-1])
    figs["ftgraph_build"] = {**info, "wall": r["seconds"], "size": du(b.ftgraph_store)}
    log(f"  ftgraph build {info['seconds']:.1f} s, {info['quads']} quads, phases {info['phases']}")
    # The same quads, for the peers.
    t = time.perf_counter()
    subprocess.run(
        [PY, "-c", "import pyoxigraph as ox,sys; s=ox.Store.read_only(sys.argv[1]); "
         "s.dump(output=sys.argv[2], format=ox.RdfFormat.N_QUADS)",
         str(b.ftgraph_store.resolve()), str(b.dump)],
        check=True,
    )  # fmt: skip
    figs["dump_seconds"] = time.perf_counter() - t
    binary = oxigraph_bin()
    if binary:
        synthetic = sorted(str(p) for p in (root / "data").glob("*.trig"))
        scratch = work / "oxigraph-trig-store"
        for path, files, key in (
            (scratch, synthetic, "oxigraph_load_trig"),
            (b.oxigraph_store, [str(b.dump)], "oxigraph_load_dump"),
        ):
            assert path is not None
            shutil.rmtree(path, ignore_errors=True)
            r = timed_run([binary, "load", "--location", str(path), "--file", *files])
            if r["rc"] != 0:
                raise RuntimeError(f"oxigraph load failed: {r['stderr']}")
            figs[key] = {"seconds": r["seconds"], "peak_rss": r["peak_rss"], "size": du(path)}
            log(f"  {key} {r['seconds']:.1f} s")
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        b.oxigraph_store = None
    saved.write_text(json.dumps(figs, indent=2, default=str))
    b.figures = figs
    return b


def curated_store(log: Callable[[str], None]) -> Path:
    """The curated graph's store (for cold start), built once with the real ``ftgraph build``."""
    store = OUT / "curated" / "store"
    store.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(Path(PY).parent / "ftgraph"), "build", "--root", str(REPO), "--store", str(store)],
        check=True,
        capture_output=True,
    )
    return store


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def fmt_ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b and a == a and b == b else "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", choices=sorted(generate.SCALES), default="10k")
    ap.add_argument("--smoke", action="store_true", help="tiny durations: checks the harness runs")
    ap.add_argument("--duration", type=float, default=3.0, help="seconds per load run")
    ap.add_argument("--query-duration", type=float, default=1.0, help="seconds per query at c=1")
    ap.add_argument("--rounds", type=int, default=2, help="A/B rounds per measurement")
    ap.add_argument("--workers", type=int, default=2, help="ftgraph query workers")
    ap.add_argument("--peers", default="oxigraph,inproc,rdflib", help="comma-separated")
    ap.add_argument("--reuse", action="store_true", help="reuse stores from a previous run")
    ap.add_argument("--no-wrk", action="store_true", help="use the asyncio client")
    ap.add_argument("--validate-big", action="store_true", help="ftgraph validate the scale root")
    ap.add_argument("--ftgraph-env", default="", help="extra FTGRAPH_* settings, K=V,K=V")
    ap.add_argument("--no-nocache", action="store_true", help="skip the cache-off ftgraph")
    ap.add_argument(
        "--build-only", action="store_true", help="stop after build, load and validate figures"
    )
    ap.add_argument(
        "--http-processes",
        type=int,
        default=2,
        help="also run ftgraph-2p: ftgraph with this many HTTP processes (1: skip it)",
    )
    ap.add_argument("--heavy", type=float, default=1.0, help="seconds: slower queries run once")
    args = ap.parse_args(argv)
    if args.smoke:
        # wrk counts whole seconds: the smoke run uses the asyncio client and fractions.
        args.duration, args.query_duration, args.rounds, args.no_wrk = 0.5, 0.1, 1, True
        args.heavy, args.no_nocache, args.http_processes = min(args.heavy, 0.1), True, 1
    use_wrk = shutil.which("wrk") is not None and not args.no_wrk
    peers = set(filter(None, args.peers.split(",")))
    if "rdflib" in peers and (args.scale != "10k" or args.smoke or not rdflib_endpoint_bin()):
        peers.discard("rdflib")
    if "oxigraph" in peers and not oxigraph_bin():
        peers.discard("oxigraph")
    work = OUT / args.scale
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "scale": args.scale,
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "cpu": platform.processor() or platform.machine(),
            "python": platform.python_version(),
        },
        "versions": _versions(),
        "command": "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "load_generator": "wrk 4.1 (1 thread)" if use_wrk else "asyncio+httpx",
        "peers": sorted(peers),
    }
    built = build_all(args.scale, args.reuse and not args.smoke, log)
    results["build"] = built.figures
    if built.oxigraph_store is None:
        peers.discard("oxigraph")
    synthetic = True
    mix = query_mix(synthetic)
    points = point_queries(synthetic)
    extra_env = dict(kv.split("=", 1) for kv in args.ftgraph_env.split(",") if kv)

    # validate
    ftgraph_bin = str(Path(PY).parent / "ftgraph")
    v = timed_run([ftgraph_bin, "validate", "--root", str(REPO)])
    results["validate_curated"] = {"seconds": v["seconds"], "rc": v["rc"]}
    v = timed_run([ftgraph_bin, "validate", "--engine", "pyshacl", "--root", str(REPO)])
    results["validate_curated_pyshacl"] = {"seconds": v["seconds"], "rc": v["rc"]}
    keys = ("seconds", "rc", "timeout", "peak_rss")
    if args.validate_big or (args.scale == "10k" and not args.smoke):
        v = timed_run([ftgraph_bin, "validate", "--root", str(built.root)], 1800)
        results["validate_scale"] = {k: v.get(k) for k in keys}
        if args.scale == "10k":  # pyshacl on 1M takes many minutes and GBs (RESULTS.md)
            cmd = [ftgraph_bin, "validate", "--engine", "pyshacl", "--root", str(built.root)]
            v = timed_run(cmd, 1800)
            results["validate_scale_pyshacl"] = {k: v.get(k) for k in keys}
    log(f"validate curated {results['validate_curated']['seconds']:.2f} s")
    if args.build_only:
        (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
        print(render(results))
        return 0

    servers: list[Server] = []
    try:
        cur = curated_store(log)
        s = start_ftgraph(cur, logs, args.workers, extra_env)
        results["cold_start_curated"] = s.start_seconds
        s.stop()
        servers.append(start_ftgraph(built.ftgraph_store, logs, args.workers, extra_env))
        if args.http_processes > 1:
            multi = {**extra_env, "FTGRAPH_HTTP_PROCESSES": str(args.http_processes)}
            servers.append(
                start_ftgraph(built.ftgraph_store, logs, args.workers, multi, "ftgraph-2p")
            )
        if not args.no_nocache:
            nocache = {**extra_env, "FTGRAPH_RESULT_CACHE_MB": "0"}
            servers.append(
                start_ftgraph(built.ftgraph_store, logs, args.workers, nocache, "ftgraph-nocache")
            )
        if "oxigraph" in peers and built.oxigraph_store is not None:
            servers.append(start_oxigraph(built.oxigraph_store, logs, HEAVY_TIMEOUT))
        if "rdflib" in peers:
            log("starting rdflib-endpoint (loads the N-Quads dump) ...")
            servers.append(start_rdflib(built.dump, logs))
        results["cold_start"] = {s.name: s.start_seconds for s in servers}
        log("cold start " + ", ".join(f"{s.name} {s.start_seconds:.2f} s" for s in servers))

        # Queries slower than --heavy seconds (once, on the first peer) are timed as single
        # requests, not put under load: at 1M some named queries take minutes.
        probe = next((s for s in servers if s.name == "oxigraph"), servers[-1])
        heavy: dict[str, dict[str, float | None]] = {}
        light: list[Query] = []
        for q in mix:
            t = single(probe.url, q, HEAVY_TIMEOUT)
            if t is not None and t <= args.heavy:
                light.append(q)
                continue
            heavy[q.name] = {probe.name: t}
            for s in servers:
                if s is not probe and s.name not in ("ftgraph-nocache", "ftgraph-2p"):
                    heavy[q.name][s.name] = single(s.url, q, HEAVY_TIMEOUT)
            log(f"  heavy {q.name}: " + ", ".join(
                f"{k} {'>' + str(HEAVY_TIMEOUT) if v is None else f'{v:.2f}'} s"
                for k, v in heavy[q.name].items()))  # fmt: skip
        results["heavy"] = heavy
        for i, s in enumerate(servers):
            if s.name == "oxigraph" and built.oxigraph_store is not None:
                s.stop()
                servers[i] = start_oxigraph(built.oxigraph_store, logs)
        results["heavy_threshold"] = args.heavy
        mix = light
        runs: list[tuple[str, list[Query], int, float]] = [
            (f"c1 {q.name}", [q], 1, args.query_duration) for q in mix
        ]
        runs += [
            ("mix c1", mix, 1, args.duration),
            ("mix c8", mix, 8, args.duration),
            ("point c1", points, 1, args.duration),
            ("point c8", points, 8, args.duration),
        ]
        log(f"load runs ({'wrk' if use_wrk else 'asyncio client'}), {args.rounds} rounds")
        results["loads"] = measure_loads(servers, runs, args.rounds, logs, use_wrk, log)
        big_servers = [s for s in servers if s.name != "rdflib"]
        results["big_select"] = measure_big(big_servers, args.rounds if not args.smoke else 1, log)
        results["timeout"] = measure_timeout(servers[0])
        log(f"timeout cost {results['timeout']}")
        results["search"] = measure_search(
            servers[0], built.ftgraph_store, 50 if args.smoke else 1000
        )
        log(f"search {results['search']}")
        results["peak_rss"] = {s.name: s.sampler.peak for s in servers}
    finally:
        for s in servers:
            s.stop()

    if "inproc" in peers:
        log("in-process pyoxigraph ...")
        job = {
            "store": str(built.ftgraph_store.resolve()),
            "queries": [q.__dict__ | {"kind": q.kind} for q in [*mix, *points]],
            "duration": args.query_duration,
            "timed": len(mix),
            "mixes": [
                {"name": "mix c1", "queries": list(range(len(mix))), "concurrency": 1},
                {
                    "name": "point c1",
                    "queries": list(range(len(mix), len(mix) + len(points))),
                    "concurrency": 1,
                },
                {"name": "mix c8", "queries": list(range(len(mix))), "concurrency": 8},
                {
                    "name": "point c8",
                    "queries": list(range(len(mix), len(mix) + len(points))),
                    "concurrency": 8,
                },
            ],
        }
        p = subprocess.run(
            [PY, str(REPO / "bench" / "inproc.py")],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            check=True,
        )
        results["inproc"] = json.loads(p.stdout)

    (work / "results.json").write_text(json.dumps(results, indent=2, default=str))
    print(render(results))
    bad = sum(
        v["bad"] for run in results["loads"].values() for k, v in run.items() if k == "ftgraph"
    )
    return 1 if bad else 0


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("ftgraph", "pyoxigraph", "fastapi", "starlette", "uvicorn", "uvloop", "httptools"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    binary = oxigraph_bin()
    if binary:
        out["oxigraph"] = subprocess.run(
            [binary, "--version"], capture_output=True, text=True
        ).stdout.strip()
    if rdflib_endpoint_bin():
        out["rdflib-endpoint"] = "0.6.3"
    return out


def render(r: dict[str, Any]) -> str:
    """The results as Markdown tables."""
    lines: list[str] = []
    m = r["machine"]
    lines.append(
        f"scale {r['scale']} | {m['cores']} cores, {m['memory_gib']} GiB | "
        f"load generator {r['load_generator']} | `{r['command']}`"
    )
    lines.append("")
    loads = r.get("loads", {})
    order = ["ftgraph", "ftgraph-2p", "ftgraph-nocache", "oxigraph", "rdflib"]
    present = [n for n in order if any(n in v for v in loads.values())]
    variants = [n for n in present if n.startswith("ftgraph")]
    ip = r.get("inproc", {})
    ox = "oxigraph" in present

    def ratio(per: dict[str, dict[str, float]], name: str, key: str = "rps") -> str:
        if name in per and "oxigraph" in per:
            return fmt_ratio(per[name][key], per["oxigraph"][key])
        return ""

    # Build
    b = r["build"]
    fb = b.get("ftgraph_build", {})
    lines.append("| build / load | seconds | quads/s | store size | peak RSS |")
    lines.append("|---|---:|---:|---:|---:|")
    if fb:
        lp = ", ".join(f"{k} {v:.1f} s" for k, v in fb.get("load_phases", {}).items())
        lines.append(
            f"| ftgraph build: parse {fb['phases'].get('parse', 0):.1f} s, derive "
            f"{fb['phases'].get('derive', 0):.1f} s, validate curated "
            f"{fb['phases'].get('validate_curated', 0):.1f} s, load+union+VoID "
            f"{fb['phases'].get('load', 0):.1f} s ({lp}) -> {fb['quads']:,} quads | "
            f"{fb['seconds']:.2f} | "
            f"{fb['quads'] / fb['seconds']:,.0f} | {fb['size'] / 1e6:.1f} MB | "
            f"{fb['peak_rss'] / 1e6:.0f} MB |"
        )
    for key, label in (
        ("oxigraph_load_trig", "oxigraph load, same TriG input"),
        ("oxigraph_load_dump", "oxigraph load, same quads as the ftgraph store"),
    ):
        if key in b:
            n = b.get("triples_stated") if key.endswith("trig") else fb.get("quads")
            rate = f"{n / b[key]['seconds']:,.0f}" if n else "n/a"
            rss = b[key].get("peak_rss")
            lines.append(
                f"| {label} | {b[key]['seconds']:.2f} | {rate} | {b[key]['size'] / 1e6:.1f} MB | "
                f"{(rss or 0) / 1e6:.0f} MB |"
            )
    lines.append("")
    if loads:  # absent with --build-only
        # Latency per query at c=1
        cols = [f"{n} p50 / p99 ms" for n in present] + (["in-process p50 ms"] if ip else [])
        cols += [f"{n}/oxigraph req/s" for n in variants] if ox else []
        lines.append("| query (c=1) | " + " | ".join(cols) + " |")
        lines.append("|---" * (1 + len(cols)) + "|")
        for run, per in loads.items():
            if not run.startswith("c1 "):
                continue
            qname = run.removeprefix("c1 ")
            cells = [
                f"{per[n]['p50_ms']:.2f} / {per[n]['p99_ms']:.2f}" if n in per else ""
                for n in present
            ]
            if ip:
                iq = ip["queries"].get(qname)
                cells.append(f"{iq['p50_ms']:.2f}" if iq else "")
            if ox:
                cells += [ratio(per, n) for n in variants]
            lines.append(f"| {qname} | " + " | ".join(cells) + " |")
        lines.append("")
        cols = [f"{n} req/s" for n in present] + (["in-process req/s"] if ip else [])
        cols += [f"{n}/oxigraph" for n in variants] if ox else []
        cols += ["ftgraph p50 / p99 ms"]
        lines.append("| throughput | " + " | ".join(cols) + " |")
        lines.append("|---" * (1 + len(cols)) + "|")
        for run in ("mix c1", "mix c8", "point c1", "point c8"):
            per = loads.get(run, {})
            cells = [f"{per[n]['rps']:.1f}" if n in per else "" for n in present]
            if ip:
                im = ip["mixes"].get(run)
                cells.append(f"{im['rps']:.1f}" if im else "")
            if ox:
                cells += [ratio(per, n) for n in variants]
            f = per.get("ftgraph", {})
            cells.append(f"{f.get('p50_ms', 0):.2f} / {f.get('p99_ms', 0):.2f}")
            lines.append(f"| {run} | " + " | ".join(cells) + " |")
        lines.append("")
    heavy = r.get("heavy", {})
    if heavy:
        names = [n for n in order if any(n in v for v in heavy.values())]
        lines.append(
            f"| heavy query (> {r.get('heavy_threshold', 1)} s): one request, s to last byte | "
            + " | ".join(names)
            + " |"
        )
        lines.append("|---" * (1 + len(names)) + "|")
        for q, per in heavy.items():
            cells = [
                (
                    ""
                    if n not in per
                    else f"> {HEAVY_TIMEOUT}"
                    if per[n] is None
                    else f"{per[n]:.2f}"
                )
                for n in names
            ]
            lines.append(f"| {q} | " + " | ".join(cells) + " |")
        lines.append("")
    big = r.get("big_select", {})
    if big:
        names = [n for n in present if n in big["json"]]
        cols = [f"{n} s / RSS growth" for n in names] + (["ftgraph/oxigraph"] if ox else [])
        lines.append("| 500k-row SELECT, time to last byte | " + " | ".join(cols) + " |")
        lines.append("|---" * (1 + len(cols)) + "|")
        for fmt in ("json", "csv"):
            per = big[fmt]
            cells = [
                f"{per[n]['seconds']:.3f} / {per[n]['rss_growth'] / 1e6:+.1f} MB" for n in names
            ]
            if ox:
                cells.append(fmt_ratio(per["ftgraph"]["seconds"], per["oxigraph"]["seconds"]))
            mb = per["ftgraph"]["bytes"] / 1e6
            lines.append(f"| {fmt} ({mb:.0f} MB) | " + " | ".join(cells) + " |")
        lines.append("")
    lines.append("| other | value |")
    lines.append("|---|---|")
    for key, what in (
        ("validate_curated", "curated data"),
        ("validate_curated_pyshacl", "--engine pyshacl, curated data"),
        ("validate_scale", f"{r['scale']} root"),
        ("validate_scale_pyshacl", f"--engine pyshacl, {r['scale']} root"),
    ):
        if key in r:
            vs = r[key]
            rss = f", peak RSS {vs['peak_rss'] / 1e6:.0f} MB" if vs.get("peak_rss") else ""
            lines.append(
                f"| ftgraph validate {what} | "
                + ("did not finish" if vs.get("timeout") else f"{vs['seconds']:.2f} s{rss}")
                + " |"
            )
    if "cold_start_curated" in r:
        lines.append(
            f"| cold start `ftgraph serve`, curated store, to first answer | "
            f"{r['cold_start_curated']:.2f} s |"
        )
    for n, sec in r.get("cold_start", {}).items():
        lines.append(f"| start to first answer, {r['scale']} store: {n} | {sec:.2f} s |")
    for n, rss in r.get("peak_rss", {}).items():
        lines.append(f"| server peak RSS (with query workers): {n} | {rss / 1e6:.0f} MB |")
    if ip:
        lines.append(f"| in-process peak RSS | {ip['peak_rss'] / 1e6:.0f} MB |")
    sr = r.get("search")
    if sr:
        for c in ("c1", "c8"):
            lines.append(
                f"| /api/search, {sr['distinct']} distinct queries, {c} | p50 {sr[c]['p50']:.2f} ms, "
                f"p90 {sr[c]['p90']:.2f} ms, p99 {sr[c]['p99']:.2f} ms |"
            )
    t = r.get("timeout")
    if t:
        lines.append(
            f"| timeout=0.5 s on a runaway query | 503 after {t['stopped_after']:.3f} s; next "
            f"answer {t['next_answer'] * 1000:.1f} ms; both workers back after "
            f"{t['respawn']:.2f} s |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
