"""What the UI pages show, read from the store through the query workers: the landing page's
sizes and sources (once per store version) and the editor's examples."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ftgraph.formats import ALL_FORMATS, RESULT_FORMATS
from ftgraph.sparql.jobs import Job, QueryError, QueryTimeout
from ftgraph.sparql.named_queries import NamedQuery
from ftgraph.vocab import DATASET, META_GRAPH, PREFIXES

if TYPE_CHECKING:
    from ftgraph.web.runtime import Runtime


log = logging.getLogger("ftgraph.web.overview")

XSD = PREFIXES["xsd"]
FTG = PREFIXES["ftg"]
MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)

KEY_CLASSES = (
    ("Organisation", "organisations"),
    ("Person", "people"),
    ("Place", "places"),
    ("AcceleratorProgramme", "accelerator programmes"),
    ("Event", "events"),
    ("Membership", "roles held"),
    ("LabelAward", "label awards"),
    ("Observation", "reported figures"),
)
"""Classes whose VoID partition sizes the landing page shows, with their plural."""


@dataclass(frozen=True)
class Source:
    """One source article as the landing page lists it."""

    iri: str
    title: str
    when: str
    """Its date as precise as printed, or the note saying why there is none."""
    sort_key: str
    triples: int | None


@dataclass(frozen=True)
class Overview:
    """What the landing page says about the dataset, read from the store once per version."""

    title: str = "Aix-Marseille French Tech knowledge graph"
    description: str = ""
    stats: tuple[tuple[int, str], ...] = ()
    classes: tuple[tuple[int, str], ...] = ()
    sources: tuple[Source, ...] = ()
    modified: str = ""
    license: str = ""
    error: str = ""


@dataclass
class UiState:
    """Per-app state: asset fingerprints, examples and the landing data cached by version."""

    versions: dict[str, str] = field(default_factory=dict)
    examples: list[dict[str, str]] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    overviews: dict[str, Overview] = field(default_factory=dict)


def format_date(value: str, datatype: str | None) -> str:
    """A date as precise as its datatype, in words: ``1 March 2014``, ``December 2014``, ``2014``.

    >>> format_date("2014-12", "http://www.w3.org/2001/XMLSchema#gYearMonth")
    'December 2014'
    """
    if datatype == XSD + "date" and (m := re.match(r"^(\d{4})-(\d{2})-(\d{2})", value)):
        return f"{int(m[3])} {MONTHS[int(m[2]) - 1]} {m[1]}"
    if datatype == XSD + "gYearMonth" and (m := re.match(r"^(\d{4})-(\d{2})", value)):
        return f"{MONTHS[int(m[2]) - 1]} {m[1]}"
    return value


def example_query(query: NamedQuery) -> dict[str, str]:
    """A named query as a ready-to-run editor example: parameters get their example values.

    A trailing ``VALUES`` block binds them in the text itself, so the example runs as is and
    shows how to ask about another entity.
    """
    text = query.text.rstrip() + "\n"
    if query.parameters:
        names = " ".join("?" + p.name for p in query.parameters)
        values = " ".join(p.example_sparql() for p in query.parameters)
        notes = "".join(f"#   ?{p.name}: {p.text}\n" for p in query.parameters)
        text += f"\n# Parameters, with example values (edit them):\n{notes}VALUES ({names}) {{ ({values}) }}\n"
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "query": text,
    }


async def _select(rt: Runtime, query: str) -> list[dict[str, dict[str, str]]]:
    """Bindings of a small SELECT run on the worker pool, as the endpoint would run it."""
    json_format = ALL_FORMATS.index(RESULT_FORMATS[0])
    timeout = min(rt.settings.query_timeout, 20.0)
    _, body = await rt.backend.fetch(Job(query, None, None, True, json_format, -1), timeout)
    bindings: list[dict[str, dict[str, str]]] = json.loads(body)["results"]["bindings"]
    return bindings


DATASET_QUERY = f"""
SELECT ?p ?o WHERE {{
  GRAPH <{META_GRAPH}> {{ <{DATASET}> ?p ?o FILTER (isLiteral(?o) || ?p = <{PREFIXES["dcterms"]}license>) }}
}}"""

CLASSES_QUERY = f"""
PREFIX void: <{PREFIXES["void"]}>
SELECT ?class ?n WHERE {{
  GRAPH <{META_GRAPH}> {{ <{DATASET}> void:classPartition ?part . ?part void:class ?class ; void:entities ?n }}
}}"""

SOURCES_QUERY = f"""
PREFIX ftg: <{FTG}>
PREFIX dcterms: <{PREFIXES["dcterms"]}>
PREFIX void: <{PREFIXES["void"]}>
SELECT ?source ?title ?date ?note ?notBefore ?triples WHERE {{
  GRAPH ?source {{
    ?source a ftg:SourceDocument ; dcterms:title ?title .
    OPTIONAL {{ ?source dcterms:date ?date }}
    OPTIONAL {{ ?source ftg:dateNote ?note FILTER (LANG(?note) = "en") }}
    OPTIONAL {{ ?source ftg:notBefore ?notBefore }}
  }}
  OPTIONAL {{ GRAPH <{META_GRAPH}> {{ ?subset dcterms:source ?source ; void:triples ?triples }} }}
}}"""


async def load_overview(rt: Runtime) -> Overview:
    """Read the VoID statistics and the source articles from the store (a few small queries)."""
    void = PREFIXES["void"]
    dcterms = PREFIXES["dcterms"]
    meta: dict[str, list[dict[str, str]]] = {}
    for row in await _select(rt, DATASET_QUERY):
        meta.setdefault(row["p"]["value"], []).append(row["o"])

    def first(p: str, lang: str | None = None) -> str:
        for term in meta.get(p, []):
            if lang is None or term.get("xml:lang") == lang:
                return term["value"]
        return ""

    def count(p: str) -> int:
        return int(first(void + p) or 0)

    stats = (
        (count("triples"), "triples"),
        (count("entities"), "entities"),
        (count("classes"), "classes"),
        (count("properties"), "properties"),
    )
    sizes = {
        row["class"]["value"]: int(row["n"]["value"]) for row in await _select(rt, CLASSES_QUERY)
    }
    classes = tuple((sizes[FTG + c], plural) for c, plural in KEY_CLASSES if FTG + c in sizes)

    sources: dict[str, Source] = {}
    for row in await _select(rt, SOURCES_QUERY):
        iri = row["source"]["value"]
        if iri in sources:
            continue
        date = row.get("date")
        note = row.get("note", {}).get("value", "Undated.")
        sort_key = (date or row.get("notBefore") or {"value": "9999"})["value"]
        triples = row.get("triples")
        sources[iri] = Source(
            iri=iri,
            title=row["title"]["value"],
            when=format_date(date["value"], date.get("datatype")) if date else note,
            sort_key=sort_key,
            triples=int(triples["value"]) if triples else None,
        )
    return Overview(
        title=first(dcterms + "title", "en") or Overview.title,
        description=first(dcterms + "description", "en"),
        stats=stats,
        classes=classes,
        sources=tuple(sorted(sources.values(), key=lambda s: s.sort_key)),
        modified=first(dcterms + "modified"),
        license=first(dcterms + "license"),
    )


async def overview_for(state: UiState, rt: Runtime) -> Overview:
    """The landing data of the store being served; it only changes with a rebuild (new version)."""
    cached = state.overviews.get(rt.version)
    if cached is not None:
        return cached
    try:
        overview = await load_overview(rt)
    except (QueryError, QueryTimeout, KeyError, ValueError) as e:
        log.warning("landing page statistics unavailable: %r", e)
        return Overview(error="The statistics could not be read from the store just now.")
    state.overviews = {rt.version: overview}
    return overview
