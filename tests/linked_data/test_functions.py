"""The plain functions behind the routes: paths, negotiation, derivation marks, rendering."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from ftgraph.vocab import BASE, ID, ONTOLOGY_GRAPH, PREFIXES, SOURCE
from ftgraph.web import describe as d
from ftgraph.web import documents as docs
from ftgraph.web import linked_data as ld
from ftgraph.web import shell as h

N = ox.NamedNode
RDFS_LABEL = N(PREFIXES["rdfs"] + "label")
A = N(ID + "organisation/a")
ART = N(SOURCE + "article")
FTG_LOCATION = N(BASE + "ontology/location")
SCHEMA_LOCATION = N(PREFIXES["schema"] + "location")
PLACE = N(ID + "place/p")


@pytest.mark.parametrize(
    ("iri", "href"),
    [
        (ID + "organisation/x", "/id/organisation/x"),
        (BASE + "ontology/Organisation", "/ontology/Organisation"),
        (ONTOLOGY_GRAPH, "/ontology"),
        (ID + "place/é", "/id/place/%C3%A9"),
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>", None),
        ("urn:isbn:123", None),
    ],
)
def test_href_for(iri: str, href: str | None) -> None:
    assert h.href_for(iri) == href


def test_href_for_honours_a_root_path() -> None:
    assert h.href_for(ID + "person/x", "/ftgraph") == "/ftgraph/id/person/x"


def test_labels_prefer_french_then_show_english() -> None:
    labels = h.Labels()
    labels.add("x", ox.Literal("lieu", language="fr"))
    labels.add("x", ox.Literal("location", language="en"))
    assert labels.text("x") == "lieu (location)"
    labels.add("y", ox.Literal("only english", language="en"))
    assert labels.text("y") == "only english"
    assert labels.text("http://www.w3.org/ns/org#Post") == "org:Post"


def test_labels_html_is_escaped() -> None:
    labels = h.Labels()
    labels.add("x", ox.Literal("<i>", language="fr"))
    assert labels.html("x") == '<span lang="fr">&lt;i&gt;</span>'


@pytest.mark.parametrize(
    ("accept", "param", "name"),
    [
        (None, None, "html"),
        ("*/*", None, "html"),
        ("text/turtle", None, "turtle"),
        ("application/ld+json", None, "jsonld"),
        ("application/json", None, "jsonld"),
        ("application/n-quads, text/turtle;q=0.5", None, "nquads"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, "html"),
        ("text/html", "ttl", "turtle"),
        (None, "trig", "trig"),
    ],
)
def test_document_format(accept: str | None, param: str | None, name: str) -> None:
    assert ld.document_format(accept, param).name == name


@pytest.mark.parametrize(("accept", "param"), [("image/png", None), (None, "pdf")])
def test_negotiate_refuses(accept: str | None, param: str | None) -> None:
    with pytest.raises(ld.NotAcceptable):
        ld.document_format(accept, param)


@pytest.mark.parametrize("rest", ["", "/x", "a b", "a<b", 'a"b', "a{b}"])
def test_invalid_paths_name_no_iri(rest: str) -> None:
    assert docs.iri_for_path("id", rest) is None


def description() -> d.Description:
    return d.Description(
        A,
        (
            ox.Quad(A, RDFS_LABEL, ox.Literal("<script>x</script>", language="fr"), ART),
            ox.Quad(A, FTG_LOCATION, PLACE, ART),
            ox.Quad(A, FTG_LOCATION, PLACE, N(SOURCE + "other")),
        ),
        (ox.Quad(ART, N(PREFIXES["dcterms"] + "title"), ox.Literal("T & <T>"), ART),),
    )


def test_render_description_escapes_and_cites() -> None:
    html = docs.render_description(description())
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert "T &amp; &lt;T&gt;" in html
    assert 'href="/id/source/article"' in html and 'href="/id/source/other"' in html


def test_triple_formats_reify_each_statement_once_with_all_its_sources() -> None:
    desc = description()
    nt = docs.serialize_description(desc, ld.document_format("application/n-triples", None))
    triples = [q.triple for q in ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)]
    rdf_subject = N(PREFIXES["rdf"] + "subject")
    rdf_predicate = N(PREFIXES["rdf"] + "predicate")
    source = N(PREFIXES["dcterms"] + "source")
    statements = {t.subject for t in triples if t.predicate == rdf_subject}
    assert len(statements) == 2  # label, location: the location stated twice is one statement
    located = next(
        s for s in statements if ox.Triple(s, rdf_predicate, FTG_LOCATION) in set(triples)
    )
    assert {t.object for t in triples if t.subject == located and t.predicate == source} == {
        ART,
        N(SOURCE + "other"),
    }
