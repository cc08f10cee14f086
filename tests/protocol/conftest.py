"""One live endpoint over the W3C protocol test data (data1..3.nt, each in its own named graph)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from endpoint.live import LiveServer, make_store, start_server

DATA = Path(__file__).resolve().parent / "data"
KASEI = "http://kasei.us/2009/09/sparql/data/"


def protocol_quads() -> Iterator[ox.Quad]:
    """data<N>.nt in graph <http://kasei.us/2009/09/sparql/data/data<N>.rdf> (manifest labels)."""
    for n in (1, 2, 3):
        graph = ox.NamedNode(f"{KASEI}data{n}.rdf")
        for t in ox.parse(path=str(DATA / f"data{n}.nt"), format=ox.RdfFormat.N_TRIPLES):
            yield ox.Quad(t.subject, t.predicate, t.object, graph)


@pytest.fixture(scope="package")
def protocol_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Endpoint on the protocol data, shared by the whole package."""
    tmp = tmp_path_factory.mktemp("protocol")
    store = make_store(tmp / "store", protocol_quads())
    server = start_server(store, tmp)
    yield server
    server.stop()
