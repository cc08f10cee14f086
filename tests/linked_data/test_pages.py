"""The HTML side: entity pages, the generated ontology page, and escaping of hostile data."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

import httpx
import rdflib
from endpoint.live import LiveServer
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from ftgraph.vocab import BASE, ID

from .hostile import (
    ATTRIBUTE_BREAKER,
    EVIL,
    EVIL_TITLE,
    JS_IRI,
    SCRIPT_LABEL,
)

ROOT = Path(__file__).resolve().parents[2]
FTG = BASE + "ontology/"


SITE_SCRIPT = '<script src="/static/search.js" defer></script>'
"""The one script of every page: the header's search suggestions, from this server."""


def no_other_script(html: str) -> bool:
    """True when the page's only script is :data:`SITE_SCRIPT` (no data ever becomes a script)."""
    return html.count(SITE_SCRIPT) == 1 and "<script" not in html.replace(SITE_SCRIPT, "")


def page(client: httpx.Client, path: str) -> httpx.Response:
    r = client.get(path, headers={"accept": "text/html"}, follow_redirects=True)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    return r


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


# --- entity pages -----------------------------------------------------------------------------------


def test_entity_page_shows_facts_labels_and_sources(http: httpx.Client) -> None:
    html = page(http, "/id/organisation/voyage-prive").text
    assert '<h1><span lang="fr">Voyage Privé</span></h1>' in html
    links = hrefs(html)
    # Header links on every page.
    assert {"/", "/query", "/ontology", "/docs"} <= set(links)
    # Our IRIs become server-relative links, to entities and to ontology terms.
    assert "/id/place/pays-d-aix" in links
    assert "/ontology/location" in links
    # The property's French label first, its English one beside it.
    assert '<span lang="fr">lieu</span> <span class="en" lang="en">(location)</span>' in html
    # Each fact links its source article, whose title is listed with a link to its own page.
    assert "/id/source/pays-aix-avenir-economique" in links
    assert "L&#x27;avenir économique du Pays d&#x27;Aix" in html
    # Incoming statements: the programme Voyage Privé pilots.
    assert "/id/programme/voyage-prive-e-tourism" in links
    # No script on these pages but the header's, and alternates advertise the RDF.
    assert no_other_script(html)
    assert 'type="text/turtle" href="/doc/id/organisation/voyage-prive?format=ttl"' in html


def test_external_iris_link_out(http: httpx.Client) -> None:
    html = page(http, "/id/organisation/voyage-prive").text
    assert "http://www.w3.org/ns/org#Organization" in hrefs(html)


def test_source_article_page_lists_what_it_mentions(http: httpx.Client) -> None:
    html = page(http, "/id/source/tous-unis-numerique").text
    assert "Tous unis pour dynamiser le numérique !" in html
    assert "<h2>Mentions</h2>" in html
    assert "/id/organisation/voyage-prive" in hrefs(html)


def test_concept_page(http: httpx.Client) -> None:
    html = page(http, "/id/concept/kind/tech-champion").text
    assert "tech champion" in html
    assert "/id/organisation/voyage-prive" in hrefs(html)


def test_term_page_points_to_the_ontology_overview(http: httpx.Client) -> None:
    html = page(http, "/ontology/Organisation").text
    assert "/doc/ontology#Organisation" in hrefs(html)
    assert "http://www.w3.org/ns/org#Organization" in hrefs(html)


# --- the ontology page --------------------------------------------------------------------------------


def ontology_terms() -> tuple[rdflib.Graph, list[str], list[str], list[str]]:
    """Classes, properties and concept schemes, read straight from ontology/*.ttl."""
    g = rdflib.Graph()
    for f in sorted((ROOT / "ontology").glob("*.ttl")):
        g.parse(f, format="turtle")
    classes = sorted(str(c) for c in g.subjects(RDF.type, OWL.Class) if str(c).startswith(FTG))
    props = sorted(
        str(p)
        for t in (OWL.ObjectProperty, OWL.DatatypeProperty)
        for p in g.subjects(RDF.type, t)
        if str(p).startswith(FTG)
    )
    schemes = sorted(str(s) for s in g.subjects(RDF.type, SKOS.ConceptScheme))
    return g, classes, props, schemes


def test_ontology_page_documents_every_term(http: httpx.Client) -> None:
    html = page(http, "/ontology").text
    g, classes, props, schemes = ontology_terms()
    assert classes and props and len(schemes) == 5
    for iri in classes + props:
        local = iri[len(FTG) :]
        assert f'id="{local}"' in html, local
        assert f'href="/ontology/{local}"' in html, local
        for lang in ("en", "fr"):
            label = next(
                str(lit)
                for lit in g.objects(rdflib.URIRef(iri), RDFS.label)
                if lit.language == lang
            )
            assert escape(label, quote=True) in html, (local, lang)
    for s in schemes:
        assert f'id="scheme-{s.rsplit("/", 1)[1]}"' in html
    # Alignment axioms link out; domain and range are shown; examples come from the data.
    assert "http://www.w3.org/ns/org#Organization" in hrefs(html)
    assert "<dt>Domain</dt>" in html and "<dt>Range</dt>" in html
    assert "/id/organisation/" in html
    assert no_other_script(html)


def test_doc_ontology_serves_the_same_page(http: httpx.Client) -> None:
    assert page(http, "/doc/ontology").text == page(http, "/ontology").text


# --- hostile data ----------------------------------------------------------------------------------


def test_literals_are_escaped_and_inert(hostile_server: LiveServer) -> None:
    """A label holding ``<script>`` shows as text; an attribute breaker stays inside its text."""
    path = "/id/" + EVIL[len(ID) :]
    r = httpx.get(
        hostile_server.base + path, headers={"accept": "text/html"}, follow_redirects=True
    )
    assert r.status_code == 200
    html = r.text
    assert no_other_script(html)
    assert "&lt;script&gt;alert(&quot;label&quot;)&lt;/script&gt;" in html
    assert ATTRIBUTE_BREAKER not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>" not in html and "&lt;b&gt;Un titre&lt;/b&gt; &amp; co" in html
    assert EVIL_TITLE not in html
    assert SCRIPT_LABEL not in html


def test_non_http_iris_are_never_links(hostile_server: LiveServer) -> None:
    path = "/doc/id/" + EVIL[len(ID) :]
    html = httpx.get(hostile_server.base + path, headers={"accept": "text/html"}).text
    assert not any(h.lower().startswith("javascript:") for h in hrefs(html))
    assert JS_IRI in html  # shown, as inert text
    assert "https://example.org/x" in hrefs(html)


def test_404_page_escapes_the_requested_iri(hostile_server: LiveServer) -> None:
    r = httpx.get(
        hostile_server.base + "/doc/id/x%3Cscript%3Ealert(1)%3C/script%3E",
        headers={"accept": "text/html"},
    )
    assert r.status_code == 404
    assert no_other_script(r.text) and "&lt;script&gt;" in r.text


def test_ontology_page_without_an_ontology(hostile_server: LiveServer) -> None:
    r = httpx.get(hostile_server.base + "/ontology", follow_redirects=True)
    assert r.status_code == 200
    assert "Classes (0)" in r.text
