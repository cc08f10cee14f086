"""Cool URIs with 303: a thing's IRI on the server redirects to its document, which negotiates.

Runs on the real build, so the expectations come from the store itself: the document must hold
every quad about the entity in both directions, each in the graph (article) that states it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from endpoint.live import LiveServer
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS

from ftgraph.store.reader import open_read_only
from ftgraph.vocab import BASE, ID, META_GRAPH, ONTOLOGY_GRAPH, SOURCE

VP = ID + "organisation/voyage-prive"
VP_PATH = "/id/organisation/voyage-prive"
FTG = rdflib.Namespace(BASE + "ontology/")
ARTICLES_NAMING_VP = {
    SOURCE + "pays-aix-avenir-economique",
    SOURCE + "pays-aix-en-route-french-tech",
    SOURCE + "tous-unis-numerique",
}
TRIPLE_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
"""Triple syntaxes, by media type, with rdflib's name for each."""
DATASET_FORMATS = ("application/ld+json", "application/trig", "application/n-quads")


@pytest.fixture(scope="module")
def store(built_store: Path) -> ox.Store:
    return open_read_only(built_store)


def expected_quads(store: ox.Store, iri: str) -> set[ox.Quad]:
    """What the store holds about ``iri`` in both directions, in named graphs but the meta graph."""
    node = ox.NamedNode(iri)
    quads = [*store.quads_for_pattern(node, None, None, None)]
    quads += store.quads_for_pattern(None, None, node, None)
    return {
        q
        for q in quads
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value != META_GRAPH
    }


def fetch(client: httpx.Client, path: str, accept: str) -> httpx.Response:
    """GET following redirects, as ``curl -L -H 'Accept: …'`` does."""
    return client.get(path, headers={"accept": accept}, follow_redirects=True)


# --- 303 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("accept", ["text/html", "text/turtle", "*/*"])
def test_entity_iri_answers_303_to_its_document(http: httpx.Client, accept: str) -> None:
    r = http.get(VP_PATH, headers={"accept": accept})
    assert r.status_code == 303
    assert r.headers["location"] == "/doc" + VP_PATH
    assert "accept" in r.headers["vary"].lower()


def test_redirect_keeps_the_query_string(http: httpx.Client) -> None:
    r = http.get(VP_PATH + "?format=ttl")
    assert r.status_code == 303
    assert r.headers["location"] == "/doc" + VP_PATH + "?format=ttl"


def test_ontology_term_iri_answers_303(http: httpx.Client) -> None:
    r = http.get("/ontology/Organisation")
    assert (r.status_code, r.headers["location"]) == (303, "/doc/ontology/Organisation")
    r = http.get("/ontology")
    assert (r.status_code, r.headers["location"]) == (303, "/doc/ontology")


@pytest.mark.parametrize(
    ("path", "target"),
    [("/dataset", "/.well-known/void"), ("/graph/ontology", "/doc/ontology")],
)
def test_other_persistent_iris_redirect(http: httpx.Client, path: str, target: str) -> None:
    r = http.get(path)
    assert (r.status_code, r.headers["location"]) == (303, target)


def test_head_requests(http: httpx.Client) -> None:
    assert http.head(VP_PATH).status_code == 303
    r = http.head("/doc" + VP_PATH, headers={"accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")


# --- RDF ----------------------------------------------------------------------------------------


def test_turtle_description_has_every_statement_and_its_sources(
    http: httpx.Client, store: ox.Store, real_server: LiveServer
) -> None:
    """``curl -L -H 'Accept: text/turtle' <entity IRI>``: the triples, both directions, sourced."""
    r = fetch(http, VP_PATH, "text/turtle")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    vp = rdflib.URIRef(VP)
    expected = expected_quads(store, VP)
    for q in expected:
        triple = tuple(rdflib.util.from_n3(str(t)) for t in (q.subject, q.predicate, q.object))
        assert triple in g, f"missing {triple}"
    # Both directions: statements pointing at Voyage Privé are there too.
    assert (rdflib.URIRef(ID + "programme/voyage-prive-e-tourism"), FTG.pilotedBy, vp) in g
    # Document-level provenance: the document was derived from each article graph.
    doc = rdflib.URIRef(BASE + "doc/id/organisation/voyage-prive")
    sources = {str(o) for o in g.objects(doc, PROV.wasDerivedFrom)}
    assert sources == {q.graph_name.value for q in expected}
    assert sources >= ARTICLES_NAMING_VP
    # Statement-level provenance: one rdf:Statement per triple naming each article that states it.
    label = rdflib.Literal("Voyage Privé", lang="fr")
    statements = [
        st
        for st in g.subjects(RDF.subject, vp)
        if (st, RDF.predicate, RDFS.label) in g and (st, RDF.object, label) in g
    ]
    assert len(statements) == 1
    assert {str(s) for s in g.objects(statements[0], DCTERMS.source)} == ARTICLES_NAMING_VP
    # Context: labels of linked IRIs and the articles' titles.
    assert (rdflib.URIRef(ID + "place/pays-d-aix"), RDFS.label, None) in g
    assert (rdflib.URIRef(SOURCE + "tous-unis-numerique"), DCTERMS.title, None) in g
    # The data's IRIs stay in the persistent namespace whatever host serves them.
    assert real_server.base not in r.text and "127.0.0.1" not in r.text


def test_trig_keeps_each_statement_in_its_article_graph(
    http: httpx.Client, store: ox.Store
) -> None:
    r = fetch(http, VP_PATH, "application/trig")
    assert r.status_code == 200 and r.headers["content-type"] == "application/trig"
    got = set(ox.parse(r.content, format=ox.RdfFormat.TRIG))
    expected = expected_quads(store, VP)
    assert expected <= got
    node = ox.NamedNode(VP)
    about = {q for q in got if node in (q.subject, q.object) and q.graph_name != ox.DefaultGraph()}
    assert about == expected, "the document states nothing the store does not"
    label = ox.Literal("Voyage Privé", language="fr")
    graphs = {q.graph_name.value for q in got if q.subject == node and q.object == label}
    assert graphs == ARTICLES_NAMING_VP


@pytest.mark.parametrize("media", sorted([*TRIPLE_FORMATS, *DATASET_FORMATS]))
def test_every_rdf_format_parses_and_says_the_same(
    http: httpx.Client, store: ox.Store, media: str
) -> None:
    """rdflib reads the triple formats; pyoxigraph the dataset ones (TriG, N-Quads, JSON-LD)."""
    r = fetch(http, VP_PATH, media)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media
    if media in DATASET_FORMATS:
        fmt = ox.RdfFormat.from_media_type(media)
        assert fmt is not None
        merged = {
            tuple(rdflib.util.from_n3(str(t)) for t in (q.subject, q.predicate, q.object))
            for q in ox.parse(r.content, format=fmt)
        }
    else:
        merged = set(rdflib.Graph().parse(data=r.content, format=TRIPLE_FORMATS[media]))
    for q in expected_quads(store, VP):
        triple = tuple(rdflib.util.from_n3(str(t)) for t in (q.subject, q.predicate, q.object))
        assert triple in merged, f"{media}: missing {triple}"


@pytest.mark.parametrize(
    ("token", "media"),
    [
        ("ttl", "text/turtle"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
        ("jsonld", "application/ld+json"),
        ("trig", "application/trig"),
        ("nq", "application/n-quads"),
        ("html", "text/html"),
    ],
)
def test_format_parameter_overrides_accept(http: httpx.Client, token: str, media: str) -> None:
    r = http.get(f"/doc{VP_PATH}?format={token}", headers={"accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media


def test_jsonld_is_a_dataset_with_the_article_graphs(http: httpx.Client) -> None:
    r = fetch(http, VP_PATH, "application/ld+json")
    quads = ox.parse(r.content, format=ox.RdfFormat.JSON_LD)
    graphs = {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}
    assert graphs >= ARTICLES_NAMING_VP


def test_ontology_term_document_says_where_it_comes_from(http: httpx.Client) -> None:
    r = fetch(http, "/ontology/Organisation", "application/n-quads")
    assert r.status_code == 200
    quads = set(ox.parse(r.content, format=ox.RdfFormat.N_QUADS))
    term, graph = ox.NamedNode(BASE + "ontology/Organisation"), ox.NamedNode(ONTOLOGY_GRAPH)
    sub = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
    assert ox.Quad(term, sub, ox.NamedNode("http://www.w3.org/ns/org#Organization"), graph) in quads


def test_ontology_document_as_rdf_is_the_ontology_graph(
    http: httpx.Client, store: ox.Store
) -> None:
    r = fetch(http, "/ontology", "text/turtle")
    assert r.status_code == 200
    got = {q.triple for q in ox.parse(r.content, format=ox.RdfFormat.TURTLE)}
    expected = {
        q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH))
    }
    assert expected <= got


# --- errors and caching ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/id/organisation/no-such-thing",
        "/doc/id/organisation/no-such-thing",
        "/ontology/NoSuchTerm",
        "/doc/ontology/NoSuchTerm",
        "/id/organisation/a%20b",
        "/doc/id/organisation/%3Cx%3E",
        "/id/",
        "/doc/id/",
        "/graph/nope",
    ],
)
def test_unknown_iri_is_404_html_or_text_never_500(http: httpx.Client, path: str) -> None:
    page = http.get(path, headers={"accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Not found" in page.text
    plain = http.get(path, headers={"accept": "text/turtle"})
    assert plain.status_code == 404
    assert plain.headers["content-type"].startswith("text/plain")


def test_unacceptable_format_is_406(http: httpx.Client) -> None:
    r = http.get("/doc" + VP_PATH, headers={"accept": "image/png"})
    assert r.status_code == 406
    assert "text/turtle" in r.text
    assert http.get(f"/doc{VP_PATH}?format=pdf").status_code == 406


def test_etag_gives_304(http: httpx.Client) -> None:
    first = http.get("/doc" + VP_PATH, headers={"accept": "text/turtle"})
    etag = first.headers["etag"]
    again = http.get("/doc" + VP_PATH, headers={"accept": "text/turtle", "if-none-match": etag})
    assert again.status_code == 304
    other = http.get("/doc" + VP_PATH, headers={"accept": "application/trig"})
    assert other.headers["etag"] != etag


def test_the_page_folds_what_the_build_recorded_as_derived(
    http: httpx.Client, built_store: Path
) -> None:
    """The page reads the build's derivation record (issue 10), it does not re-derive: a recorded
    entailment is in the fold, a curated fact is not."""
    from ftgraph.config import DERIVED_STORE_DIR

    record = open_read_only(built_store.resolve() / DERIVED_STORE_DIR)
    vp = ox.NamedNode(VP)
    derived_types = {
        q.object.value
        for q in record.quads_for_pattern(vp, ox.NamedNode(str(RDF.type)), None, None)
    }
    assert "http://www.w3.org/ns/org#Organization" in derived_types
    r = fetch(http, VP_PATH, "text/html")
    curated, _, fold = r.text.partition("(derived at build time from the ontology's alignment)")
    assert fold, "the page has a fold of derived facts"
    fold = fold.split("</details>")[0]
    for iri in derived_types:
        assert iri in fold and iri not in curated, iri
    assert str(FTG.Organisation) not in fold  # stated in the articles, so curated
