"""The IRIs ftgraph mints, in one place, so code, data, shapes and tests agree on them."""

from __future__ import annotations

import pyoxigraph as ox

BASE = "https://w3id.org/ftgraph/"
"""Persistent namespace of everything ftgraph mints; a deployment maps it to its own host."""

ONTOLOGY = BASE + "ontology"
"""IRI of the OWL ontology itself."""

FTG = BASE + "ontology/"
"""Namespace of ontology terms (classes and properties): ``ftg:``."""

ID = BASE + "id/"
"""Namespace of entities: ``https://w3id.org/ftgraph/id/<kind>/<slug>``."""

SOURCE = ID + "source/"
"""Source documents; each one's IRI is also the name of the graph holding what it states."""

CONCEPT = ID + "concept/"
"""SKOS concepts (sectors, kinds of organisation, roles)."""

GRAPH = BASE + "graph/"
"""Namespace of the non-source named graphs."""

ONTOLOGY_GRAPH = GRAPH + "ontology"
"""Graph holding ``ontology/`` (OWL terms and SKOS concept schemes)."""

META_GRAPH = GRAPH + "meta"
"""Graph holding build metadata (dataset version, build time) and the VoID description."""

DATASET = BASE + "dataset"
"""IRI of the dataset as a whole (``void:Dataset``)."""

SPARQL_ENDPOINT = BASE + "sparql"
"""Persistent IRI of the SPARQL endpoint, as published in VoID."""

OPENSEARCH = BASE + "opensearch.xml"
"""The OpenSearch description of the full-text search (``void:openSearchDescription``)."""

DUMPS = BASE + "dumps/"
"""Where the dataset's dumps are published (``void:dataDump``); served at ``/dumps/``."""

PREFIXES: dict[str, str] = {
    "ftg": FTG,
    "ftgid": ID,
    "src": SOURCE,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "prov": "http://www.w3.org/ns/prov#",
    "schema": "http://schema.org/",
    "time": "http://www.w3.org/2006/time#",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "wgs": "http://www.w3.org/2003/01/geo/wgs84_pos#",
    "sh": "http://www.w3.org/ns/shacl#",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "spdx": "http://spdx.org/rdf/terms#",
}
"""Prefixes used everywhere (data files, queries, serializations)."""

KIND_PREFIXES: dict[str, str] = {
    "application": "application",
    "award": "award",
    "event": "event",
    "label": "label",
    "membership": "membership",
    "obs": "observation",
    "organisation": "organisation",
    "person": "person",
    "place": "place",
    "post": "post",
    "programme": "programme",
    "project": "project",
}
"""Prefix -> entity kind (``…/id/<kind>/``) of the prefix block every data file starts with."""

SCHEME_PREFIXES = ("indicator", "kind", "role", "sector", "unit")
"""Concept schemes (``…/id/concept/<scheme>/``), each its own prefix in that block."""

ENTITY_PREFIXES: dict[str, str] = (
    {prefix: ID + kind + "/" for prefix, kind in KIND_PREFIXES.items()}
    | {prefix: CONCEPT + prefix + "/" for prefix in SCHEME_PREFIXES}
    | {"scheme": CONCEPT, "ftgsh": BASE + "shapes/"}
)
"""The prefixes of our own entities, concepts and shapes (``docs/prefixes.ttl`` holds all of these
and the standard ones of :data:`PREFIXES`; a test keeps the two equal)."""

ALL_PREFIXES: dict[str, str] = PREFIXES | ENTITY_PREFIXES
"""The one prefix registry: what the editor completes and the data files declare."""

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
"""``rdf:type`` as a pyoxigraph term, shared by the modules that build or read quads."""

IS_REFERENCED_BY = ox.NamedNode(PREFIXES["dcterms"] + "isReferencedBy")
"""``dcterms:isReferencedBy``: entity -> the source articles whose graph mentions it (derived at build time)."""


def compact(iri: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """``prefix:local`` for IRIs in a namespace of ``prefixes`` (the longest wins), else the IRI.

    >>> compact("http://www.w3.org/ns/org#memberOf")
    'org:memberOf'
    """
    best = ""
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(ns) > len(prefixes.get(best, "")):
            best = prefix
    if best:
        local = iri[len(prefixes[best]) :]
        if local and all(c.isalnum() or c in "-_." for c in local):
            return f"{best}:{local}"
    return iri
