"""The ontology's human page, generated from the ontology graph and the data at run time.

Nothing here is hand-written documentation: every class, property and concept scheme comes from
the store's ontology graph (labels in English and French, comments, domain and range, alignment
axioms), and the examples and counts come from the article graphs, so the page cannot drift from
``ontology/*.ttl``. It is rendered once per store version and cached by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from ftgraph.graph.select import select
from ftgraph.vocab import FTG, META_GRAPH, ONTOLOGY, ONTOLOGY_GRAPH, PREFIXES, compact
from ftgraph.web import shell as h

RDF, RDFS, OWL, SKOS, DCT = (PREFIXES[k] for k in ("rdf", "rdfs", "owl", "skos", "dcterms"))
EXAMPLES = 5
"""Example instances (classes) or statements (properties) shown per term."""

_FILTER = f"FILTER (?g != <{ONTOLOGY_GRAPH}> && ?g != <{META_GRAPH}>)"
"""Examples come from the article graphs only: the ontology graph would show the ontology itself."""

CLASS_COUNTS = f"""SELECT ?class (COUNT(DISTINCT ?x) AS ?n)
WHERE {{ GRAPH ?g {{ ?x a ?class }} {_FILTER} }} GROUP BY ?class"""
CLASS_EXAMPLES = f"""SELECT DISTINCT ?class ?x
WHERE {{ GRAPH ?g {{ ?x a ?class }} {_FILTER} }} ORDER BY ?x LIMIT {EXAMPLES}"""
PROPERTY_COUNTS = f"""SELECT ?property (COUNT(*) AS ?n) WHERE {{
  SELECT DISTINCT ?property ?s ?o WHERE {{ GRAPH ?g {{ ?s ?property ?o }} {_FILTER} }}
}} GROUP BY ?property"""
PROPERTY_EXAMPLES = f"""SELECT DISTINCT ?property ?s ?o
WHERE {{ GRAPH ?g {{ ?s ?property ?o }} {_FILTER} }} ORDER BY ?s ?o LIMIT {EXAMPLES}"""
CONCEPT_USES = f"""SELECT ?concept (COUNT(DISTINCT ?s) AS ?n) WHERE {{
  GRAPH ?g {{ ?s ?p ?concept }} {_FILTER}
  FILTER (?p != <{DCT}isReferencedBy>)
}} GROUP BY ?concept"""
"""The fixed queries behind the page; the term is bound with ``substitutions``, never pasted."""

PROPERTY_TYPES = (
    OWL + "ObjectProperty",
    OWL + "DatatypeProperty",
    OWL + "AnnotationProperty",
    RDF + "Property",
)
CHARACTERISTICS = (
    OWL + "FunctionalProperty",
    OWL + "InverseFunctionalProperty",
    OWL + "TransitiveProperty",
    OWL + "SymmetricProperty",
)


@dataclass(frozen=True)
class Term:
    """One class or property with what the ontology states about it and its uses in the data."""

    iri: str
    types: tuple[str, ...]
    comments: tuple[ox.Literal, ...]
    domain: tuple[str, ...] = ()
    range: tuple[str, ...] = ()
    supers: tuple[str, ...] = ()
    subs: tuple[str, ...] = ()
    equivalents: tuple[str, ...] = ()
    inverses: tuple[str, ...] = ()
    count: int = 0
    examples: tuple[tuple[Any, ...], ...] = ()
    """(instance,) for a class, (subject, object) for a property."""

    @property
    def local(self) -> str:
        """The name after the namespace, used as the page anchor."""
        return self.iri[len(FTG) :]


@dataclass(frozen=True)
class Concept:
    """A SKOS concept of one scheme."""

    iri: str
    definitions: tuple[ox.Literal, ...]
    broader: tuple[str, ...]
    exact: tuple[str, ...]
    uses: int


@dataclass(frozen=True)
class Scheme:
    """A SKOS concept scheme with its concepts."""

    iri: str
    definitions: tuple[ox.Literal, ...]
    concepts: tuple[Concept, ...]


@dataclass
class OntologyDoc:
    """Everything the page shows, read from the store."""

    header: dict[str, list[Any]]
    classes: list[Term]
    properties: list[Term]
    schemes: list[Scheme]
    labels: h.Labels = field(default_factory=h.Labels)


class _Graph:
    """The ontology graph indexed by subject and predicate."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self.index: dict[str, dict[str, list[Any]]] = {}
        for q in quads:
            if isinstance(q.subject, ox.NamedNode):
                self.index.setdefault(q.subject.value, {}).setdefault(q.predicate.value, []).append(
                    q.object
                )

    def objects(self, s: str, p: str) -> list[Any]:
        return self.index.get(s, {}).get(p, [])

    def iris(self, s: str, p: str) -> tuple[str, ...]:
        return tuple(sorted(o.value for o in self.objects(s, p) if isinstance(o, ox.NamedNode)))

    def literals(self, s: str, p: str) -> tuple[ox.Literal, ...]:
        lits = [o for o in self.objects(s, p) if isinstance(o, ox.Literal)]
        return tuple(
            sorted(lits, key=lambda lit: (lit.language != "en", lit.language or "", lit.value))
        )

    def subjects_with(self, p: str, o: str) -> list[str]:
        return sorted(
            s for s, preds in self.index.items() if any(x.value == o for x in preds.get(p, []))
        )

    def typed(self, types: Iterable[str]) -> list[str]:
        wanted = set(types)
        return sorted(
            s
            for s, preds in self.index.items()
            if s.startswith(FTG) and any(t.value in wanted for t in preds.get(RDF + "type", []))
        )


def _rows(store: ox.Store, query: str, subs: dict[ox.Variable, Any] | None = None) -> Iterator[Any]:
    return select(store, query, substitutions=subs or {})


def _counts(store: ox.Store, query: str, key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for row in _rows(store, query):
        k, n = row[key], row["n"]
        if isinstance(k, ox.NamedNode) and n is not None:
            out[k.value] = int(n.value)
    return out


def read(store: ox.Store) -> OntologyDoc:
    """Read the ontology graph and, for examples and counts, the article graphs."""
    g = _Graph(store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH)))
    labels = h.Labels()
    labels.add_quads(store.quads_for_pattern(None, None, None, ox.NamedNode(ONTOLOGY_GRAPH)))
    class_counts = _counts(store, CLASS_COUNTS, "class")
    prop_counts = _counts(store, PROPERTY_COUNTS, "property")
    uses = _counts(store, CONCEPT_USES, "concept")
    mentioned: set[str] = set()

    classes = []
    for c in g.typed((OWL + "Class", RDFS + "Class")):
        examples: tuple[tuple[Any, ...], ...] = tuple(
            (row["x"],)
            for row in _rows(store, CLASS_EXAMPLES, {ox.Variable("class"): ox.NamedNode(c)})
        )
        mentioned.update(e[0].value for e in examples if isinstance(e[0], ox.NamedNode))
        classes.append(
            Term(
                iri=c,
                types=g.iris(c, RDF + "type"),
                comments=g.literals(c, RDFS + "comment"),
                supers=g.iris(c, RDFS + "subClassOf"),
                subs=tuple(g.subjects_with(RDFS + "subClassOf", c)),
                equivalents=g.iris(c, OWL + "equivalentClass"),
                count=class_counts.get(c, 0),
                examples=examples,
            )
        )
    properties = []
    for p in g.typed(PROPERTY_TYPES):
        examples = tuple(
            (row["s"], row["o"])
            for row in _rows(store, PROPERTY_EXAMPLES, {ox.Variable("property"): ox.NamedNode(p)})
        )
        for ex in examples:
            mentioned.update(t.value for t in ex if isinstance(t, ox.NamedNode))
        properties.append(
            Term(
                iri=p,
                types=g.iris(p, RDF + "type"),
                comments=g.literals(p, RDFS + "comment"),
                domain=g.iris(p, RDFS + "domain"),
                range=g.iris(p, RDFS + "range"),
                supers=g.iris(p, RDFS + "subPropertyOf"),
                subs=tuple(g.subjects_with(RDFS + "subPropertyOf", p)),
                equivalents=g.iris(p, OWL + "equivalentProperty"),
                inverses=g.iris(p, OWL + "inverseOf"),
                count=prop_counts.get(p, 0),
                examples=examples,
            )
        )
    schemes = []
    for s in sorted(
        subj
        for subj, preds in g.index.items()
        if any(t.value == SKOS + "ConceptScheme" for t in preds.get(RDF + "type", []))
    ):
        members = set(g.subjects_with(SKOS + "inScheme", s)) | set(
            g.iris(s, SKOS + "hasTopConcept")
        )
        concepts = tuple(
            Concept(
                iri=c,
                definitions=g.literals(c, SKOS + "definition"),
                broader=g.iris(c, SKOS + "broader"),
                exact=g.iris(c, SKOS + "exactMatch"),
                uses=uses.get(c, 0),
            )
            for c in sorted(members, key=lambda c: labels.text(c).lower())
        )
        schemes.append(Scheme(s, g.literals(s, SKOS + "definition"), concepts))
    for iri in sorted(mentioned):
        node = ox.NamedNode(iri)
        for pred in (h.RDFS_LABEL, h.SKOS_PREF_LABEL):
            labels.add_quads(
                q
                for q in store.quads_for_pattern(node, ox.NamedNode(pred), None, None)
                if q.graph_name != ox.NamedNode(META_GRAPH)
            )
    header = g.index.get(ONTOLOGY, {})
    return OntologyDoc(header, classes, properties, schemes, labels)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _both_languages(labels: h.Labels, iri: str) -> str:
    """English and French labels side by side, each marked with its language."""
    langs = labels.by_iri.get(iri, {})
    en = next((v for k, v in sorted(langs.items()) if k.endswith(":en")), None)
    fr = next((v for k, v in sorted(langs.items()) if k.endswith(":fr")), None)
    parts = []
    if en:
        parts.append(f'<span lang="en">{h.esc(en)}</span>')
    if fr:
        parts.append(f'<span lang="fr" class="en">{h.esc(fr)}</span>')
    return " · ".join(parts) or h.esc(compact(iri))


def _texts(literals: Iterable[ox.Literal]) -> str:
    return "".join(
        f'<p lang="{h.esc(lit.language or "")}">{h.esc(lit.value)}'
        + (f' <span class="lang">@{h.esc(lit.language)}</span>' if lit.language else "")
        + "</p>"
        for lit in literals
    )


def _links(iris: Iterable[str], labels: h.Labels, root: str) -> str:
    return ", ".join(h.link(i, labels, root) for i in iris)


def _row(name: str, value: str) -> str:
    return f"<dt>{h.esc(name)}</dt><dd>{value}</dd>" if value else ""


def _term_section(t: Term, labels: h.Labels, root: str, is_class: bool) -> str:
    page = h.href_for(t.iri, root) or ""
    kinds = ", ".join(compact(x) for x in t.types if x not in (OWL + "Class",))
    rows = [
        _row("IRI", f'<a class="iri" href="{h.esc(page)}">{h.esc(t.iri)}</a>'),
        _row("Type", h.esc(kinds)) if kinds else "",
        _row("Domain", _links(t.domain, labels, root)),
        _row("Range", _links(t.range, labels, root)),
        _row("Subclass of" if is_class else "Subproperty of", _links(t.supers, labels, root)),
        _row("Subclasses" if is_class else "Subproperties", _links(t.subs, labels, root)),
        _row("Equivalent to", _links(t.equivalents, labels, root)),
        _row("Inverse of", _links(t.inverses, labels, root)),
    ]
    if t.examples:
        if is_class:
            items = "".join(f"<li>{h.term(e[0], labels, root)}</li>" for e in t.examples)
        else:
            items = "".join(
                f"<li>{h.term(e[0], labels, root)} → {h.term(e[1], labels, root)}</li>"
                for e in t.examples
            )
        noun = "instances" if is_class else "statements"
        rows.append(_row(f"Examples ({t.count} {noun})", f'<ul class="compact">{items}</ul>'))
    else:
        rows.append(_row("Examples", '<span class="mute">none in the data</span>'))
    return (
        f'<section class="term" id="{h.esc(t.local)}"><h3>{_both_languages(labels, t.iri)} '
        f'<code class="mute">ftg:{h.esc(t.local)}</code></h3>'
        f"{_texts(t.comments)}"
        f'<dl class="facts">{"".join(rows)}</dl></section>'
    )


def _scheme_section(s: Scheme, labels: h.Labels, root: str) -> str:
    anchor = "scheme-" + s.iri.rstrip("/").rsplit("/", 1)[-1]
    items = []
    for c in s.concepts:
        extra = []
        if c.broader:
            extra.append("broader: " + _links(c.broader, labels, root))
        if c.exact:
            extra.append("exact match: " + _links(c.exact, labels, root))
        extra.append(f"used by {c.uses}")
        defs = "".join(f" — <span>{h.esc(d.value)}</span>" for d in c.definitions[:1])
        target = h.href_for(c.iri, root) or ""
        items.append(
            f'<li><a href="{h.esc(target)}">{_both_languages(labels, c.iri)}</a>{defs}'
            f' <span class="mute">({"; ".join(extra)})</span></li>'
        )
    target = h.href_for(s.iri, root) or ""
    return (
        f'<section class="term" id="{h.esc(anchor)}">'
        f'<h3><a href="{h.esc(target)}">{_both_languages(labels, s.iri)}</a></h3>'
        f"{_texts(s.definitions)}"
        f'<ul class="compact">{"".join(items)}</ul></section>'
    )


def _toc(terms: Iterable[Term], labels: h.Labels) -> str:
    return ", ".join(
        f'<a href="#{h.esc(quote(t.local))}">{h.esc(_en(labels, t.iri))}</a>' for t in terms
    )


def _en(labels: h.Labels, iri: str) -> str:
    langs = labels.by_iri.get(iri, {})
    return next((v for k, v in sorted(langs.items()) if k.endswith(":en")), "") or compact(iri)


def render(doc: OntologyDoc, root: str = "", downloads: Sequence[tuple[str, str, str]] = ()) -> str:
    """The ontology page: header, contents, classes, properties, concept schemes.

    ``downloads`` are the (label, media type, href) of the RDF renderings of the same document.
    """
    labels = doc.labels
    head = doc.header
    titles = [o for o in head.get(DCT + "title", []) if isinstance(o, ox.Literal)]
    title = next((t.value for t in titles if t.language == "en"), "ftgraph ontology")
    descriptions = sorted(
        (o for o in head.get(DCT + "description", []) if isinstance(o, ox.Literal)),
        key=lambda lit: lit.language != "en",
    )
    meta_rows = [
        _row("IRI", f'<span class="iri">{h.esc(ONTOLOGY)}</span>'),
        _row("Version", h.esc(", ".join(o.value for o in head.get(OWL + "versionInfo", [])))),
        _row("License", _links((o.value for o in head.get(DCT + "license", [])), labels, root)),
        _row("See also", _links((o.value for o in head.get(RDFS + "seeAlso", [])), labels, root)),
    ]
    links = downloads
    parts = [
        f"<h1>{h.esc(title)}</h1>",
        "".join(
            f"<p>{h.esc(t.value)} <span class='lang'>@{h.esc(t.language or '')}</span></p>"
            for t in titles
            if t.language != "en"
        ),
        _texts(descriptions),
        f'<dl class="facts">{"".join(meta_rows)}</dl>',
        '<p class="formats mute">Download: '
        + "".join(f'<a href="{h.esc(href)}">{h.esc(label)}</a>' for label, _, href in links)
        + "</p>",
        "<h2>Contents</h2>",
        f"<p><strong>Classes:</strong> {_toc(doc.classes, labels)}</p>",
        f"<p><strong>Properties:</strong> {_toc(doc.properties, labels)}</p>",
        "<p><strong>Concept schemes:</strong> "
        + ", ".join(
            f'<a href="#scheme-{h.esc(s.iri.rstrip("/").rsplit("/", 1)[-1])}">{h.esc(_en(labels, s.iri))}</a>'
            for s in doc.schemes
        )
        + "</p>",
        f"<h2>Classes ({len(doc.classes)})</h2>",
        *(_term_section(t, labels, root, True) for t in doc.classes),
        f"<h2>Properties ({len(doc.properties)})</h2>",
        *(_term_section(t, labels, root, False) for t in doc.properties),
        f"<h2>Concept schemes ({len(doc.schemes)})</h2>",
        *(_scheme_section(s, labels, root) for s in doc.schemes),
    ]
    return h.page(
        title,
        "\n".join(p for p in parts if p),
        root=root,
        alternates=[(media, href) for _, media, href in links],
        description="Classes, properties and concept schemes of the ftgraph ontology",
    )
