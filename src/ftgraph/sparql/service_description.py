"""SPARQL 1.1 Service Description of the endpoint (answer to a GET without a query).

Built per request because ``sd:endpoint`` must be the URL the request came in on; the graph list is
read once from the store at startup.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyoxigraph as ox

from ftgraph.formats import ALL_FORMATS, Format
from ftgraph.vocab import DATASET, PREFIXES, RDF_TYPE

SD = PREFIXES["sd"]
VOID = PREFIXES["void"]
SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")

GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g"
"""Named graphs of the store, listed as sd:namedGraph."""


def _sd(term: str) -> ox.NamedNode:
    return ox.NamedNode(SD + term)


def service_description(
    endpoint: str,
    void_url: str,
    graphs: list[str],
    *,
    federated: bool,
    dumps: Sequence[str] = (),
) -> list[ox.Triple]:
    """Triples describing the endpoint at ``endpoint``, its formats and its default dataset
    (with ``void:dataDump`` for each of ``dumps``, the URLs of its downloadable files).

    >>> ts = service_description("http://h/sparql", "http://h/void", [], federated=False)
    >>> [t.object.value for t in ts if t.predicate.value.endswith("#endpoint")]
    ['http://h/sparql']
    """
    service = ox.NamedNode(endpoint)
    dataset = ox.NamedNode(DATASET)
    default_graph = ox.BlankNode()
    t: list[ox.Triple] = [
        ox.Triple(service, RDF_TYPE, _sd("Service")),
        ox.Triple(service, _sd("endpoint"), service),
        ox.Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query")),
        ox.Triple(service, _sd("feature"), _sd("UnionDefaultGraph")),
        ox.Triple(service, _sd("defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, _sd("Dataset")),
        ox.Triple(dataset, RDF_TYPE, ox.NamedNode(VOID + "Dataset")),
        ox.Triple(dataset, SEE_ALSO, ox.NamedNode(void_url)),
        ox.Triple(dataset, _sd("defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, _sd("Graph")),
    ]
    for url in dumps:
        t.append(ox.Triple(dataset, ox.NamedNode(VOID + "dataDump"), ox.NamedNode(url)))
    if federated:
        t.append(ox.Triple(service, _sd("feature"), _sd("BasicFederatedQuery")))
    for fmt in ALL_FORMATS:
        t.append(ox.Triple(service, _sd("resultFormat"), ox.NamedNode(fmt.sd_iri)))
    for g in graphs:
        named = ox.BlankNode()
        t.append(ox.Triple(dataset, _sd("namedGraph"), named))
        t.append(ox.Triple(named, RDF_TYPE, _sd("NamedGraph")))
        t.append(ox.Triple(named, _sd("name"), ox.NamedNode(g)))
    return t


_PREFIXES = {k: PREFIXES[k] for k in ("sd", "void", "rdf", "rdfs")}


def serialize(triples: list[ox.Triple], fmt: Format) -> bytes:
    """Serialize a small graph in a negotiated graph format, with the project prefixes."""
    out = ox.serialize(triples, format=fmt.rdf, prefixes=_PREFIXES)
    assert out is not None
    return out
