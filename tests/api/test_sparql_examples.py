"""``/.well-known/sparql-examples``: every named query as a SHACL SPARQL executable (SIB style)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import rdflib
from endpoint.live import LiveServer
from rdflib.namespace import RDF, RDFS, SH

from ftgraph.sparql.named_queries import load_named_queries
from ftgraph.web.api import EXAMPLES_NS, query_body

ROOT = Path(__file__).resolve().parents[2]
QUERIES = load_named_queries(ROOT)
SCHEMA = rdflib.Namespace("https://schema.org/")


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    ("accept", "fmt"), [("text/turtle", "turtle"), ("application/ld+json", "json-ld")]
)
def test_examples_parse_and_list_every_query(
    api: httpx.Client, api_server: LiveServer, accept: str, fmt: str
) -> None:
    r = api.get("/.well-known/sparql-examples", headers={"accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == accept
    g = rdflib.Graph().parse(data=r.content, format=fmt)
    executables = set(g.subjects(RDF.type, SH.SPARQLExecutable))
    assert executables == {rdflib.URIRef(EXAMPLES_NS + name) for name in QUERIES}
    for name, query in QUERIES.items():
        ex = rdflib.URIRef(EXAMPLES_NS + name)
        assert (ex, RDF.type, SH.SPARQLSelectExecutable) in g
        assert str(g.value(ex, SH.select)) == query_body(query)
        assert str(g.value(ex, RDFS.label)) == query.title
        comment = g.value(ex, RDFS.comment)
        assert isinstance(comment, rdflib.Literal) and comment.language == "en"
        assert g.value(ex, SCHEMA.target) == rdflib.URIRef(api_server.sparql)
        prefixes = g.value(ex, SH.prefixes)
        assert prefixes is not None and (prefixes, SH.declare, None) in g


def test_every_example_runs_on_the_endpoint(api: httpx.Client) -> None:
    """What the examples publish is runnable as is on /sparql (parameters left unbound)."""
    for name, query in QUERIES.items():
        r = api.post(
            "/sparql",
            content=query_body(query),
            headers={"content-type": "application/sparql-query", "accept": "text/csv"},
        )
        assert r.status_code == 200, (name, r.text)
