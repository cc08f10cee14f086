"""HTTP behaviour of /sparql and the side routes: negotiation, caching, gzip, CORS, errors, ops."""

from __future__ import annotations

import gzip
import json
import time

import httpx
import pytest
import rdflib
from rdflib.compare import isomorphic

from endpoint.conftest import GRAPHS, PER_GRAPH, VERSION
from endpoint.live import LiveServer
from ftgraph.web.metrics import query_hash

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ROWS = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s LIMIT 200"
CONSTRUCT = "CONSTRUCT WHERE { ?s <http://example.org/p> ?o } LIMIT 20"


def get(server: LiveServer, query: str, **kw: object) -> httpx.Response:
    return httpx.get(server.sparql, params={"query": query}, timeout=30, **kw)  # type: ignore[arg-type]


def media(r: httpx.Response) -> str:
    return r.headers.get("content-type", "").split(";")[0]


def count(r: httpx.Response) -> int:
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_union_default_graph(server: LiveServer) -> None:
    """Without a dataset the default graph is the union of all graphs (plus the meta graph)."""
    assert count(get(server, COUNT + " ")) >= GRAPHS * PER_GRAPH


def test_from_clause_is_honoured(server: LiveServer) -> None:
    """A query naming its dataset with FROM does not get the union default graph."""
    r = get(server, "SELECT (COUNT(*) AS ?n) FROM <http://example.org/g/1> WHERE { ?s ?p ?o }")
    assert count(r) == PER_GRAPH


def test_protocol_dataset(server: LiveServer) -> None:
    """default-graph-uri (repeatable) defines the default graph."""
    r = httpx.get(
        server.sparql,
        params=[
            ("query", COUNT),
            ("default-graph-uri", "http://example.org/g/0"),
            ("default-graph-uri", "http://example.org/g/2"),
        ],
        timeout=30,
    )
    assert count(r) == 2 * PER_GRAPH


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("application/json", "application/sparql-results+json"),
        ("text/*;q=0.9, */*;q=0.1", "text/csv"),
    ],
)
def test_select_negotiation(server: LiveServer, accept: str | None, expected: str) -> None:
    """SELECT answers in each results format, chosen by Accept with q-values."""
    r = get(server, ROWS, headers={"accept": accept} if accept else {})
    assert r.status_code == 200 and media(r) == expected


@pytest.mark.parametrize(
    ("param", "value", "expected"),
    [
        ("format", "json", "application/sparql-results+json"),
        ("output", "xml", "application/sparql-results+xml"),
        ("results", "csv", "text/csv"),
        ("format", "tsv", "text/tab-separated-values"),
    ],
)
def test_format_parameters(server: LiveServer, param: str, value: str, expected: str) -> None:
    """format/output/results parameters (SPARQLWrapper, rdflib) override Accept."""
    r = httpx.get(
        server.sparql,
        params={"query": ROWS, param: value},
        headers={"accept": "text/html"},
        timeout=30,
    )
    assert r.status_code == 200 and media(r) == expected


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/rdf+xml", "xml"),
        ("application/ld+json", "json-ld"),
    ],
)
def test_construct_formats(server: LiveServer, accept: str, parser: str) -> None:
    """CONSTRUCT answers parse as the negotiated RDF syntax."""
    r = get(server, CONSTRUCT, headers={"accept": accept})
    assert r.status_code == 200 and media(r) == accept
    assert len(rdflib.Graph().parse(data=r.content, format=parser)) == 20


def test_not_acceptable(server: LiveServer) -> None:
    """406 when no format the query can produce is acceptable."""
    assert get(server, ROWS, headers={"accept": "text/html"}).status_code == 406
    r = get(server, CONSTRUCT, headers={"accept": "application/sparql-results+json"})
    assert r.status_code == 406
    assert httpx.get(server.sparql, headers={"accept": "image/png"}).status_code == 406


def test_too_large_and_unsupported(server: LiveServer) -> None:
    """413 past max_query_bytes, 415 for other bodies, 405 for other methods."""
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 70_000
    r = httpx.post(server.sparql, content=big, headers={"content-type": "application/sparql-query"})
    assert r.status_code == 413
    assert httpx.post(server.sparql, data={"query": big}).status_code == 413
    r = httpx.post(server.sparql, content="{}", headers={"content-type": "application/json"})
    assert r.status_code == 415
    assert httpx.delete(server.sparql).status_code == 405


def test_bad_timeout_parameter(server: LiveServer) -> None:
    """The timeout parameter must be a positive number of seconds."""
    r = httpx.get(server.sparql, params={"query": "ASK {}", "timeout": "soon"})
    assert r.status_code == 400


def test_etag_and_conditional_get(server: LiveServer) -> None:
    """ETag from dataset version + query + format, Cache-Control, and 304 on If-None-Match."""
    r = get(server, ROWS)
    etag = r.headers["etag"]
    assert "max-age" in r.headers["cache-control"]
    again = get(server, ROWS, headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    assert get(server, ROWS, headers={"accept": "text/csv"}).headers["etag"] != etag
    assert get(server, ROWS + " ").headers["etag"] != etag


def test_gzip(server: LiveServer) -> None:
    """Clients accepting gzip get compressed answers."""
    r = httpx.get(
        server.sparql,
        params={"query": ROWS},
        headers={"accept-encoding": "gzip"},
        timeout=30,
    )
    assert r.headers["content-encoding"] == "gzip"
    assert len(r.json()["results"]["bindings"]) == 200
    with httpx.stream(
        "GET", server.sparql, params={"query": ROWS}, headers={"accept-encoding": "gzip"}
    ) as raw:
        body = gzip.decompress(raw.read() if False else b"".join(raw.iter_raw()))
    assert json.loads(body)["results"]["bindings"]


def test_cors(server: LiveServer) -> None:
    """CORS is on for reads by default, preflights included."""
    r = get(server, "ASK {}", headers={"origin": "https://example.net"})
    assert r.headers["access-control-allow-origin"] == "*"
    pre = httpx.options(
        server.sparql,
        headers={
            "origin": "https://example.net",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert pre.status_code == 200
    assert "POST" in pre.headers["access-control-allow-methods"]


FAST_PATH_CASES = [
    ("GET", {"query": ROWS}, None, {}),
    ("GET", {"query": ROWS}, None, {"accept-encoding": "gzip"}),
    ("GET", {"query": "ASK {}"}, None, {"accept": "application/sparql-results+xml"}),
    ("GET", {"query": CONSTRUCT}, None, {"accept": "text/turtle", "accept-encoding": "gzip"}),
    ("POST", {}, ROWS.encode(), {"content-type": "application/sparql-query"}),
    ("POST", {}, b"query=ASK+%7B%7D", {"content-type": "application/x-www-form-urlencoded"}),
    ("GET", {"query": "SELECT * WHERE { ?s ?p }"}, None, {}),
    ("GET", {"query": "ASK {}"}, None, {"accept": "image/png"}),
    ("POST", {}, b"ASK {}", {"content-type": "text/plain"}),
    ("HEAD", {"query": ROWS}, None, {}),
    ("GET", {}, None, {"accept": "text/turtle"}),
]


@pytest.mark.parametrize(("method", "params", "body", "headers"), FAST_PATH_CASES)
def test_fast_path_matches_full_stack(
    server: LiveServer,
    method: str,
    params: dict[str, str],
    body: bytes | None,
    headers: dict[str, str],
) -> None:
    """/sparql skips routing and middlewares (FtgraphApp) unless a request carries Origin, which
    takes the full FastAPI stack: both must give the same status, body and headers, CORS aside."""
    answers = []
    # The first request fills the result cache, so both compared answers are served alike.
    for extra in ({}, {}, {"origin": "https://example.net"}):
        r = httpx.request(
            method, server.sparql, params=params, content=body, headers={**headers, **extra}
        )
        answers.append(r)
    _, fast, full = answers
    assert "access-control-allow-origin" not in fast.headers
    assert full.headers["access-control-allow-origin"] == "*"
    assert fast.status_code == full.status_code
    service_description = media(fast) == "text/turtle" and not params
    if service_description:  # fresh blank nodes each time: same graph, not the same bytes
        assert isomorphic(
            rdflib.Graph().parse(data=fast.text, format="turtle"),
            rdflib.Graph().parse(data=full.text, format="turtle"),
        )
    else:
        assert fast.content == full.content
    ignored = {"date", "access-control-allow-origin", "access-control-expose-headers"}
    if service_description:
        ignored.add("content-length")

    def comparable(r: httpx.Response) -> dict[str, str]:
        h = {k: v for k, v in r.headers.items() if k not in ignored}
        vary = [v.strip() for v in h.pop("vary", "").split(",") if v.strip() not in ("", "Origin")]
        return {**h, "vary": ", ".join(vary)}

    assert comparable(fast) == comparable(full)


def test_head_and_options(server: LiveServer) -> None:
    """HEAD answers headers only; OPTIONS lists the methods."""
    r = httpx.head(server.sparql, params={"query": ROWS})
    assert r.status_code == 200 and media(r) == "application/sparql-results+json"
    assert r.content == b""
    assert httpx.head(server.sparql).status_code == 200
    r = httpx.options(server.sparql)
    assert r.status_code == 204 and "POST" in r.headers["allow"]


def test_void(server: LiveServer) -> None:
    """/.well-known/void serves the meta graph's VoID, content-negotiated."""
    for accept, parser in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        r = httpx.get(server.base + "/.well-known/void", headers={"accept": accept})
        assert r.status_code == 200 and media(r) == accept
        g = rdflib.Graph().parse(data=r.content, format=parser)
        void = rdflib.Namespace("http://rdfs.org/ns/void#")
        assert (None, rdflib.RDF.type, void.Dataset) in g


def test_health(server: LiveServer) -> None:
    """/health reports the dataset version and live workers."""
    h = server.health()
    assert h["status"] == "ok" and h["version"] == VERSION and h["workers"] == 2


def test_metrics_and_access_log(server: LiveServer) -> None:
    """Prometheus metrics count requests; each query logs one JSON line with its sha256."""
    q = "ASK { ?s ?p 'metrics-probe' }"
    assert get(server, q).status_code == 200
    text = httpx.get(server.base + "/metrics").text
    assert 'ftgraph_http_requests_total{route="/sparql",status="200"}' in text
    assert "ftgraph_query_duration_seconds_bucket" in text
    assert "ftgraph_active_queries" in text and "ftgraph_query_timeouts_total" in text
    cached = [ln for ln in text.splitlines() if ln.startswith("ftgraph_result_cache_bytes ")]
    assert float(cached[0].split()[1]) > 0  # the answer above is in the result cache
    digest = query_hash(q)
    for _ in range(50):
        lines = [
            json.loads(line)
            for line in server.log_text().splitlines()
            if line.startswith("{") and digest in line
        ]
        if lines:
            break
        time.sleep(0.05)
    assert lines[0]["status"] == 200 and lines[0]["format"] == "json"
    assert {"sha256", "bytes", "duration_ms"} <= lines[0].keys()


@pytest.mark.parametrize("path", ["/sparql?query=ASK%7B%7D", "/.well-known/void"])
def test_a_304_keeps_the_validators_of_its_200(server: LiveServer, path: str) -> None:
    """RFC 9110 section 15.4.5: a 304 carries the Cache-Control, ETag and Vary its 200 would."""
    first = httpx.get(server.base + path, timeout=30)
    assert first.status_code == 200
    again = httpx.get(server.base + path, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    for name in ("etag", "cache-control", "vary"):
        assert again.headers[name] == first.headers[name], name
