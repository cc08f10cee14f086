"""Repeated small requests are answered from the result cache without being parsed again
(``HotAnswers``); they must still be logged, counted and identical to a first answer."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest

from endpoint.live import LiveServer
from ftgraph.formats import RESULT_FORMATS
from ftgraph.web.app import hot_request_key
from ftgraph.web.caches import (
    HOT_REQUEST_BYTES,
    RESULT_CACHE_ENTRY_OVERHEAD,
    HotAnswer,
    HotAnswers,
    ResultCache,
)
from ftgraph.web.metrics import query_hash


def scope(method: str, headers: dict[str, str], query_string: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "scheme": "http",
        "path": "/sparql",
        "query_string": query_string,
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
    }


def body_receive(*chunks: bytes) -> Any:
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ] + [{"type": "http.disconnect"}]

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return receive


def test_post_key_replays_the_body() -> None:
    """The body read to make the key is given back, whole, to whoever reads the request next."""

    async def go() -> tuple[Any, list[dict[str, Any]]]:
        headers = {"host": "h", "content-type": "application/sparql-query", "content-length": "6"}
        key, receive = await hot_request_key(scope("POST", headers), body_receive(b"ASK", b" {}"))
        return key, [await receive(), await receive()]

    key, messages = asyncio.run(go())
    assert key is not None and b"ASK {}" in key
    assert messages[0] == {"type": "http.request", "body": b"ASK {}", "more_body": False}
    assert messages[1] == {"type": "http.disconnect"}


@pytest.mark.parametrize(
    ("method", "headers", "query_string"),
    [
        (
            "GET",
            {"host": "h", "if-none-match": '"x"'},
            b"query=ASK%7B%7D",
        ),  # conditional: 304 logic
        ("GET", {"host": "h", "accept-encoding": "gzip, br"}, b"query=ASK%7B%7D"),  # gzip
        ("GET", {"host": "h", "origin": "https://e.net"}, b"query=ASK%7B%7D"),  # CORS
        ("HEAD", {"host": "h"}, b"query=ASK%7B%7D"),
        ("GET", {"host": "h"}, b"query=" + b"x" * (HOT_REQUEST_BYTES + 1)),
        ("POST", {"host": "h", "content-length": str(HOT_REQUEST_BYTES + 1)}, b""),
        ("POST", {"host": "h"}, b""),  # no Content-Length: not read ahead
    ],
)
def test_requests_never_hot(method: str, headers: dict[str, str], query_string: bytes) -> None:
    """Requests whose answer depends on more than their bytes, or too large, take the full path."""
    key, _ = asyncio.run(hot_request_key(scope(method, headers, query_string), body_receive(b"")))
    assert key is None


def test_same_bytes_same_key_other_accept_other_key() -> None:
    def key(accept: str) -> Any:
        s = scope("GET", {"host": "h", "accept": accept}, b"query=ASK%7B%7D")
        return asyncio.run(hot_request_key(s, body_receive(b"")))[0]

    assert key("text/csv") == key("text/csv") != key("application/sparql-results+json")


def test_bounded() -> None:
    hot = HotAnswers(max_entries=2)
    for i in range(3):
        hot.put((str(i).encode(),), HotAnswer(str(i), "h", "json", []))
    assert hot.get((b"0",)) is None and hot.get((b"2",)) is not None


def test_result_cache_bound_counts_entry_overhead() -> None:
    """Many tiny answers must not hold more memory than the bound: each entry is charged its
    overhead (a soak filled 20,000 entries of ~2 KB, 200 B of bookkeeping each)."""
    cache = ResultCache(max_bytes=10 * 1024)
    for i in range(100):
        cache.put(f"k{i}", RESULT_FORMATS[0], b"x")
    kept = [i for i in range(100) if cache.get(f"k{i}") is not None]
    assert len(kept) == 10 * 1024 // (1 + RESULT_CACHE_ENTRY_OVERHEAD)
    assert kept[-1] == 99 and cache.size <= cache.max_bytes


def test_repeated_post_is_logged_and_counted_each_time(server: LiveServer) -> None:
    """Every answer, hot or not, gives one access-log line and one request count."""
    q = "SELECT ?o WHERE { <http://example.org/s/11> ?p ?o } # hot-probe"

    def requests_200() -> float:
        for line in httpx.get(server.base + "/metrics").text.splitlines():
            if line.startswith('ftgraph_http_requests_total{route="/sparql",status="200"}'):
                return float(line.split()[1])
        return 0.0

    before = requests_200()
    answers = [
        httpx.post(server.sparql, content=q, headers={"content-type": "application/sparql-query"})
        for _ in range(4)
    ]
    assert len({(a.status_code, a.content, a.headers["etag"]) for a in answers}) == 1
    assert answers[0].json()["results"]["bindings"][0]["o"]["value"] == "11"
    assert requests_200() - before == 4
    digest = query_hash(q)
    lines: list[dict[str, Any]] = []
    for _ in range(50):
        lines = [
            json.loads(line)
            for line in server.log_text().splitlines()
            if line.startswith("{") and digest in line
        ]
        if len(lines) >= 4:
            break
        time.sleep(0.05)
    assert len(lines) == 4
    assert {(x["status"], x["format"], x["method"]) for x in lines} == {(200, "json", "POST")}
