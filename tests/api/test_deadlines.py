"""Named queries run in the killable query workers, with /sparql's deadline and streaming.

This module serves a copy of the root whose ``queries/`` also holds a query that runs for hours
(``slow.rq``), one that streams rows for as long as it is let (``endless.rq``) and one with a
large answer (``everything.rq``), on a server whose deadline is a few seconds.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
from endpoint.live import LiveServer, read_truncated, start_server

from ftgraph.sparql.named_queries import parse_named_query

SERVER_TIMEOUT = 3.0
SLOW = """\
# title: Slow
# description: A three-way cross product of the store: hours of work, no output until the end.
SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }
"""
ENDLESS = """\
# title: Endless
# description: Millions of rows, produced at once: a deadline hits mid-stream.
SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }
"""
EVERYTHING_TEXT = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o\n"
EVERYTHING = f"""\
# title: Everything
# description: Every triple of the default graph: an answer far larger than one frame.
{EVERYTHING_TEXT}"""
BROKEN = """\
# title: Broken
# description: A query file that does not parse (a maintainer's mistake, not a client's).
SELECT * WHERE { ?s ?p }
"""
FEDERATED = """\
# title: Federated
# description: Calls a SERVICE this server does not allow.
SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }
"""
ORG = "https://w3id.org/ftgraph/id/organisation/"


@pytest.fixture(scope="module")
def live(
    built_store: Path, project_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("deadline-root")
    for name in ("ontology", "data", "shapes", "docs"):
        (root / name).symlink_to(project_root / name)
    shutil.copytree(project_root / "queries", root / "queries")
    own = (("slow", SLOW), ("endless", ENDLESS), ("everything", EVERYTHING))
    for name, text in (*own, ("broken", BROKEN), ("federated", FEDERATED)):
        (root / "queries" / f"{name}.rq").write_text(text, encoding="utf-8")
    server = start_server(
        built_store, root, root=str(root), query_timeout=str(SERVER_TIMEOUT), result_cache_mb="0"
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.base, timeout=60) as c:
        yield c


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# --- deadlines ---------------------------------------------------------------------------------


def test_past_its_deadline_a_named_query_is_503_and_its_worker_replaced(
    live: LiveServer, client: httpx.Client
) -> None:
    before = live.idle_workers()
    t0 = time.monotonic()
    r = client.get("/api/queries/slow", params={"timeout": "0.5"})
    elapsed = time.monotonic() - t0
    assert r.status_code == 503
    assert r.headers["content-type"].startswith("text/plain")
    assert "timed out after 0.5 s and was stopped" in r.text
    assert elapsed < SERVER_TIMEOUT, elapsed
    after = live.idle_workers()
    killed = before - after
    assert len(killed) == 1, (before, after)
    assert _gone(killed.pop())
    assert client.get("/api/queries/roles").status_code == 200


def test_without_timeout_the_server_deadline_applies(client: httpx.Client) -> None:
    for params in ({}, {"timeout": "600"}):
        t0 = time.monotonic()
        r = client.get("/api/queries/slow", params=params)
        assert r.status_code == 503
        assert f"timed out after {SERVER_TIMEOUT:g} s" in r.text
        assert SERVER_TIMEOUT - 0.5 < time.monotonic() - t0 < SERVER_TIMEOUT + 5


def test_deadline_mid_stream_truncates_the_answer(live: LiveServer) -> None:
    with httpx.stream(
        "GET",
        live.base + "/api/queries/endless",
        params={"timeout": "1", "format": "tsv"},
        headers={"accept-encoding": "identity"},
        timeout=60,
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-disposition"] == 'attachment; filename="endless.tsv"'
        received = read_truncated(r)
    assert b"INCOMPLETE" in received
    live.idle_workers()


@pytest.mark.parametrize(
    ("value", "why"),
    [("soon", "expected seconds"), ("0", "positive"), ("-1", "positive"), ("nan", "positive")],
)
def test_bad_timeout_is_422(client: httpx.Client, value: str, why: str) -> None:
    r = client.get("/api/queries/roles", params={"timeout": value})
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["query", "timeout"] and problem["input"] == value
    assert why in problem["msg"]


def test_repeated_timeout_is_422(client: httpx.Client) -> None:
    r = client.get("/api/queries/roles?timeout=5&timeout=6")
    assert r.status_code == 422
    assert "more than once" in r.json()["detail"][0]["msg"]


def test_timeout_goes_with_bound_parameters(client: httpx.Client) -> None:
    r = client.get(
        "/api/queries/organisation", params={"organisation": ORG + "voyage-prive", "timeout": "5"}
    )
    assert r.status_code == 200
    assert {row["organisation"]["value"] for row in r.json()["results"]["bindings"]} == {
        ORG + "voyage-prive"
    }


def test_a_query_cannot_declare_timeout(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text(
        "# title: T\n# param: timeout integer 3 — seconds.\nSELECT * WHERE { ?s ?p ?o }\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="reserved"):
        parse_named_query(path)


# --- streaming, same bytes as /sparql --------------------------------------------------------------


def test_large_answer_streams_with_the_same_bytes_as_sparql(
    live: LiveServer, client: httpx.Client
) -> None:
    headers = {"accept-encoding": "identity"}
    api = client.get("/api/queries/everything", headers=headers)
    sparql = client.get("/sparql", params={"query": EVERYTHING_TEXT}, headers=headers)
    assert api.status_code == sparql.status_code == 200
    assert api.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in api.headers
    assert len(api.content) > 64 * 1024
    assert api.content == sparql.content
    assert api.headers["content-type"] == "application/sparql-results+json"


def test_streamed_csv_is_a_download(client: httpx.Client) -> None:
    r = client.get("/api/queries/everything", params={"format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="everything.csv"'
    assert r.text.splitlines()[0] == "s,p,o"


# --- ETags and the result cache keep bound values apart --------------------------------------------


def test_etag_depends_on_bound_values(client: httpx.Client) -> None:
    one = client.get("/api/queries/organisation", params={"organisation": ORG + "voyage-prive"})
    two = client.get("/api/queries/organisation", params={"organisation": ORG + "p-factory"})
    assert one.status_code == two.status_code == 200
    assert one.headers["etag"] != two.headers["etag"]
    assert one.json() != two.json()
    again = client.get(
        "/api/queries/organisation",
        params={"organisation": ORG + "voyage-prive"},
        headers={"if-none-match": one.headers["etag"]},
    )
    assert again.status_code == 304
    assert again.headers["etag"] == one.headers["etag"]
    other = client.get(
        "/api/queries/organisation",
        params={"organisation": ORG + "p-factory"},
        headers={"if-none-match": one.headers["etag"]},
    )
    assert other.status_code == 200


def test_result_cache_keeps_bound_values_apart(api: httpx.Client) -> None:
    """On a server with the result cache on, answers for other values never come from it."""
    for slug in ("voyage-prive", "p-factory", "voyage-prive", "p-factory"):
        r = api.get("/api/queries/organisation", params={"organisation": ORG + slug})
        assert r.status_code == 200
        assert {row["organisation"]["value"] for row in r.json()["results"]["bindings"]} == {
            ORG + slug
        }


@pytest.mark.parametrize(("name", "why"), [("broken", "error at 4:1"), ("federated", "SERVICE")])
def test_a_named_query_that_cannot_run_is_the_servers_fault(
    live: LiveServer, name: str, why: str
) -> None:
    """A refused or unparsable query file is a 500 naming the query, never a 400 to the client."""
    r = httpx.get(f"{live.base}/api/queries/{name}", timeout=30)
    assert r.status_code == 500
    assert r.text.startswith(f"Query {name!r} failed: ")
    assert why in r.text  # the parser's position, or the refused SERVICE
