"""A live endpoint over a small generated store (four named graphs plus a meta graph with VoID)."""

from __future__ import annotations

from collections.abc import Iterator

import pyoxigraph as ox
import pytest

from endpoint.live import LiveServer, make_store, start_server
from ftgraph.vocab import DATASET, META_GRAPH, PREFIXES

EX = "http://example.org/"
GRAPHS = 4
PER_GRAPH = 500
VERSION = "endpoint-test-version"


def example_quads() -> Iterator[ox.Quad]:
    """``<s/i> <p> i`` spread over graphs ``g/0..3``, and a VoID description in the meta graph."""
    p = ox.NamedNode(EX + "p")
    for g in range(GRAPHS):
        graph = ox.NamedNode(f"{EX}g/{g}")
        for i in range(g * PER_GRAPH, (g + 1) * PER_GRAPH):
            yield ox.Quad(ox.NamedNode(f"{EX}s/{i}"), p, ox.Literal(str(i)), graph)
    meta = ox.NamedNode(META_GRAPH)
    ds = ox.NamedNode(DATASET)
    void = PREFIXES["void"]
    yield ox.Quad(ds, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(void + "Dataset"), meta)
    yield ox.Quad(ds, ox.NamedNode(PREFIXES["owl"] + "versionInfo"), ox.Literal(VERSION), meta)
    yield ox.Quad(
        ds,
        ox.NamedNode(void + "triples"),
        ox.Literal(str(GRAPHS * PER_GRAPH), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer")),
        meta,
    )


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Endpoint with default settings, shared by the package's modules."""
    tmp = tmp_path_factory.mktemp("endpoint")
    store = make_store(tmp / "store", example_quads(), version=VERSION)
    live = start_server(store, tmp)
    yield live
    live.stop()
