"""VoID description of the built dataset, computed by SPARQL on the freshly loaded store.

Partitions and subsets get IRIs derived from what they describe (not blank nodes), so a link to
``…/dataset/partition/class/ftg-Organisation`` stays valid from one build to the next.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyoxigraph as ox

from ftgraph.graph.select import select
from ftgraph.vocab import (
    BASE,
    DATASET,
    ID,
    META_GRAPH,
    ONTOLOGY_GRAPH,
    OPENSEARCH,
    PREFIXES,
    RDF_TYPE,
    SOURCE,
    SPARQL_ENDPOINT,
)

VOID = PREFIXES["void"]
DCTERMS = PREFIXES["dcterms"]
XSD_INTEGER = ox.NamedNode(PREFIXES["xsd"] + "integer")
LICENSE = ox.NamedNode("https://creativecommons.org/licenses/by/4.0/")
PARTITION = DATASET + "/partition/"
SUBSET = DATASET + "/subset/"
EXAMPLES = 3

TITLE = {
    "en": "Aix-Marseille French Tech knowledge graph",
    "fr": "Graphe de connaissances de la French Tech Aix-Marseille",
}
DESCRIPTION = {
    "en": "Organisations, people, programmes, labels and events of the Aix-Marseille French Tech "
    "ecosystem, each fact attributed to the article that states it (one named graph per article).",
    "fr": "Organisations, personnes, programmes, labels et événements de l'écosystème "
    "French Tech Aix-Marseille ; chaque fait est rattaché à l'article qui l'énonce "
    "(un graphe nommé par article).",
}


def _v(local: str) -> ox.NamedNode:
    return ox.NamedNode(VOID + local)


def _int(n: int) -> ox.Literal:
    return ox.Literal(str(n), datatype=XSD_INTEGER)


def slug(iri: str) -> str:
    """Readable, stable path segment for an IRI: ``ftg-Organisation``, else a short hash."""
    for prefix, ns in sorted(PREFIXES.items(), key=lambda pn: -len(pn[1])):
        local = iri[len(ns) :]
        if iri.startswith(ns) and re.fullmatch(r"[A-Za-z0-9_\-]+", local):
            return f"{prefix}-{local}"
    return "h" + hashlib.sha256(iri.encode()).hexdigest()[:16]


def namespace_of(iri: str) -> str:
    """Vocabulary namespace of a term: a known prefix, else up to the last ``#`` or ``/``."""
    for ns in sorted(PREFIXES.values(), key=len, reverse=True):
        if iri.startswith(ns):
            return ns
    cut = max(iri.rfind("#"), iri.rfind("/"))
    return iri[: cut + 1] if cut > len("https://") else iri


class _Stats:
    """Runs the counting queries over every graph except the meta graph."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def rows(self, query: str) -> Iterator[ox.QuerySolution]:
        # The default graph is the materialised union (a set, unlike a list of graphs).
        return select(self.store, query)


def statistics(store: ox.Store) -> list[ox.Quad]:
    """VoID quads (in the meta graph) describing the union of the ontology and source graphs."""
    st = _Stats(store)
    g = ox.NamedNode(META_GRAPH)
    ds = ox.NamedNode(DATASET)
    out: list[ox.Quad] = []

    def add(s: ox.NamedNode, p: ox.NamedNode, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Quad(s, p, o, g))

    add(ds, RDF_TYPE, _v("Dataset"))
    for lang, text in TITLE.items():
        add(ds, ox.NamedNode(DCTERMS + "title"), ox.Literal(text, language=lang))
    for lang, text in DESCRIPTION.items():
        add(ds, ox.NamedNode(DCTERMS + "description"), ox.Literal(text, language=lang))
    add(ds, ox.NamedNode(DCTERMS + "license"), LICENSE)
    add(ds, _v("sparqlEndpoint"), ox.NamedNode(SPARQL_ENDPOINT))
    add(ds, _v("openSearchDescription"), ox.NamedNode(OPENSEARCH))
    add(ds, _v("uriSpace"), ox.Literal(ID))
    add(ds, _v("uriRegexPattern"), ox.Literal("^" + re.escape(ID)))

    # The default graph is the materialised union, a set: plain counts need no DISTINCT over triples.
    # Whole-graph totals come from the partitions (one scan each), not from scans of their own; the
    # scans run on two threads (pyoxigraph evaluates without holding the GIL).
    scans = {
        "classes": "SELECT ?c (COUNT(*) AS ?n) "
        f'(SUM(IF(isIRI(?s) && STRSTARTS(STR(?s), "{ID}"), 1, 0)) AS ?entities) '
        "WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c ORDER BY ?c",
        "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
        "subjects": "SELECT DISTINCT ?s WHERE { ?s ?p ?o }",
        "objects": "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?o WHERE { ?s ?p ?o } }",
        "properties": "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p",
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(scans, pool.map(lambda q: list(st.rows(q)), scans.values()), strict=True))
    classes, properties = done["classes"], done["properties"]
    add(ds, _v("triples"), _int(sum(int(_lit(row["n"])) for row in properties)))
    subjects = entities = 0
    for row in done["subjects"]:
        subjects += 1
        subject = row["s"]
        entities += isinstance(subject, ox.NamedNode) and subject.value.startswith(ID)
    add(ds, _v("entities"), _int(entities))
    add(ds, _v("distinctSubjects"), _int(subjects))
    add(ds, _v("distinctObjects"), _int(int(_lit(done["objects"][0]["n"]))))
    add(ds, _v("properties"), _int(len(properties)))
    add(ds, _v("classes"), _int(len(classes)))  # IRI classes: one partition each

    for row in classes:
        c = row["c"]
        assert isinstance(c, ox.NamedNode)
        part = ox.NamedNode(PARTITION + "class/" + slug(c.value))
        add(ds, _v("classPartition"), part)
        add(part, _v("class"), c)
        add(part, _v("entities"), _int(int(_lit(row["entities"]))))
        add(part, _v("distinctSubjects"), _int(int(_lit(row["n"]))))

    vocabularies: set[str] = set()
    for row in properties:
        p = row["p"]
        assert isinstance(p, ox.NamedNode)
        part = ox.NamedNode(PARTITION + "property/" + slug(p.value))
        add(ds, _v("propertyPartition"), part)
        add(part, _v("property"), p)
        add(part, _v("triples"), _int(int(_lit(row["n"]))))
    for term in [row["p"] for row in properties] + [row["c"] for row in classes]:
        if isinstance(term, ox.NamedNode) and not term.value.startswith(BASE):
            vocabularies.add(namespace_of(term.value))

    for row in done["graphs"]:
        graph = row["g"]
        if not isinstance(graph, ox.NamedNode) or graph.value == META_GRAPH:
            continue
        if graph.value.startswith(SOURCE):
            subset = ox.NamedNode(SUBSET + "source/" + graph.value[len(SOURCE) :])
            add(subset, ox.NamedNode(DCTERMS + "source"), graph)
        elif graph.value == ONTOLOGY_GRAPH:
            subset = ox.NamedNode(SUBSET + "ontology")
            add(
                subset,
                ox.NamedNode(DCTERMS + "title"),
                ox.Literal("ftgraph ontology", language="en"),
            )
        else:
            subset = ox.NamedNode(SUBSET + slug(graph.value))
        add(ds, _v("subset"), subset)
        add(subset, RDF_TYPE, _v("Dataset"))
        add(subset, _v("triples"), _int(int(_lit(row["n"]))))

    for ns in sorted(vocabularies):
        add(ds, _v("vocabulary"), ox.NamedNode(ns))

    for iri in examples(st):
        add(ds, _v("exampleResource"), iri)
    return out


@dataclass(frozen=True)
class Sizes:
    """Triple counts a VoID description gives, so nothing counts the store a second time."""

    union: int
    """Triples of the union default graph."""
    named: int
    """Quads of every named graph described (all but the meta graph)."""
    articles: int
    """Quads of the source articles' graphs."""


def sizes(statistics: list[ox.Quad]) -> Sizes:
    """The counts :func:`statistics` computed, read back from its quads."""
    triples = ox.NamedNode(VOID + "triples")
    sourced = {q.subject for q in statistics if q.predicate.value == DCTERMS + "source"}
    union = named = articles = 0
    for q in statistics:
        if q.predicate != triples or not isinstance(q.object, ox.Literal):
            continue
        if not isinstance(q.subject, ox.NamedNode):
            continue
        if q.subject.value == DATASET:
            union = int(q.object.value)
        elif q.subject.value.startswith(SUBSET):
            named += int(q.object.value)
            articles += int(q.object.value) if q.subject in sourced else 0
    return Sizes(union, named, articles)


def _lit(term: object) -> str:
    return term.value if isinstance(term, ox.Literal) else "0"


def examples(st: _Stats) -> list[ox.NamedNode]:
    """A few entities to show: organisations first, then any typed entity."""
    found: list[ox.NamedNode] = []
    for prefix in (ID + "organisation/", ID):
        for row in st.rows(
            "SELECT ?s WHERE { { SELECT DISTINCT ?s WHERE { ?s a ?c } } "
            f'FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{prefix}")) }} ORDER BY ?s LIMIT {EXAMPLES}'
        ):
            s = row["s"]
            if isinstance(s, ox.NamedNode) and s not in found:
                found.append(s)
        if len(found) >= EXAMPLES:
            break
    return found[:EXAMPLES]
