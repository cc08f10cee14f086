"""Federation: real engines call this endpoint (inbound), and SERVICE out of it is allowlisted."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from SPARQLWrapper import (
    CSV,
    GET,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)

from endpoint.live import LiveServer, free_port, make_store, start_server

EX = "http://example.org/"


# --- inbound ---------------------------------------------------------------------------------


def test_pyoxigraph_service_inbound(server: LiveServer) -> None:
    """pyoxigraph's own SERVICE client reads our answers (needs Content-Length or chunked)."""
    q = f"SELECT ?o WHERE {{ SERVICE <{server.sparql}> {{ <{EX}s/7> <{EX}p> ?o }} }}"
    assert [s["o"].value for s in ox.Store().query(q)] == ["7"]
    many = f"SELECT (COUNT(*) AS ?n) WHERE {{ SERVICE <{server.sparql}> {{ ?s <{EX}p> ?o }} }}"
    assert next(iter(ox.Store().query(many)))["n"].value == "2000"  # streamed, chunked


def test_rdflib_service_inbound(server: LiveServer) -> None:
    """rdflib's SERVICE: form POST with output=json and ~2 KB of prefixes it adds itself."""
    g = rdflib.Graph()
    assert len(" ".join(f"PREFIX {p}: <{n}>" for p, n in g.namespaces())) > 600  # so it POSTs
    rows = list(
        g.query(f"SELECT ?o WHERE {{ SERVICE <{server.sparql}> {{ <{EX}s/9> <{EX}p> ?o }} }}")
    )
    assert [str(r[0]) for r in rows] == ["9"]  # type: ignore[index]


SELECT = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s LIMIT 5"
ASK = f"ASK {{ <{EX}s/1> <{EX}p> ?o }}"
CONSTRUCT = f"CONSTRUCT WHERE {{ ?s <{EX}p> ?o }} LIMIT 5"
METHODS = [(GET, URLENCODED), (POST, URLENCODED), (POST, POSTDIRECTLY)]


def _wrapper(server: LiveServer, query: str, fmt: str, method: tuple[str, str]) -> SPARQLWrapper:
    w = SPARQLWrapper(server.sparql)
    w.setQuery(query)
    w.setReturnFormat(fmt)
    w.setMethod(method[0])
    w.setRequestMethod(method[1])
    return w


@pytest.mark.parametrize("method", METHODS, ids=lambda m: "-".join(m))
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(server: LiveServer, fmt: str, method: tuple[str, str]) -> None:
    """SPARQLWrapper SELECT in every results format and request method."""
    result = _wrapper(server, SELECT, fmt, method).query().convert()
    if fmt == JSON:
        assert len(result["results"]["bindings"]) == 5
    elif fmt == XML:
        assert len(result.getElementsByTagName("result")) == 5
    else:
        assert len(result.decode().strip().splitlines()) == 6


@pytest.mark.parametrize("method", METHODS, ids=lambda m: "-".join(m))
@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(server: LiveServer, fmt: str, method: tuple[str, str]) -> None:
    """SPARQLWrapper ASK in JSON and XML."""
    result = _wrapper(server, ASK, fmt, method).query().convert()
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


@pytest.mark.parametrize("method", METHODS, ids=lambda m: "-".join(m))
@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, RDFXML, JSONLD])
def test_sparqlwrapper_construct(server: LiveServer, fmt: str, method: tuple[str, str]) -> None:
    """SPARQLWrapper CONSTRUCT in every RDF format it knows and every request method."""
    result = _wrapper(server, CONSTRUCT, fmt, method).query().convert()
    if isinstance(result, bytes):
        result = rdflib.Graph().parse(data=result, format="turtle")
    assert len(result) == 5


def test_h2c_upgrade_request_gets_http11_answer(server: LiveServer) -> None:
    """Jena ARQ offers an h2c upgrade; we must still answer in plain HTTP/1.1."""
    host, port = server.base.removeprefix("http://").split(":")
    request = (
        "GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "Connection: Upgrade, HTTP2-Settings\r\n"
        "Upgrade: h2c\r\n"
        "HTTP2-Settings: AAEAAEAAAAIAAAABAAMAAABkAAQBAAAAAAUAAEAA\r\n"
        "Accept: application/sparql-results+json\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(request.encode())
        data = b""
        while b'"boolean":true' not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert b'"boolean":true' in data


# --- outbound ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def federating(
    server: LiveServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A second instance, with its own store and port, allowed to call the first one."""
    tmp = tmp_path_factory.mktemp("federating")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    quads = (
        ox.Quad(ox.NamedNode(f"{EX}s/{i}"), label, ox.Literal(f"thing {i}"), ox.NamedNode(EX + "b"))
        for i in range(10)
    )
    store = make_store(tmp / "store", quads, version="federating")
    live = start_server(store, tmp, service_allow=server.sparql)
    yield live
    live.stop()


def test_service_between_instances(server: LiveServer, federating: LiveServer) -> None:
    """Instance B joins its labels with values fetched by SERVICE from instance A."""
    q = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?label ?o WHERE {{
      ?s rdfs:label ?label .
      SERVICE <{server.sparql}> {{ ?s <{EX}p> ?o }}
    }} ORDER BY ?label"""
    r = httpx.get(federating.sparql, params={"query": q}, timeout=30)
    assert r.status_code == 200, r.text
    rows = r.json()["results"]["bindings"]
    assert len(rows) == 10
    assert rows[0]["label"]["value"] == "thing 0" and rows[0]["o"]["value"] == "0"
    assert server.health()["version"] != federating.health()["version"]


@pytest.fixture()
def listener() -> Iterator[socket.socket]:
    """A socket that records whether anybody connects to it."""
    s = socket.socket()
    s.bind(("127.0.0.1", free_port()))
    s.listen(8)
    s.settimeout(0.3)
    yield s
    s.close()


def _nobody_connected(s: socket.socket) -> bool:
    try:
        conn, _ = s.accept()
    except TimeoutError:
        return True
    conn.close()
    return False


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        "PREFIX x: <{base}> SELECT * {{ ?a ?b ?c OPTIONAL {{ SERVICE x:sparql {{ ?s ?p ?o }} }} }}",
        "BASE <{base}> SELECT * WHERE {{ service <sparql> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        "SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    ],
)
@pytest.mark.parametrize("which", ["default", "federating"])
def test_service_refused_sends_nothing(
    server: LiveServer,
    federating: LiveServer,
    listener: socket.socket,
    template: str,
    which: str,
) -> None:
    """SERVICE off the allowlist (or to a variable) is a 400 and no connection leaves the server."""
    port = listener.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    query = template.format(url=base + "sparql", base=base)
    target = server if which == "default" else federating
    r = httpx.post(target.sparql, data={"query": query}, timeout=30)
    assert r.status_code == 400, r.text
    assert "SERVICE" in r.text
    assert _nobody_connected(listener)


def test_service_keyword_in_strings_is_not_refused(server: LiveServer) -> None:
    """The word SERVICE in a string, comment, variable or IRI is not a SERVICE call."""
    q = (
        "SELECT ?service WHERE { BIND('SERVICE <http://x/>' AS ?service) "
        "FILTER(?service != <http://x/SERVICE>) } # SERVICE <http://y/>"
    )
    assert httpx.get(server.sparql, params={"query": q}, timeout=30).status_code == 200
