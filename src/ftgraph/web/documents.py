"""What a description becomes: an RDF document with the source of every statement, or an HTML page.

Dataset formats (TriG, N-Quads, JSON-LD) carry the article graphs as they are; triple formats get the
merged triples plus ``prov:wasDerivedFrom`` per article and one reified ``rdf:Statement`` per triple
with ``dcterms:source``. Plain functions of a :class:`~ftgraph.web.describe.Description`: no HTTP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from ftgraph.formats import DOC_FORMATS, Format
from ftgraph.vocab import (
    BASE,
    ENTITY_PREFIXES,
    FTG,
    GRAPH,
    IS_REFERENCED_BY,
    ONTOLOGY,
    ONTOLOGY_GRAPH,
    PREFIXES,
    RDF_TYPE,
    SOURCE,
)
from ftgraph.web import shell as h
from ftgraph.web.describe import (
    DCT_DATE,
    DCT_TITLE,
    INBOUND_CAP,
    ONTOLOGY_GRAPH_NODE,
    RDFS_LABEL,
    SKOS_PREF_LABEL,
    Description,
)

SKOS_ALT_LABEL = ox.NamedNode(PREFIXES["skos"] + "altLabel")
DCT_SOURCE = ox.NamedNode(PREFIXES["dcterms"] + "source")
PROV_DERIVED = ox.NamedNode(PREFIXES["prov"] + "wasDerivedFrom")
FOAF_DOCUMENT = ox.NamedNode(PREFIXES["foaf"] + "Document")
FOAF_PRIMARY_TOPIC = ox.NamedNode(PREFIXES["foaf"] + "primaryTopic")
RDF_STATEMENT = ox.NamedNode(PREFIXES["rdf"] + "Statement")
RDF_SUBJECT = ox.NamedNode(PREFIXES["rdf"] + "subject")
RDF_PREDICATE = ox.NamedNode(PREFIXES["rdf"] + "predicate")
RDF_OBJECT = ox.NamedNode(PREFIXES["rdf"] + "object")

HTML_LIST_CAP = 60
"""Values shown per property on a page; a class has one incoming ``rdf:type`` per instance."""

# --------------------------------------------------------------------------------------------
# IRIs and paths
# --------------------------------------------------------------------------------------------


def iri_for_path(kind: str, rest: str) -> ox.NamedNode | None:
    """The persistent IRI a request path names (``kind`` is ``id`` or ``ontology``), if valid.

    >>> iri_for_path("id", "organisation/voyage-prive").value
    'https://w3id.org/ftgraph/id/organisation/voyage-prive'
    >>> iri_for_path("id", "a b") is None
    True
    """
    if not rest or rest.startswith("/"):
        return None
    try:
        return ox.NamedNode(BASE + kind + "/" + rest)
    except ValueError:
        return None


def doc_iri(iri: str) -> str:
    """Persistent IRI of the document about ``iri`` (``…/id/x`` → ``…/doc/id/x``)."""
    return BASE + "doc/" + iri[len(BASE) :]


def doc_path(iri: str, root: str = "") -> str:
    """Server-relative path of the document about one of our IRIs."""
    href = h.href_for(doc_iri(iri), root)
    assert href is not None  # under BASE, always a path
    return href


# --------------------------------------------------------------------------------------------
# RDF serialization
# --------------------------------------------------------------------------------------------

SERIALIZATION_PREFIXES = (
    {
        k: PREFIXES[k]
        for k in (
            "ftg",
            "rdf",
            "rdfs",
            "owl",
            "xsd",
            "skos",
            "dcterms",
            "foaf",
            "org",
            "prov",
            "schema",
        )
    }
    | {k: v for k, v in ENTITY_PREFIXES.items() if k != "ftgsh"}
    | {"src": SOURCE, "graph": GRAPH}
)
"""The prefixes of ``ontology/*.ttl``: readable Turtle and TriG without escaped slashes."""


def used_prefixes(data: Iterable[ox.Quad | ox.Triple]) -> dict[str, str]:
    """The :data:`SERIALIZATION_PREFIXES` that shorten at least one IRI of ``data``.

    A prefix is kept only where the rest of the IRI is a plain local name, so no prefix
    produces escaped slashes and the header lists only what the document uses.
    """
    iris: set[str] = set()
    for item in data:
        terms: list[Any] = [item.subject, item.predicate, item.object]
        if isinstance(item, ox.Quad):
            terms.append(item.graph_name)
        for t in terms:
            if isinstance(t, ox.NamedNode):
                iris.add(t.value)
            elif isinstance(t, ox.Literal):
                iris.add(t.datatype.value)
    used = {}
    for prefix, ns in SERIALIZATION_PREFIXES.items():
        for iri in iris:
            rest = iri[len(ns) :]
            if iri.startswith(ns) and rest and "/" not in rest and "#" not in rest:
                used[prefix] = ns
                break
    return used


def _statement_node(t: ox.Triple) -> ox.BlankNode:
    """A stable blank node per triple: the same statement gets the same label in every answer."""
    digest = hashlib.sha256(str(t).encode()).hexdigest()[:20]
    return ox.BlankNode("st" + digest)


def provenance_triples(doc: ox.NamedNode, desc: Description) -> list[ox.Triple]:
    """Triple-format provenance: the document's sources and one reified statement per triple."""
    out = [
        ox.Triple(doc, RDF_TYPE, FOAF_DOCUMENT),
        ox.Triple(doc, FOAF_PRIMARY_TOPIC, desc.iri),
    ]
    out += [ox.Triple(doc, PROV_DERIVED, g) for g in desc.sources]
    sources: dict[ox.Triple, list[ox.NamedNode | ox.BlankNode]] = {}
    for q in desc.quads:
        assert isinstance(q.graph_name, ox.NamedNode | ox.BlankNode)
        sources.setdefault(q.triple, []).append(q.graph_name)
    for triple, graphs in sorted(sources.items(), key=lambda kv: str(kv[0])):
        node = _statement_node(triple)
        out += [
            ox.Triple(node, RDF_TYPE, RDF_STATEMENT),
            ox.Triple(node, RDF_SUBJECT, triple.subject),
            ox.Triple(node, RDF_PREDICATE, triple.predicate),
            ox.Triple(node, RDF_OBJECT, triple.object),
        ]
        out += [ox.Triple(node, DCT_SOURCE, g) for g in graphs]
    return out


def _dedupe(triples: Iterable[ox.Triple]) -> list[ox.Triple]:
    return list(dict.fromkeys(triples))


def serialize_description(desc: Description, fmt: Format) -> bytes:
    """The description in an RDF format: a dataset (graphs = sources) or triples + provenance."""
    target = fmt.rdf
    doc = ox.NamedNode(doc_iri(desc.iri.value))
    if target.supports_datasets:
        meta = [
            ox.Quad(doc, RDF_TYPE, FOAF_DOCUMENT),
            ox.Quad(doc, FOAF_PRIMARY_TOPIC, desc.iri),
            *(ox.Quad(doc, PROV_DERIVED, g) for g in desc.sources),
        ]
        data: list[Any] = [*meta, *desc.quads, *desc.context]
    else:
        facts = sorted(
            {q.triple for q in (*desc.quads, *desc.context)},
            key=lambda t: (str(t.subject), str(t.predicate), str(t.object)),
        )
        data = _dedupe([*facts, *provenance_triples(doc, desc)])
    out = ox.serialize(data, format=target, prefixes=used_prefixes(data))
    assert out is not None
    return out


def serialize_ontology(quads: list[ox.Quad], fmt: Format) -> bytes:
    """The whole ontology graph; one source, so document-level provenance says it all."""
    target = fmt.rdf
    doc = ox.NamedNode(doc_iri(ONTOLOGY))
    meta = [
        ox.Quad(doc, RDF_TYPE, FOAF_DOCUMENT),
        ox.Quad(doc, FOAF_PRIMARY_TOPIC, ox.NamedNode(ONTOLOGY)),
        ox.Quad(doc, PROV_DERIVED, ONTOLOGY_GRAPH_NODE),
    ]
    data: list[Any] = (
        [*meta, *quads] if target.supports_datasets else [q.triple for q in [*meta, *quads]]
    )
    out = ox.serialize(data, format=target, prefixes=used_prefixes(data))
    assert out is not None
    return out


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def format_links(iri: str, root: str = "") -> list[tuple[str, str, str]]:
    """(label, media type, href) of every RDF rendering of the document about ``iri``."""
    base = doc_path(iri, root)
    return [
        (f.label, f.media_type, f"{base}?format={f.tokens[0]}")
        for f in DOC_FORMATS
        if f.name != "html"
    ]


def _labels_for(desc: Description) -> h.Labels:
    labels = h.Labels()
    labels.add_quads(desc.quads)
    labels.add_quads(desc.context)
    labels.add(ONTOLOGY_GRAPH, ox.Literal("ftgraph ontology", language="en"))
    labels.add(ONTOLOGY_GRAPH, ox.Literal("ontologie ftgraph", language="fr"))
    return labels


def _source_order(desc: Description) -> list[ox.NamedNode]:
    """Articles by date (undated last), then the ontology: the order of the footnotes."""
    dates: dict[ox.NamedNode, str] = {}
    for q in desc.context:
        if q.predicate == DCT_DATE and isinstance(q.subject, ox.NamedNode):
            dates[q.subject] = str(getattr(q.object, "value", ""))
    mentioned = {
        q.object
        for q in desc.quads
        if q.predicate == IS_REFERENCED_BY and isinstance(q.object, ox.NamedNode)
    }
    graphs = set(desc.sources) | mentioned
    return sorted(
        graphs,
        key=lambda g: (g == ONTOLOGY_GRAPH_NODE, dates.get(g, "9999"), g.value),
    )


@dataclass
class _Page:
    """Rendering state of one description page."""

    desc: Description
    labels: h.Labels
    root: str
    footnote: dict[ox.NamedNode, int]

    def sources(self, graphs: Iterable[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]) -> str:
        """Footnote markers for the graphs stating a fact, each linking to the article's page."""
        marks = []
        for g in sorted(
            (g for g in set(graphs) if isinstance(g, ox.NamedNode)),
            key=lambda g: self.footnote.get(g, 999),
        ):
            n = self.footnote.get(g)
            target = h.href_for(g.value, self.root)
            text = f"[{n}]" if n is not None else "[?]"
            if target is None:
                marks.append(text)
            else:
                marks.append(
                    f'<a href="{h.esc(target)}" title="{h.esc(self.labels.text(g.value))}">{text}</a>'
                )
        return f' <span class="src">{"".join(marks)}</span>' if marks else ""

    def value(self, t: Any, depth: int = 0) -> str:
        """One term; a blank node shows its own statements nested (a few levels at most)."""
        if isinstance(t, ox.BlankNode) and depth < 3:
            inner = [q for q in self.desc.quads if q.subject == t]
            if inner:
                rows = "".join(
                    f"<dt>{self.predicate(q.predicate)}</dt><dd>{self.value(q.object, depth + 1)}</dd>"
                    for q in inner
                )
                return f'<dl class="facts">{rows}</dl>'
        return h.term(t, self.labels, self.root)

    def predicate(self, p: ox.NamedNode) -> str:
        return h.link(p.value, self.labels, self.root)

    def facts(self, groups: dict[tuple[ox.NamedNode, Any], set[Any]], incoming: bool) -> str:
        """A definition list: property, then each value (or subject) with its sources."""
        by_pred: dict[ox.NamedNode, list[tuple[Any, set[Any]]]] = {}
        for (p, t), graphs in groups.items():
            by_pred.setdefault(p, []).append((t, graphs))
        if not by_pred:
            return ""
        first = (RDFS_LABEL, SKOS_PREF_LABEL, SKOS_ALT_LABEL, DCT_TITLE)

        def pred_key(p: ox.NamedNode) -> tuple[int, str]:
            return (first.index(p) if p in first else len(first), self.labels.text(p.value).lower())

        def value_key(item: tuple[Any, set[Any]]) -> str:
            t = item[0]
            return (self.labels.text(t.value) if isinstance(t, ox.NamedNode) else t.value).lower()

        rows = []
        for p in sorted(by_pred, key=pred_key):
            values = sorted(by_pred[p], key=value_key)
            label = self.predicate(p)
            if incoming:
                label = f'<span class="mute">is</span> {label} <span class="mute">of</span>'
            rows.append(f"<dt>{label}</dt>")
            for t, graphs in values[:HTML_LIST_CAP]:
                rows.append(f"<dd>{self.value(t)}{self.sources(graphs)}</dd>")
            if len(values) > HTML_LIST_CAP:
                more = len(values) - HTML_LIST_CAP
                rows.append(f'<dd class="mute">… and {more} more (ask the SPARQL endpoint)</dd>')
        return '<dl class="facts">' + "".join(rows) + "</dl>"


@dataclass
class _Groups:
    """A description's quads sorted into what the page shows where."""

    out: dict[tuple[ox.NamedNode, Any], set[Any]] = field(default_factory=dict)
    incoming: dict[tuple[ox.NamedNode, Any], set[Any]] = field(default_factory=dict)
    derived_out: dict[tuple[ox.NamedNode, Any], set[Any]] = field(default_factory=dict)
    derived_in: dict[tuple[ox.NamedNode, Any], set[Any]] = field(default_factory=dict)
    types: dict[Any, set[Any]] = field(default_factory=dict)
    mentions: dict[Any, set[Any]] = field(default_factory=dict)


def _group(desc: Description) -> _Groups:
    """Curated facts, derived facts, types and mentions, each value with the graphs stating it."""
    gr = _Groups()
    this = desc.iri
    for q in desc.quads:
        derived = q in desc.derived
        if q.subject == this:
            if q.predicate == IS_REFERENCED_BY:
                continue  # the article list says it
            if q.predicate == RDF_TYPE and not derived:
                gr.types.setdefault(q.object, set()).add(q.graph_name)
                continue
            out = gr.derived_out if derived else gr.out
            out.setdefault((q.predicate, q.object), set()).add(q.graph_name)
        elif q.object == this:
            if q.predicate == IS_REFERENCED_BY:
                gr.mentions.setdefault(q.subject, set()).add(q.graph_name)
                continue
            into = gr.derived_in if derived else gr.incoming
            into.setdefault((q.predicate, q.subject), set()).add(q.graph_name)
        # Otherwise the quad is about a blank node: shown nested under its value.
    return gr


def _sources_section(
    desc: Description, order: list[ox.NamedNode], labels: h.Labels, root: str
) -> str:
    """The numbered list the footnote markers point into: title, date, link to the article."""
    dates = {
        q.subject: q.object.value
        for q in desc.context
        if q.predicate == DCT_DATE and isinstance(q.object, ox.Literal)
    }
    items = []
    for g in order:
        href = h.href_for(g.value, root)
        name = labels.html(g.value)
        date = dates.get(g, "")
        when = f' <span class="mute">{h.esc(date)}</span>' if date else ""
        linked = f'<a href="{h.esc(href)}">{name}</a>' if href else name
        items.append(f"<li>{linked}{when}</li>")
    return '<h2>Sources</h2><ol class="sources">' + "".join(items) + "</ol>"


def render_description(desc: Description, root: str = "") -> str:
    """The HTML page of a description: names, types, facts with sources, derived facts folded."""
    labels = _labels_for(desc)
    order = _source_order(desc)
    pg = _Page(desc, labels, root, {g: i + 1 for i, g in enumerate(order)})
    this = desc.iri
    gr = _group(desc)
    fr, en = labels.pick(this.value)
    title = labels.text(this.value)
    parts = [f"<h1>{labels.html(this.value)}</h1>", f'<p class="iri">{h.esc(this.value)}</p>']
    if gr.types:
        rendered = ", ".join(
            f"{pg.value(t)}{pg.sources(gs)}"
            for t, gs in sorted(gr.types.items(), key=lambda kv: labels.text(str(kv[0])))
        )
        parts.append(f"<p>{rendered}</p>")
    if this.value.startswith(FTG) and this.value != FTG:
        anchor = quote(this.value[len(FTG) :])
        parts.append(
            f'<p>Defined in the <a href="{h.esc(root)}/doc/ontology#{h.esc(anchor)}">'
            "ftgraph ontology</a>.</p>"
        )
    if gr.out:
        parts.append("<h2>Statements</h2>" + pg.facts(gr.out, incoming=False))
    if gr.incoming:
        parts.append("<h2>Referenced by</h2>" + pg.facts(gr.incoming, incoming=True))
    if desc.more_inbound:
        parts.append(
            f'<p class="mute">More than {INBOUND_CAP:,} statements point here; this page shows '
            f'{INBOUND_CAP:,}. <a href="{h.esc(root)}/sparql">Query the endpoint</a> for all.</p>'
        )
    if gr.mentions:
        items = "".join(
            f"<li>{pg.value(s)}</li>"
            for s in sorted(gr.mentions, key=lambda s: labels.text(s.value).lower())
        )
        parts.append(f'<h2>Mentions</h2><ul class="compact">{items}</ul>')
    if order:
        parts.append(_sources_section(desc, order, labels, root))
    if gr.derived_out or gr.derived_in:
        inner = pg.facts(gr.derived_out, incoming=False) + pg.facts(gr.derived_in, incoming=True)
        parts.append(
            "<details><summary>Also stated in the standard vocabularies "
            "(derived at build time from the ontology's alignment)</summary>"
            f"{inner}</details>"
        )
    links = format_links(this.value, root)
    parts.append(
        '<p class="formats mute">Download: '
        + "".join(f'<a href="{h.esc(href)}">{h.esc(label)}</a>' for label, _, href in links)
        + "</p>"
    )
    description = (
        f"{fr or en or title}: what the French Tech Aix-Marseille graph says, with sources"
    )
    return h.page(
        title,
        "\n".join(parts),
        root=root,
        alternates=[(media, href) for _, media, href in links],
        description=description,
    )
