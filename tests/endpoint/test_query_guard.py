"""The pre-parse guard (issue 9, finding 1): queries that crashed the engine's parser never reach it.

Each refused shape crashed pyoxigraph 0.5.13 (SIGSEGV) well above its limit; the limits are far
above the queries of this repository and of the W3C protocol suite.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from endpoint.live import LiveServer
from ftgraph.sparql.analysis import (
    MAX_CLAUSES,
    MAX_DESCRIBE_TERMS,
    MAX_NESTING,
    MAX_OPERATORS,
    QueryTooComplex,
    check_complexity,
)

ROOT = Path(__file__).resolve().parents[2]

CRASHERS = {
    "groups": "SELECT * WHERE " + "{" * 3000 + "}" * 3000,
    "sum-chain": "SELECT (" + "+".join(["1"] * 8000) + " AS ?x) WHERE {}",
    "sub-selects": "SELECT * {" + "{SELECT * {" * 4000 + "}}" * 4000 + "}",
    "binds": "SELECT * WHERE { BIND(1 AS ?x0) "
    + " ".join(f"BIND(?x{i}+1 AS ?x{i + 1})" for i in range(2700))
    + " }",
    "describe": "DESCRIBE " + " ".join(f"<http://x/{i}>" for i in range(2700)),
    "not-chain": "SELECT (" + "! " * 9500 + "true AS ?x) {}",
}


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_crashing_shapes_get_400_naming_the_limit(server: LiveServer, name: str) -> None:
    pids = server.idle_workers()
    r = httpx.post(server.sparql, data={"query": CRASHERS[name]}, timeout=30)
    assert r.status_code == 400, r.text
    assert "over the limit of" in r.text
    assert server.idle_workers() == pids  # no worker died


def test_queries_at_the_limits_are_evaluated(server: LiveServer) -> None:
    at_limits = [
        "SELECT * WHERE " + "{" * MAX_NESTING + "}" * MAX_NESTING,
        "SELECT (" + "+".join(["1"] * MAX_OPERATORS) + " AS ?x) WHERE {}",
        "SELECT * WHERE { " + "FILTER(true) " * (MAX_CLAUSES - 1) + "}",
        "DESCRIBE " + " ".join(f"<http://x/{i}>" for i in range(MAX_DESCRIBE_TERMS)),
    ]
    for query in at_limits:
        check_complexity(query)
        r = httpx.post(server.sparql, data={"query": query}, timeout=30)
        assert r.status_code == 200, r.text[:300]


def test_strings_iris_and_comments_do_not_count() -> None:
    brackets = '"' + "{(" * 5000 + '"'
    check_complexity(f"SELECT * WHERE {{ ?s ?p {brackets} }} # {'{' * 5000}")
    with pytest.raises(QueryTooComplex):
        check_complexity("SELECT * WHERE " + "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1))


def test_every_query_of_the_repository_passes() -> None:
    files = sorted((ROOT / "queries").rglob("*.rq")) + sorted((ROOT / "tests").rglob("*.rq"))
    assert len(files) >= 20
    for path in files:
        check_complexity(path.read_text(encoding="utf-8"))
