"""VoID description computed on the built store."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from ftgraph.graph.void import namespace_of, slug, statistics
from ftgraph.store.build import build
from ftgraph.store.reader import open_read_only, read_build_info
from ftgraph.vocab import DATASET, ID, META_GRAPH, SOURCE, SPARQL_ENDPOINT

VOID = "http://rdfs.org/ns/void#"
DCT = "http://purl.org/dc/terms/"
ACME = ID + "organisation/acme"
PREFIXES = f"PREFIX void: <{VOID}> PREFIX dcterms: <{DCT}> "


def select(db: ox.Store, query: str) -> list[dict[str, str]]:
    result = db.query(PREFIXES + query, default_graph=ox.NamedNode(META_GRAPH))
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: r[n].value for n in names if r[n] is not None} for r in result]


def value(db: ox.Store, prop: str) -> str:
    [row] = select(db, f"SELECT ?v WHERE {{ <{DATASET}> {prop} ?v }}")
    return row["v"]


def union_count(db: ox.Store, query: str) -> int:
    result = db.query(query, default_graph=[g for g in db.named_graphs() if g.value != META_GRAPH])
    assert isinstance(result, ox.QuerySolutions)
    n = next(iter(result))["n"]
    assert isinstance(n, ox.Literal)
    return int(n.value)


def test_dataset_statistics(mini_store: Path) -> None:
    db = open_read_only(mini_store)
    types = {r["v"] for r in select(db, f"SELECT ?v WHERE {{ <{DATASET}> a ?v }}")}
    assert types == {VOID + "Dataset", "http://www.w3.org/ns/dcat#Dataset"}  # DCAT: its dumps
    assert value(db, "void:sparqlEndpoint") == SPARQL_ENDPOINT
    assert value(db, "void:uriSpace") == ID
    assert value(db, "dcterms:license") == "https://creativecommons.org/licenses/by/4.0/"
    titles = select(
        db, f"SELECT (LANG(?t) AS ?l) WHERE {{ <{DATASET}> dcterms:title ?t }} ORDER BY ?l"
    )
    assert [r["l"] for r in titles] == ["en", "fr"]
    descriptions = select(
        db, f"SELECT (LANG(?t) AS ?l) WHERE {{ <{DATASET}> dcterms:description ?t }}"
    )
    assert sorted(r["l"] for r in descriptions) == ["en", "fr"]
    triples = union_count(db, "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { ?s ?p ?o } }")
    assert int(value(db, "void:triples")) == triples
    # acme, beta-labs, jane-doe, the health sector and the two articles.
    assert int(value(db, "void:entities")) == 6
    assert int(value(db, "void:classes")) == union_count(
        db, "SELECT (COUNT(DISTINCT ?c) AS ?n) { ?s a ?c }"
    )
    assert int(value(db, "void:properties")) == union_count(
        db, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?s ?p ?o }"
    )
    assert int(value(db, "void:distinctSubjects")) > 0
    assert int(value(db, "void:distinctObjects")) > 0


def test_partitions_subsets_vocabularies_examples(mini_store: Path) -> None:
    db = open_read_only(mini_store)
    [org] = select(
        db,
        f"SELECT ?part ?n WHERE {{ <{DATASET}> void:classPartition ?part . ?part void:class "
        "<https://w3id.org/ftgraph/ontology/Organisation> ; void:entities ?n }",
    )
    assert org == {"part": DATASET + "/partition/class/ftg-Organisation", "n": "2"}
    [name] = select(
        db,
        f"SELECT ?n WHERE {{ <{DATASET}> void:propertyPartition ?part . ?part void:property "
        "<https://w3id.org/ftgraph/ontology/name> ; void:triples ?n }",
    )
    # Acme's name is stated by two articles but is one triple of the union.
    assert name == {"n": "3"}
    subsets = select(
        db,
        f"SELECT ?src ?n WHERE {{ <{DATASET}> void:subset ?s . ?s dcterms:source ?src ; "
        "void:triples ?n } ORDER BY ?src",
    )
    assert [r["src"] for r in subsets] == [SOURCE + "funding-2025", SOURCE + "launch-2024"]
    assert all(int(r["n"]) > 0 for r in subsets)
    vocabularies = {
        r["v"] for r in select(db, f"SELECT ?v WHERE {{ <{DATASET}> void:vocabulary ?v }}")
    }
    assert {"http://xmlns.com/foaf/0.1/", "http://www.w3.org/ns/org#", DCT} <= vocabularies
    assert not any(v.startswith("https://w3id.org/ftgraph/") for v in vocabularies)
    examples = select(db, f"SELECT ?e WHERE {{ <{DATASET}> void:exampleResource ?e }}")
    assert len(examples) == 3
    assert {ACME, ID + "organisation/beta-labs"} <= {r["e"] for r in examples}, (
        "organisations first"
    )


def test_meta_graph_has_no_blank_nodes_and_is_stable(mini_root: Path, tmp_path: Path) -> None:
    a = build(mini_root, tmp_path / "a").info
    b = build(mini_root, tmp_path / "b").info
    assert a.version == b.version

    def void_quads(path: Path) -> set[str]:
        db = open_read_only(path)
        quads = set()
        for q in db.quads_for_pattern(None, None, None, ox.NamedNode(META_GRAPH)):
            assert not isinstance(q.subject, ox.BlankNode) and not isinstance(
                q.object, ox.BlankNode
            )
            if q.predicate.value != "http://purl.org/dc/terms/modified":
                quads.add(str(q))
        return quads

    assert void_quads(tmp_path / "a") == void_quads(tmp_path / "b")


def test_describe_is_pure_over_the_store(mini_store: Path) -> None:
    db = open_read_only(mini_store)
    quads = statistics(db)
    assert all(q.graph_name == ox.NamedNode(META_GRAPH) for q in quads)
    stored = set(db.quads_for_pattern(None, None, None, ox.NamedNode(META_GRAPH)))
    # Recomputing on the built store gives back what the build stored (meta graph excluded).
    assert set(quads) <= stored


def test_helpers() -> None:
    assert slug("https://w3id.org/ftgraph/ontology/Organisation") == "ftg-Organisation"
    assert slug("http://xmlns.com/foaf/0.1/Person") == "foaf-Person"
    assert slug("https://example.org/a b").startswith("h")
    assert namespace_of("http://schema.org/name") == "http://schema.org/"
    assert namespace_of("https://example.org/vocab#term") == "https://example.org/vocab#"


def test_repository_void(built_store: Path) -> None:
    db = open_read_only(built_store)
    info = read_build_info(built_store)
    assert info is not None
    [row] = select(
        db, f"SELECT ?v WHERE {{ <{DATASET}> <http://www.w3.org/2002/07/owl#versionInfo> ?v }}"
    )
    assert row["v"] == info.version
    assert int(value(db, "void:triples")) > 0
