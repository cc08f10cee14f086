"""W3C SPARQL 1.1 Protocol and Service Description tests that apply to a read-only endpoint.

Each test transcribes one manifest entry (sparql/sparql11/protocol/manifest.ttl or
sparql/sparql11/service-description/manifest.ttl of the W3C rdf-tests); ``/sparql/`` in the
manifest paths is our ``/sparql``. Entries we do not run are listed in SKIPPED with a reason.
"""

from __future__ import annotations

import json
from urllib.parse import quote
from xml.etree import ElementTree

import httpx
import pytest
import rdflib
from endpoint.live import LiveServer

SKIPPED: dict[str, str] = {
    "update_dataset_default_graph": "read-only endpoint: SPARQL Update is not offered",
    "update_dataset_default_graphs": "read-only endpoint: SPARQL Update is not offered",
    "update_dataset_named_graphs": "read-only endpoint: SPARQL Update is not offered",
    "update_dataset_full": "read-only endpoint: SPARQL Update is not offered",
    "update_post_form": "read-only endpoint: SPARQL Update is not offered",
    "update_post_direct": "read-only endpoint: SPARQL Update is not offered",
    "update_base_uri": "read-only endpoint: SPARQL Update is not offered",
}
"""Manifest entries not run, each with its one-line reason."""

KASEI = "http://kasei.us/2009/09/sparql/data/"
D0 = quote(KASEI + "data0.rdf", safe="")
D1 = quote(KASEI + "data1.rdf", safe="")
D2 = quote(KASEI + "data2.rdf", safe="")
D3 = quote(KASEI + "data3.rdf", safe="")
FORM = {"content-type": "application/x-www-form-urlencoded"}
DIRECT = {"content-type": "application/sparql-query"}

TABULAR = (
    "application/sparql-results+xml",
    "application/sparql-results+json",
    "text/csv",
    "text/tab-separated-values",
)
RDF = ("application/rdf+xml", "text/turtle", "application/n-triples", "application/xhtml+xml")


def _get(server: LiveServer, path_query: str, **kw: object) -> httpx.Response:
    return httpx.get(server.sparql + path_query, timeout=30, **kw)  # type: ignore[arg-type]


def _post(
    server: LiveServer, path_query: str, body: str | bytes, headers: dict[str, str]
) -> httpx.Response:
    return httpx.post(server.sparql + path_query, content=body, headers=headers, timeout=30)


def media(r: httpx.Response) -> str:
    return r.headers.get("content-type", "").split(";")[0].strip()


def boolean(r: httpx.Response) -> bool:
    """mf:expectedFormat "boolean": an ASK answer in SPARQL JSON or XML results."""
    assert r.is_success, r.text
    if media(r) == "application/sparql-results+json":
        value = json.loads(r.content)["boolean"]
        assert isinstance(value, bool)
        return value
    assert media(r) == "application/sparql-results+xml", media(r)
    el = ElementTree.fromstring(r.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert el is not None and el.text is not None
    return el.text.strip() == "true"


# --- protocol/manifest.ttl: query operations -------------------------------------------------


def test_query_post_form(protocol_server: LiveServer) -> None:
    """:query_post_form "query via URL-encoded POST" (SPARQL 1.1 Protocol §2.1.2)."""
    r = _post(protocol_server, f"?default-graph-uri={D0}", "query=ASK%20%7B%7D", FORM)
    assert boolean(r) is True


def test_query_dataset_default_graphs_get(protocol_server: LiveServer) -> None:
    """:query_dataset_default_graphs_get "GET query with protocol-specified default graph"
    (SPARQL 1.1 Protocol §2.1.4)."""
    q = quote(f"ASK {{ <{KASEI}data1.rdf> a ?type . <{KASEI}data2.rdf> a ?type . }}")
    r = _get(protocol_server, f"?query={q}&default-graph-uri={D1}&default-graph-uri={D2}")
    assert boolean(r) is True


def test_query_dataset_default_graphs_post(protocol_server: LiveServer) -> None:
    """:query_dataset_default_graphs_post "POST query with protocol-specified default graphs"
    (SPARQL 1.1 Protocol §2.1.4)."""
    q = f"ASK {{ <{KASEI}data1.rdf> a ?type . <{KASEI}data2.rdf> a ?type . }}"
    r = _post(protocol_server, f"?default-graph-uri={D1}&default-graph-uri={D2}", q, DIRECT)
    assert boolean(r) is True


def test_query_dataset_named_graphs_post(protocol_server: LiveServer) -> None:
    """:query_dataset_named_graphs_post "POST query with protocol-specified named graphs"
    (SPARQL 1.1 Protocol §2.1.4)."""
    q = (
        f"ASK {{ GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }} "
        f"GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }} }}"
    )
    r = _post(protocol_server, f"?named-graph-uri={D1}&named-graph-uri={D2}", q, DIRECT)
    assert boolean(r) is True


def test_query_dataset_named_graphs_get(protocol_server: LiveServer) -> None:
    """:query_dataset_named_graphs_get "GET query with protocol-specified named graphs"
    (SPARQL 1.1 Protocol §2.1.4)."""
    q = quote(
        f"ASK {{ GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }} "
        f"GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }} }}"
    )
    r = _get(protocol_server, f"?query={q}&named-graph-uri={D1}&named-graph-uri={D2}")
    assert boolean(r) is True


def test_query_dataset_full(protocol_server: LiveServer) -> None:
    """:query_dataset_full "query with protocol-specified dataset (both named and default graphs)"
    (SPARQL 1.1 Protocol §2.1.4)."""
    q = f"""ASK {{
  <{KASEI}data3.rdf> a ?type
  GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }}
  GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }}
}}"""
    r = _post(
        protocol_server,
        f"?default-graph-uri={D3}&named-graph-uri={D1}&named-graph-uri={D2}",
        q,
        DIRECT,
    )
    assert boolean(r) is True


def test_query_multiple_dataset(protocol_server: LiveServer) -> None:
    """:query_multiple_dataset "query specifying dataset in both query string and protocol; test for
    use of protocol-specified dataset" (§2.1.4: the protocol dataset overrides FROM)."""
    q = (
        f"ASK FROM <{KASEI}data3.rdf> {{ GRAPH ?g1 {{ <{KASEI}data1.rdf> a ?type }} "
        f"GRAPH ?g2 {{ <{KASEI}data2.rdf> a ?type }} }}"
    )
    r = _post(protocol_server, f"?named-graph-uri={D1}&named-graph-uri={D2}", q, DIRECT)
    assert boolean(r) is True


def test_query_get(protocol_server: LiveServer) -> None:
    """:query_get "query via GET" (§2.1.1)."""
    r = _get(protocol_server, f"?query=ASK%20%7B%7D&default-graph-uri={D0}")
    assert boolean(r) is True


def test_query_content_type_select(protocol_server: LiveServer) -> None:
    """:query_content_type_select "query appropriate content type (expect one of: XML, JSON, CSV,
    TSV)" (§2.1.5 / §2.2.6)."""
    r = _post(protocol_server, f"?default-graph-uri={D0}", "SELECT (1 AS ?value) {}", DIRECT)
    assert r.is_success and media(r) in TABULAR


def test_query_content_type_ask(protocol_server: LiveServer) -> None:
    """:query_content_type_ask "query appropriate content type (expect one of: XML, JSON)"
    (SPARQL 1.1 Protocol §2.1.5)."""
    r = _post(protocol_server, f"?default-graph-uri={D0}", "ASK {}", DIRECT)
    assert r.is_success and media(r) in TABULAR[:2]
    assert boolean(r) is True


def test_query_content_type_describe(protocol_server: LiveServer) -> None:
    """:query_content_type_describe "query appropriate content type (expect one of: RDF/XML,
    Turtle, N-Triples, RDFa)"
    (SPARQL 1.1 Protocol §2.1.5)."""
    r = _post(protocol_server, f"?default-graph-uri={D0}", "DESCRIBE <http://example.org/>", DIRECT)
    assert r.is_success and media(r) in RDF


def test_query_content_type_construct(protocol_server: LiveServer) -> None:
    """:query_content_type_construct "query appropriate content type (expect one of: RDF/XML,
    Turtle, N-Triples, RDFa)"
    (SPARQL 1.1 Protocol §2.1.5)."""
    r = _post(
        protocol_server, f"?default-graph-uri={D0}", "CONSTRUCT { <s> <p> 1 } WHERE {}", DIRECT
    )
    assert r.is_success and media(r) in RDF


def test_query_post_direct(protocol_server: LiveServer) -> None:
    """:query_post_direct "query via POST directly" (§2.1.3)."""
    r = _post(protocol_server, "", "ASK {}", DIRECT)
    assert boolean(r) is True


# --- protocol/manifest.ttl: requests that must fail with 4xx ----------------------------------


def test_bad_query_method(protocol_server: LiveServer) -> None:
    """:bad_query_method "invoke query operation with a method other than GET or POST" (§2.1)."""
    r = httpx.put(
        protocol_server.sparql + f"?query=ASK%20%7B%7D&default-graph-uri={D0}",
        headers=FORM,
        timeout=30,
    )
    assert r.status_code == 405


def test_bad_multiple_queries(protocol_server: LiveServer) -> None:
    """:bad_multiple_queries "invoke query operation with more than one query string" (§2.1)."""
    r = _get(protocol_server, "?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert r.status_code == 400


def test_bad_query_wrong_media_type(protocol_server: LiveServer) -> None:
    """:bad_query_wrong_media_type "invoke query operation with a POST with media type that's not
    url-encoded or application/sparql-query" (§2.1.2, §2.1.3)."""
    r = _post(protocol_server, "", "ASK {}", {"content-type": "text/plain"})
    assert r.status_code == 415


def test_bad_query_missing_form_type(protocol_server: LiveServer) -> None:
    """:bad_query_missing_form_type "invoke query operation with url-encoded body, but without
    application/x-www-form-urlencoded media type" (§2.1.2)."""
    r = httpx.post(protocol_server.sparql, content=b"query=ASK%20%7B%7D", timeout=30)
    assert 400 <= r.status_code < 500


def test_bad_query_missing_direct_type(protocol_server: LiveServer) -> None:
    """:bad_query_missing_direct_type "invoke query operation with SPARQL body, but without
    application/sparql-query media type" (§2.1.3)."""
    r = httpx.post(protocol_server.sparql, content=b"ASK {}", timeout=30)
    assert 400 <= r.status_code < 500


def test_bad_query_non_utf8(protocol_server: LiveServer) -> None:
    """:bad_query_non_utf8 "invoke query operation with direct POST, but with a non-UTF8 encoding
    (UTF-16)" (§2.1.3)."""
    r = _post(
        protocol_server,
        "",
        "ASK {}".encode("utf-16"),
        {"content-type": "application/sparql-query; charset=UTF-16"},
    )
    assert 400 <= r.status_code < 500


def test_bad_query_syntax(protocol_server: LiveServer) -> None:
    """:bad_query_syntax "invoke query operation with invalid query syntax (4XX result)"
    (SPARQL 1.1 Protocol §2.1.4)."""
    r = _get(protocol_server, "?query=ASK%20%7B")
    assert r.status_code == 400
    assert media(r) == "text/plain"
    assert "1:6" in r.text  # the parser's line:column


def test_bad_update_get(protocol_server: LiveServer) -> None:
    """:bad_update_get "invoke update operation with GET" (§2.2)."""
    r = _get(protocol_server, "?update=CLEAR%20ALL")
    assert r.status_code == 400


def test_bad_multiple_updates(protocol_server: LiveServer) -> None:
    """:bad_multiple_updates "invoke update operation with more than one update string" (§2.2)."""
    r = _post(protocol_server, "", "update=CLEAR%20NAMED&update=CLEAR%20DEFAULT", FORM)
    assert 400 <= r.status_code < 500


def test_bad_update_wrong_media_type(protocol_server: LiveServer) -> None:
    """:bad_update_wrong_media_type "invoke update operation with a POST with media type that's not
    url-encoded or application/sparql-update" (§2.2)."""
    r = _post(protocol_server, "", "CLEAR NAMED", {"content-type": "text/plain"})
    assert 400 <= r.status_code < 500


def test_bad_update_missing_form_type(protocol_server: LiveServer) -> None:
    """:bad_update_missing_form_type "invoke update operation with url-encoded body, but without
    application/x-www-form-urlencoded media type" (§2.2.1)."""
    r = httpx.post(protocol_server.sparql, content=b"update=CLEAR%20NAMED", timeout=30)
    assert 400 <= r.status_code < 500


def test_bad_update_non_utf8(protocol_server: LiveServer) -> None:
    """:bad_update_non_utf8 "invoke update operation with direct POST, but with a non-UTF8
    encoding" (§2.2.2)."""
    r = _post(
        protocol_server,
        "",
        "CLEAR NAMED".encode("utf-16"),
        {"content-type": "application/sparql-update; charset=UTF-16"},
    )
    assert 400 <= r.status_code < 500


def test_bad_update_syntax(protocol_server: LiveServer) -> None:
    """:bad_update_syntax "invoke update operation with invalid update syntax" (§2.2)."""
    r = _post(protocol_server, "", "update=CLEAR%20XYZ", FORM)
    assert 400 <= r.status_code < 500


def test_bad_update_dataset_conflict(protocol_server: LiveServer) -> None:
    """:bad_update_dataset_conflict "invoke update with both using-graph-uri/using-named-graph-uri
    parameter and USING/WITH clause" (§2.2.3)."""
    body = (
        "PREFIX foaf:  <http://xmlns.com/foaf/0.1/>\nWITH <http://example/addresses>\n"
        "DELETE { ?person foaf:givenName 'Bill' }\nINSERT { ?person foaf:givenName 'William' }\n"
        "WHERE {\n    ?person foaf:givenName 'Bill'\n}"
    )
    r = _post(
        protocol_server,
        "?using-named-graph-uri=http%3A%2F%2Fexample%2Fpeople",
        body,
        {"content-type": "application/sparql-update"},
    )
    assert 400 <= r.status_code < 500


@pytest.mark.parametrize("entry", sorted(SKIPPED))
def test_skipped_update_entries(entry: str) -> None:
    """Update entries of protocol/manifest.ttl: not applicable to a read-only endpoint."""
    pytest.skip(f":{entry}: {SKIPPED[entry]}")


# --- service-description/manifest.ttl --------------------------------------------------------

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
RDF_PARSERS = {
    "text/turtle": "turtle",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
}


def _description(
    server: LiveServer, accept: str | None = None
) -> tuple[httpx.Response, rdflib.Graph]:
    headers = {"accept": accept} if accept else {}
    r = httpx.get(server.sparql, headers=headers, timeout=30)
    assert r.status_code == 200, r.text
    g = rdflib.Graph()
    g.parse(data=r.content, format=RDF_PARSERS[media(r)], publicID=server.sparql)
    return r, g


@pytest.mark.parametrize(
    "accept", [None, "text/turtle", "application/rdf+xml", "application/ld+json"]
)
def test_returns_rdf(protocol_server: LiveServer, accept: str | None) -> None:
    """:returns-rdf "GET on endpoint returns RDF" (SPARQL 1.1 Service Description §2)."""
    r, g = _description(protocol_server, accept)
    assert media(r) in RDF_PARSERS
    if accept:
        assert media(r) == accept
    assert len(g) > 0


def test_has_endpoint_triple(protocol_server: LiveServer) -> None:
    """:has-endpoint-triple "Service description contains a matching sd:endpoint triple"
    (Service Description §3.2.1: the endpoint is the URL the request came in on)."""
    _, g = _description(protocol_server)
    assert (None, SD.endpoint, rdflib.URIRef(protocol_server.sparql)) in g


def test_conforms_to_schema(protocol_server: LiveServer) -> None:
    """:conforms-to-schema "Service description conforms to schema" (Service Description §3:
    each property used with the classes of its domain and range)."""
    _, g = _description(protocol_server)
    services = set(g.subjects(rdflib.RDF.type, SD.Service))
    assert services
    for s in services:
        assert set(g.objects(s, SD.supportedLanguage)) <= {
            SD.SPARQL10Query,
            SD.SPARQL11Query,
            SD.SPARQL11Update,
        }
        assert all(isinstance(f, rdflib.URIRef) for f in g.objects(s, SD.resultFormat))
        assert all(isinstance(e, rdflib.URIRef) for e in g.objects(s, SD.endpoint))
        for ds in g.objects(s, SD.defaultDataset):
            assert (ds, rdflib.RDF.type, SD.Dataset) in g
            for dg in g.objects(ds, SD.defaultGraph):
                assert (dg, rdflib.RDF.type, SD.Graph) in g
            named = list(g.objects(ds, SD.namedGraph))
            names = {g.value(n, SD.name) for n in named}
            assert names == {rdflib.URIRef(f"{KASEI}data{i}.rdf") for i in (1, 2, 3)}
            for n in named:
                assert (n, rdflib.RDF.type, SD.NamedGraph) in g
    assert (None, SD.feature, SD.UnionDefaultGraph) in g
