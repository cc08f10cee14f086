"""Pages read the store through the query workers, with the query deadline (issue 9, finding 7).

Before, descriptions and the ontology page were evaluated in the HTTP process with no deadline: the
page of a much-referenced IRI loaded every statement pointing to it, and a damaged store grew the
server to 8 GB. Here a store is built to be costly to describe.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from endpoint.live import LiveServer, make_store, start_server

from ftgraph.vocab import ID, PREFIXES, SOURCE
from ftgraph.web.describe import INBOUND_CAP

ARTICLE = ox.NamedNode(SOURCE + "heavy-article")
NEXT = ox.NamedNode("http://example.org/next")
LOCATED = ox.NamedNode("http://example.org/locatedIn")
LABEL = ox.NamedNode(PREFIXES["rdfs"] + "label")
HUB = ID + "place/hub"
DEEP = ID + "organisation/deep"
PLAIN = ID + "organisation/plain"
CHAIN = 200_000
"""Blank nodes chained from :data:`DEEP`: describing it walks them all (seconds of work)."""


def heavy_quads() -> Iterator[ox.Quad]:
    """A hub with more incoming links than a page carries, a deep blank-node chain, a plain entity."""
    hub = ox.NamedNode(HUB)
    yield ox.Quad(hub, LABEL, ox.Literal("Hub", language="fr"), ARTICLE)
    for i in range(INBOUND_CAP + 500):
        yield ox.Quad(ox.NamedNode(f"{ID}organisation/o{i}"), LOCATED, hub, ARTICLE)
    chain = [ox.BlankNode() for _ in range(CHAIN)]
    yield ox.Quad(ox.NamedNode(DEEP), NEXT, chain[0], ARTICLE)
    for a, b in pairwise(chain):
        yield ox.Quad(a, NEXT, b, ARTICLE)
    yield ox.Quad(ox.NamedNode(PLAIN), LABEL, ox.Literal("Plain", language="fr"), ARTICLE)


@pytest.fixture(scope="module")
def heavy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("ld-heavy")
    store = make_store(tmp / "store", heavy_quads())
    live = start_server(store, tmp, query_timeout="1")
    yield live
    live.stop()


def doc(server: LiveServer, iri: str, **params: str) -> httpx.Response:
    path = "/doc/" + iri.removeprefix("https://w3id.org/ftgraph/")
    return httpx.get(server.base + path, params=params, timeout=30)


def test_a_page_past_the_deadline_is_a_503_and_the_worker_is_replaced(
    heavy_server: LiveServer,
) -> None:
    before = heavy_server.idle_workers()
    r = doc(heavy_server, DEEP)
    assert r.status_code == 503, r.text
    assert "timed out after 1 s" in r.text
    assert r.headers["retry-after"].isdigit()
    after = heavy_server.idle_workers()
    assert after != before  # the worker that ran it was killed and replaced
    assert doc(heavy_server, PLAIN).status_code == 200


def test_other_clients_are_served_while_a_costly_page_runs(heavy_server: LiveServer) -> None:
    """Issue 10 acceptance: a page that runs to its deadline holds one worker, not the server."""
    heavy_server.idle_workers()
    statuses: list[int] = []
    thread = threading.Thread(target=lambda: statuses.append(doc(heavy_server, DEEP).status_code))
    thread.start()
    try:
        for _ in range(400):
            if heavy_server.health()["busy"] == 1:
                break
            time.sleep(0.025)
        else:
            raise AssertionError("the costly page never took a worker")
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=transport, timeout=30) as other:
            path = "/doc/" + PLAIN.removeprefix("https://w3id.org/ftgraph/")
            page = other.get(heavy_server.base + path)
            hub = other.get(heavy_server.sparql, params={"query": "ASK { ?s ?p ?o }"})
        assert (page.status_code, hub.status_code) == (200, 200)
        assert not statuses, "answered while the costly page was still running"
    finally:
        thread.join()
    assert statuses == [503]


def test_the_thing_of_a_costly_page_still_redirects(heavy_server: LiveServer) -> None:
    """Existence is a bounded lookup, whatever the description would cost."""
    r = httpx.get(heavy_server.base + "/id/organisation/deep", timeout=30)
    assert r.status_code == 303


def test_a_much_referenced_page_carries_the_cap_and_says_so(heavy_server: LiveServer) -> None:
    page = doc(heavy_server, HUB)
    assert page.status_code == 200
    assert f"More than {INBOUND_CAP:,} statements point here" in page.text
    nt = doc(heavy_server, HUB, format="nt")
    assert nt.status_code == 200
    incoming = [
        t for t in ox.parse(nt.content, format=ox.RdfFormat.N_TRIPLES) if t.predicate == LOCATED
    ]
    assert len(incoming) == INBOUND_CAP


def store_files_open(pid: int, store: Path) -> list[str]:
    """Files of the store directory that process ``pid`` holds open (Linux ``/proc``)."""
    out = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(store.resolve())):
            out.append(Path(target).name)
    return out


def test_the_http_process_opens_no_store_file_but_its_lease(heavy_server: LiveServer) -> None:
    """The server process only leases the version; the workers (its children) hold the store."""
    for path in (PLAIN, HUB):
        assert doc(heavy_server, path).status_code == 200
    assert doc(heavy_server, "https://w3id.org/ftgraph/ontology", format="ttl").status_code == 200
    store = Path(str(heavy_server.health()["store"]))
    held = store_files_open(heavy_server.proc.pid, store)
    assert all("lease" in name for name in held), held
    worker = next(iter(heavy_server.idle_workers()))
    assert any("lease" not in name for name in store_files_open(worker, store))


def test_an_unknown_format_is_a_406_that_does_not_echo_it(http: httpx.Client) -> None:
    r = http.get("/doc/ontology", params={"format": "<script>x</script>"})
    assert r.status_code == 406
    assert "script" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff"
