"""The endpoint on the store built from the real repository data (the pipeline's fixture)."""

from __future__ import annotations

import httpx
import rdflib

from endpoint.live import LiveServer
from ftgraph.store.reader import BuildInfo
from ftgraph.vocab import DATASET, META_GRAPH

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


def test_health_reports_build_version(real_server: LiveServer, built_store_info: BuildInfo) -> None:
    """/health names the dataset version recorded by the build."""
    assert real_server.health()["version"] == built_store_info.version


def test_void_from_meta_graph(real_server: LiveServer) -> None:
    """/.well-known/void serves the build's VoID description."""
    r = httpx.get(real_server.base + "/.well-known/void", headers={"accept": "text/turtle"})
    assert r.status_code == 200
    g = rdflib.Graph().parse(data=r.content, format="turtle")
    assert (rdflib.URIRef(DATASET), rdflib.RDF.type, VOID.Dataset) in g


def test_service_description_lists_graphs(real_server: LiveServer) -> None:
    """The Service Description names every graph of the store, the meta graph included."""
    r = httpx.get(real_server.sparql, headers={"accept": "text/turtle"})
    g = rdflib.Graph().parse(data=r.content, format="turtle")
    names = set(g.objects(None, SD.name))
    assert rdflib.URIRef(META_GRAPH) in names
    assert len(names) == real_server.health()["graphs"]


def test_default_graph_is_a_set_not_a_bag(real_server: LiveServer) -> None:
    """SPARQL 1.1 Query §13.1: the default graph is an RDF graph (the union of the article graphs, merged).

    Voyage Privé's label is stated by three articles; over the default graph it is one triple.
    """
    label = "<https://w3id.org/ftgraph/id/organisation/voyage-prive> <http://www.w3.org/2000/01/rdf-schema#label> ?l"
    accept = {"accept": "application/sparql-results+json"}
    in_default = httpx.get(
        real_server.sparql, params={"query": f"SELECT ?l WHERE {{ {label} }}"}, headers=accept
    )
    in_graphs = httpx.get(
        real_server.sparql,
        params={"query": f"SELECT ?g ?l WHERE {{ GRAPH ?g {{ {label} }} }}"},
        headers=accept,
    )
    assert len(in_default.json()["results"]["bindings"]) == 1
    assert len(in_graphs.json()["results"]["bindings"]) == 3
