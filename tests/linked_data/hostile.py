"""A little store whose data is markup: labels, values and titles that must stay inert text."""

from __future__ import annotations

import pyoxigraph as ox

from ftgraph.vocab import ID, PREFIXES, SOURCE

EVIL = ID + "organisation/evil"
EVIL_SOURCE = SOURCE + "evil-article"
SCRIPT_LABEL = '<script>alert("label")</script>'
ATTRIBUTE_BREAKER = '"><img src=x onerror=alert(1)>'
JS_IRI = "javascript:alert(1)"
EVIL_TITLE = "<b>Un titre</b> & co"


def hostile_quads() -> list[ox.Quad]:
    """An entity whose label, values and article title are markup, and one ``javascript:`` IRI."""
    g = ox.NamedNode(EVIL_SOURCE)
    evil = ox.NamedNode(EVIL)
    rdfs, dct = PREFIXES["rdfs"], PREFIXES["dcterms"]
    return [
        ox.Quad(evil, ox.NamedNode(rdfs + "label"), ox.Literal(SCRIPT_LABEL, language="fr"), g),
        ox.Quad(evil, ox.NamedNode(dct + "description"), ox.Literal(ATTRIBUTE_BREAKER), g),
        ox.Quad(evil, ox.NamedNode(rdfs + "seeAlso"), ox.NamedNode(JS_IRI), g),
        ox.Quad(evil, ox.NamedNode(rdfs + "seeAlso"), ox.NamedNode("https://example.org/x"), g),
        ox.Quad(evil, ox.NamedNode(dct + "isReferencedBy"), g, g),
        ox.Quad(g, ox.NamedNode(dct + "title"), ox.Literal(EVIL_TITLE, language="fr"), g),
    ]
