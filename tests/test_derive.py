"""Alignment materialisation and mentions, on hand-made quads."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ftgraph.graph.derive import (
    EQUIVALENT_CLASS,
    EQUIVALENT_PROPERTY,
    INVERSE_OF,
    IS_REFERENCED_BY,
    RDF_TYPE,
    SUBCLASS_OF,
    SUBPROPERTY_OF,
    alignment,
    compile_rules,
    derive,
    derive_stream,
    materialise,
    mentions,
)
from ftgraph.graph.sources import load_inputs
from ftgraph.vocab import FTG, ID, ONTOLOGY_GRAPH, SOURCE

ONTO = ox.NamedNode(ONTOLOGY_GRAPH)
G1 = ox.NamedNode(SOURCE + "a1")
G2 = ox.NamedNode(SOURCE + "a2")
ACME = ox.NamedNode(ID + "organisation/acme")
JANE = ox.NamedNode(ID + "person/jane")


def t(local: str) -> ox.NamedNode:
    return ox.NamedNode(FTG + local)


def ext(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def axioms(
    *triples: tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode | ox.BlankNode],
) -> list[ox.Quad]:
    return [ox.Quad(s, p, o, ONTO) for s, p, o in triples]


def test_superclasses_are_transitive_and_stay_in_the_premise_graph() -> None:
    onto = axioms(
        (t("Startup"), SUBCLASS_OF, t("Company")),
        (t("Company"), SUBCLASS_OF, t("Organisation")),
    )
    out = set(materialise([ox.Quad(ACME, RDF_TYPE, t("Startup"), G1)], alignment(onto)))
    assert out == {
        ox.Quad(ACME, RDF_TYPE, t("Company"), G1),
        ox.Quad(ACME, RDF_TYPE, t("Organisation"), G1),
    }


def test_equivalent_class_works_both_ways_and_chains() -> None:
    foaf_org = ext("http://xmlns.com/foaf/0.1/Organization")
    org_org = ext("http://www.w3.org/ns/org#Organization")
    onto = axioms(
        (t("Organisation"), EQUIVALENT_CLASS, org_org),
        (org_org, SUBCLASS_OF, foaf_org),
    )
    align = alignment(onto)
    out = set(materialise([ox.Quad(ACME, RDF_TYPE, org_org, G1)], align))
    assert out == {
        ox.Quad(ACME, RDF_TYPE, t("Organisation"), G1),
        ox.Quad(ACME, RDF_TYPE, foaf_org, G1),
    }
    out = set(materialise([ox.Quad(ACME, RDF_TYPE, t("Organisation"), G2)], align))
    assert ox.Quad(ACME, RDF_TYPE, org_org, G2) in out
    assert ox.Quad(ACME, RDF_TYPE, foaf_org, G2) in out


def test_class_expressions_and_self_loops_are_ignored() -> None:
    onto = axioms(
        (t("Startup"), SUBCLASS_OF, ox.BlankNode("restriction")),
        (t("Startup"), SUBCLASS_OF, t("Startup")),
    )
    assert materialise([ox.Quad(ACME, RDF_TYPE, t("Startup"), G1)], alignment(onto)) == []


def test_superproperties_transitive_and_equivalent_both_ways() -> None:
    label = ext("http://www.w3.org/2000/01/rdf-schema#label")
    schema_name = ext("http://schema.org/name")
    onto = axioms(
        (t("legalName"), SUBPROPERTY_OF, t("name")),
        (t("name"), SUBPROPERTY_OF, label),
        (t("name"), EQUIVALENT_PROPERTY, schema_name),
    )
    name = ox.Literal("Acme SAS")
    out = set(materialise([ox.Quad(ACME, t("legalName"), name, G1)], alignment(onto)))
    assert out == {
        ox.Quad(ACME, t("name"), name, G1),
        ox.Quad(ACME, label, name, G1),
        ox.Quad(ACME, schema_name, name, G1),
    }
    out = set(materialise([ox.Quad(ACME, schema_name, name, G1)], alignment(onto)))
    assert out == {ox.Quad(ACME, t("name"), name, G1), ox.Quad(ACME, label, name, G1)}


def test_inverse_both_directions_and_through_superproperties() -> None:
    onto = axioms(
        (t("founder"), SUBPROPERTY_OF, t("member")),
        (t("member"), INVERSE_OF, t("memberOf")),
        (t("memberOf"), SUBPROPERTY_OF, t("affiliatedWith")),
    )
    align = alignment(onto)
    out = set(materialise([ox.Quad(ACME, t("founder"), JANE, G1)], align))
    assert out == {
        ox.Quad(ACME, t("member"), JANE, G1),
        ox.Quad(JANE, t("memberOf"), ACME, G1),
        ox.Quad(JANE, t("affiliatedWith"), ACME, G1),
    }
    out = set(materialise([ox.Quad(JANE, t("memberOf"), ACME, G2)], align))
    assert ox.Quad(ACME, t("member"), JANE, G2) in out
    # A literal cannot become a subject.
    assert materialise([ox.Quad(ACME, t("member"), ox.Literal("x"), G1)], align) == []


def test_stated_quads_are_not_repeated() -> None:
    onto = axioms((t("Startup"), SUBCLASS_OF, t("Company")))
    data = [ox.Quad(ACME, RDF_TYPE, t("Startup"), G1), ox.Quad(ACME, RDF_TYPE, t("Company"), G1)]
    assert materialise(data, alignment(onto)) == []
    # ...but a statement in another graph is another premise.
    data = [ox.Quad(ACME, RDF_TYPE, t("Startup"), G1), ox.Quad(ACME, RDF_TYPE, t("Company"), G2)]
    assert materialise(data, alignment(onto)) == [ox.Quad(ACME, RDF_TYPE, t("Company"), G1)]


def test_mentions_cover_entity_subjects_and_objects_of_source_graphs() -> None:
    sector = ox.NamedNode(ID + "concept/sector/health")
    data = [
        ox.Quad(ACME, t("founder"), JANE, G1),
        ox.Quad(ACME, t("sector"), sector, G1),
        ox.Quad(ACME, t("name"), ox.Literal("Acme"), G2),
        ox.Quad(G1, ext("http://purl.org/dc/terms/title"), ox.Literal("t"), G1),
        ox.Quad(ACME, t("seeAlso"), ext("https://example.org/acme"), G2),
        ox.Quad(ox.NamedNode(ID + "organisation/onto-only"), RDF_TYPE, t("Organisation"), ONTO),
    ]
    assert set(mentions(data)) == {
        ox.Quad(ACME, IS_REFERENCED_BY, G1, G1),
        ox.Quad(JANE, IS_REFERENCED_BY, G1, G1),
        ox.Quad(sector, IS_REFERENCED_BY, G1, G1),
        ox.Quad(ACME, IS_REFERENCED_BY, G2, G2),
    }


def test_derive_combines_both_steps_without_duplicates() -> None:
    onto = axioms((t("founder"), INVERSE_OF, t("founded")))
    data = [
        ox.Quad(ACME, t("founder"), JANE, G1),
        ox.Quad(ACME, IS_REFERENCED_BY, G1, G1),
    ]
    out = derive(onto, data)
    assert len(out) == len(set(out))
    assert set(out) == {
        ox.Quad(JANE, t("founded"), ACME, G1),
        ox.Quad(JANE, IS_REFERENCED_BY, G1, G1),
    }


def _stream_equals_derive(onto: list[ox.Quad], data: list[ox.Quad]) -> None:
    """``derive_stream`` may repeat quads or restate stated ones, but adds exactly ``derive``'s."""
    streamed = set(derive_stream(onto, data)) - set(onto) - set(data)
    assert streamed == set(derive(onto, data))


ALIGNED_ONTOLOGY = axioms(
    (t("Startup"), SUBCLASS_OF, t("Company")),
    (t("Company"), EQUIVALENT_CLASS, ext("http://www.w3.org/ns/org#Organization")),
    (t("memberOf"), SUBPROPERTY_OF, ext("http://www.w3.org/ns/org#memberOf")),
    (t("memberOf"), INVERSE_OF, t("member")),
    (t("member"), EQUIVALENT_PROPERTY, ext("http://schema.org/member")),
    (t("name"), SUBPROPERTY_OF, ext("http://www.w3.org/2000/01/rdf-schema#label")),
)
ALIGNED_DATA = [
    ox.Quad(ACME, RDF_TYPE, t("Startup"), G1),
    ox.Quad(ACME, t("name"), ox.Literal("Acme"), G1),
    ox.Quad(JANE, t("memberOf"), ACME, G1),
    ox.Quad(JANE, t("memberOf"), ox.Literal("a club"), G2),
    ox.Quad(ACME, t("member"), ox.BlankNode("b1"), G2),
    ox.Quad(JANE, RDF_TYPE, ox.BlankNode("cls"), G2),
    ox.Quad(ACME, t("name"), ox.Literal("Acme"), G2),
    ox.Quad(ACME, RDF_TYPE, t("Startup"), G1),
]


def test_streamed_derivation_matches_derive() -> None:
    assert compile_rules(alignment(ALIGNED_ONTOLOGY)) is not None
    _stream_equals_derive(ALIGNED_ONTOLOGY, ALIGNED_DATA)


def test_streamed_derivation_falls_back_when_rdf_type_has_superproperties() -> None:
    onto = [
        *ALIGNED_ONTOLOGY,
        *axioms((RDF_TYPE, SUBPROPERTY_OF, t("category")), (t("category"), INVERSE_OF, t("has"))),
    ]
    assert compile_rules(alignment(onto)) is None
    _stream_equals_derive(onto, ALIGNED_DATA)


def test_streamed_derivation_matches_derive_on_the_repository(project_root: Path) -> None:
    inputs = load_inputs(project_root)
    onto = [q for f in inputs.ontology for q in f.quads]
    data = [q for f in inputs.data for q in f.quads]
    assert compile_rules(alignment(onto)) is not None
    _stream_equals_derive(onto, data)
