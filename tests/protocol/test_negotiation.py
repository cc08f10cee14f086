"""Protocol parsing and content negotiation as plain functions (no server)."""

from __future__ import annotations

import pytest

from ftgraph.formats import GRAPH_FORMATS, RESULT_FORMATS, choose_format
from ftgraph.sparql.protocol import ProtocolError, negotiate, parse_query_request


def parse(
    method: str, qs: str, ct: str | None = None, body: bytes = b"", accept: str | None = None
):  # type: ignore[no-untyped-def]
    return parse_query_request(method, qs, ct, body, accept, max_query_bytes=100, max_timeout=30.0)


@pytest.mark.parametrize(
    ("accept", "results", "graph"),
    [
        (None, "json", "turtle"),
        ("*/*", "json", "turtle"),
        ("application/sparql-results+xml, text/turtle;q=0.5", "xml", "turtle"),
        ("text/csv;q=0.2, text/tab-separated-values;q=0.8", "tsv", None),
        ("application/rdf+xml, application/xml;q=0.9", "xml", "rdfxml"),
        ("application/ld+json;q=1, text/turtle;q=0.9", None, "jsonld"),
        ("application/json", "json", "jsonld"),
        ("text/*;q=0, */*", "json", "ntriples"),
        ("text/html", None, None),
    ],
)
def test_accept_with_q_values(accept: str | None, results: str | None, graph: str | None) -> None:
    """q-values, wildcards, exclusions (q=0) and aliases pick one format per kind."""
    r = choose_format(accept, RESULT_FORMATS)
    g = choose_format(accept, GRAPH_FORMATS)
    assert (r.name if r else None, g.name if g else None) == (results, graph)


@pytest.mark.parametrize(
    ("params", "results", "graph"),
    [
        ([("format", "json")], "json", "jsonld"),
        ([("output", "xml")], "xml", "rdfxml"),
        ([("results", "csv")], "csv", None),
        ([("format", "turtle")], None, "turtle"),
        ([("format", "n3")], None, "turtle"),
        ([("format", "text/tab-separated-values")], "tsv", None),
    ],
)
def test_format_parameters(
    params: list[tuple[str, str]], results: str | None, graph: str | None
) -> None:
    """SPARQLWrapper/rdflib format tokens map to a format for each query kind."""
    n = negotiate("text/html", params)
    assert (n.results.name if n.results else None, n.graph.name if n.graph else None) == (
        results,
        graph,
    )


def test_get_without_query_is_service_description() -> None:
    """GET with no query parameter asks for the service description."""
    assert parse("GET", "") is None


def test_form_post_merges_url_parameters() -> None:
    """Dataset parameters may sit in the URL of a form POST (W3C query_post_form)."""
    req = parse(
        "POST",
        "default-graph-uri=http%3A%2F%2Fa%2F",
        "application/x-www-form-urlencoded",
        b"query=ASK%7B%7D&named-graph-uri=http%3A%2F%2Fb%2F&timeout=2",
    )
    assert req is not None
    assert (req.query, req.default_graph_uris, req.named_graph_uris) == (
        "ASK{}",
        ("http://a/",),
        ("http://b/",),
    )
    assert req.timeout == 2.0


@pytest.mark.parametrize(
    ("method", "qs", "ct", "body", "status"),
    [
        ("GET", "query=ASK{}&query=ASK{}", None, b"", 400),
        ("GET", "update=CLEAR+ALL", None, b"", 400),
        ("POST", "", "application/x-www-form-urlencoded", b"update=CLEAR+ALL", 400),
        ("POST", "", "application/sparql-update", b"CLEAR ALL", 400),
        ("POST", "", None, b"ASK {}", 415),
        ("POST", "", "text/plain", b"ASK {}", 415),
        ("POST", "", "application/sparql-query; charset=UTF-16", "ASK {}".encode("utf-16"), 415),
        ("POST", "", "application/sparql-query", b"\xff\xfe", 400),
        ("GET", "query=" + "x" * 101, None, b"", 413),
        ("GET", "query=ASK{}&timeout=-1", None, b"", 400),
        ("GET", "query=ASK{}&default-graph-uri=not%20an%20iri", None, b"", 400),
        ("PUT", "query=ASK{}", None, b"", 405),
    ],
)
def test_refusals(method: str, qs: str, ct: str | None, body: bytes, status: int) -> None:
    """Each malformed request maps to its HTTP status."""
    with pytest.raises(ProtocolError) as e:
        parse(method, qs, ct, body)
    assert e.value.status == status


def test_timeout_is_capped() -> None:
    """A request may lower the deadline, never raise it (as Fuseki)."""
    req = parse("GET", "query=ASK{}&timeout=999")
    assert req is not None and req.timeout == 30.0
