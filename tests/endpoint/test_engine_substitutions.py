"""Substitutions travel to the query workers as plain data and arrive there as RDF terms."""

from __future__ import annotations

import asyncio
import json
import marshal
from pathlib import Path

import pyoxigraph as ox
import pytest

from endpoint.live import make_store
from ftgraph.formats import ALL_FORMATS, RESULT_FORMATS
from ftgraph.sparql.embedded import Engine
from ftgraph.sparql.jobs import Job, decode_substitutions, encode_substitutions

XSD = "http://www.w3.org/2001/XMLSchema#"
HOSTILE = '" } ; DROP ALL ; SELECT * { ?s ?p ?o } #'
TERMS: dict[ox.Variable, ox.NamedNode | ox.Literal] = {
    ox.Variable("iri"): ox.NamedNode("https://w3id.org/ftgraph/id/organisation/voyage-prive"),
    ox.Variable("plain"): ox.Literal(HOSTILE),
    ox.Variable("typed"): ox.Literal("42", datatype=ox.NamedNode(XSD + "integer")),
    ox.Variable("lang"): ox.Literal("Voyage Privé", language="fr"),
}


def test_round_trip_through_the_job_frame() -> None:
    """iri, plain, typed and language literals survive encode → marshal frame → decode."""
    encoded = encode_substitutions(TERMS)
    assert encoded == (
        ("iri", "iri", "https://w3id.org/ftgraph/id/organisation/voyage-prive", None, None),
        ("lang", "literal", "Voyage Privé", None, "fr"),
        ("plain", "literal", HOSTILE, None, None),
        ("typed", "literal", "42", XSD + "integer", None),
    )
    frame = Job("SELECT * {}", None, None, True, 0, -1, substitutions=encoded).encode()
    assert int.from_bytes(frame[:4], "big") == len(frame) - 4
    wire = marshal.loads(frame[4:])
    assert wire[7] == encoded
    decoded = decode_substitutions(wire[7])
    assert decoded == TERMS
    for var, term in decoded.items():
        assert type(term) is type(TERMS[var])


def test_explicit_xsd_string_is_a_plain_literal() -> None:
    typed_string = ox.Literal("x", datatype=ox.NamedNode(XSD + "string"))
    ((_, _, _, datatype, language),) = encode_substitutions({ox.Variable("v"): typed_string})
    assert datatype is None and language is None
    assert decode_substitutions([("v", "literal", "x", None, None)]) == {
        ox.Variable("v"): typed_string
    }


def test_order_of_bindings_does_not_change_the_encoding() -> None:
    reversed_terms = dict(reversed(list(TERMS.items())))
    assert encode_substitutions(reversed_terms) == encode_substitutions(TERMS)


def test_no_substitutions_costs_an_empty_tuple() -> None:
    plain = Job("ASK {}", None, None, True, 0, -1)
    assert plain.substitutions == ()
    assert marshal.loads(plain.encode()[4:])[7] == ()


def test_terms_that_cannot_travel_are_refused() -> None:
    with pytest.raises(TypeError):
        encode_substitutions({ox.Variable("b"): ox.BlankNode("x")})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="unknown substitution kind"):
        decode_substitutions([("v", "bnode", "x", None, None)])  # type: ignore[list-item]


def test_worker_binds_the_terms(tmp_path: Path) -> None:
    """A real worker evaluates the job with the terms bound: each comes back as given."""
    store = make_store(
        tmp_path / "store",
        [
            ox.Quad(
                TERMS[ox.Variable("iri")],
                ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                TERMS[ox.Variable("lang")],
                ox.NamedNode("http://example.org/g"),
            )
        ],
    )
    query = (
        "SELECT ?iri ?plain ?typed ?lang ?label WHERE {"
        " OPTIONAL { ?iri <http://www.w3.org/2000/01/rdf-schema#label> ?label } }"
    )
    json_idx = ALL_FORMATS.index(RESULT_FORMATS[0])

    async def run() -> bytes:
        engine = Engine(store, 1)
        await engine.start()
        try:
            job = Job(query, None, None, True, json_idx, -1, None, encode_substitutions(TERMS))
            _, body = await engine.fetch(job, 30)
            return body
        finally:
            await engine.close()

    (row,) = json.loads(asyncio.run(run()))["results"]["bindings"]
    assert row == {
        "iri": {"type": "uri", "value": "https://w3id.org/ftgraph/id/organisation/voyage-prive"},
        "plain": {"type": "literal", "value": HOSTILE},
        "typed": {"type": "literal", "value": "42", "datatype": XSD + "integer"},
        "lang": {"type": "literal", "value": "Voyage Privé", "xml:lang": "fr"},
        "label": {"type": "literal", "value": "Voyage Privé", "xml:lang": "fr"},
    }
