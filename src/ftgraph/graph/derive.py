"""Build-time derivations: alignment materialisation and article mentions (DESIGN.md).

Materialised so plain SPARQL (no reasoner) finds data through superclasses, superproperties and
inverses, and still knows which article states an entailed triple: it lands in its premise's graph.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from ftgraph.graph.sources import is_source_graph
from ftgraph.vocab import ID, IS_REFERENCED_BY, PREFIXES, RDF_TYPE

SUBCLASS_OF = ox.NamedNode(PREFIXES["rdfs"] + "subClassOf")
SUBPROPERTY_OF = ox.NamedNode(PREFIXES["rdfs"] + "subPropertyOf")
EQUIVALENT_CLASS = ox.NamedNode(PREFIXES["owl"] + "equivalentClass")
EQUIVALENT_PROPERTY = ox.NamedNode(PREFIXES["owl"] + "equivalentProperty")
INVERSE_OF = ox.NamedNode(PREFIXES["owl"] + "inverseOf")


@dataclass(frozen=True)
class Alignment:
    """Closed-over ontology axioms: the supers of each class and property, and property inverses."""

    superclasses: Mapping[ox.NamedNode, frozenset[ox.NamedNode]] = field(default_factory=dict)
    superproperties: Mapping[ox.NamedNode, frozenset[ox.NamedNode]] = field(default_factory=dict)
    inverses: Mapping[ox.NamedNode, frozenset[ox.NamedNode]] = field(default_factory=dict)


def _closure(
    edges: Mapping[ox.NamedNode, set[ox.NamedNode]],
) -> dict[ox.NamedNode, frozenset[ox.NamedNode]]:
    """Transitive closure of a direct-super relation, without the term itself."""
    result: dict[ox.NamedNode, frozenset[ox.NamedNode]] = {}
    for start in edges:
        seen: set[ox.NamedNode] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(edges.get(node, ()))
        seen.discard(start)
        if seen:
            result[start] = frozenset(seen)
    return result


def alignment(ontology: Iterable[ox.Quad]) -> Alignment:
    """Read sub/equivalent class and property and inverse axioms; class expressions are skipped."""
    classes: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    properties: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    inverses: dict[ox.NamedNode, set[ox.NamedNode]] = {}
    for q in ontology:
        s, p, o = q.subject, q.predicate, q.object
        if not (isinstance(s, ox.NamedNode) and isinstance(o, ox.NamedNode)) or s == o:
            continue
        if p == SUBCLASS_OF:
            classes.setdefault(s, set()).add(o)
        elif p == EQUIVALENT_CLASS:
            classes.setdefault(s, set()).add(o)
            classes.setdefault(o, set()).add(s)
        elif p == SUBPROPERTY_OF:
            properties.setdefault(s, set()).add(o)
        elif p == EQUIVALENT_PROPERTY:
            properties.setdefault(s, set()).add(o)
            properties.setdefault(o, set()).add(s)
        elif p == INVERSE_OF:
            inverses.setdefault(s, set()).add(o)
            inverses.setdefault(o, set()).add(s)
    return Alignment(
        _closure(classes),
        _closure(properties),
        {p: frozenset(rs) for p, rs in inverses.items()},
    )


def _consequences(q: ox.Quad, align: Alignment) -> Iterator[ox.Quad]:
    """One step of entailment from a single quad, in the same graph."""
    s, p, o, g = q.subject, q.predicate, q.object, q.graph_name
    if p == RDF_TYPE and isinstance(o, ox.NamedNode):
        for d in align.superclasses.get(o, ()):
            yield ox.Quad(s, RDF_TYPE, d, g)
    for sup in align.superproperties.get(p, ()):
        yield ox.Quad(s, sup, o, g)
    if isinstance(o, ox.NamedNode | ox.BlankNode):
        for inv in align.inverses.get(p, ()):
            yield ox.Quad(o, inv, s, g)


def materialise(quads: Iterable[ox.Quad], align: Alignment) -> list[ox.Quad]:
    """Entailed quads not already stated, to a fixed point (supers of inverses of supers …)."""
    stated = dict.fromkeys(quads)
    derived: dict[ox.Quad, None] = {}
    todo = deque(stated)
    while todo:
        for c in _consequences(todo.popleft(), align):
            if c not in stated and c not in derived:
                derived[c] = None
                todo.append(c)
    return list(derived)


def mentions(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """``(x, dcterms:isReferencedBy, g, g)`` for each entity IRI appearing in source graph ``g``."""
    out: dict[ox.Quad, None] = {}
    for q in quads:
        g = q.graph_name
        if not is_source_graph(g):
            continue
        assert isinstance(g, ox.NamedNode)
        for term in (q.subject, q.object):
            if isinstance(term, ox.NamedNode) and term.value.startswith(ID) and term != g:
                out[ox.Quad(term, IS_REFERENCED_BY, g, g)] = None
    return list(out)


def derive(ontology: Iterable[ox.Quad], data: Iterable[ox.Quad]) -> list[ox.Quad]:
    """All derived quads of DESIGN.md steps 1 and 2 for the stated ontology and data quads."""
    onto = list(ontology)
    stated = [*onto, *data]
    entailed = materialise(stated, alignment(onto))
    known = set(stated).union(entailed)
    extra = [m for m in mentions([*stated, *entailed]) if m not in known]
    return [*entailed, *extra]


# --- streaming derivation for the store build -------------------------------------------------
#
# ``derive`` above holds every stated and derived quad in Python containers, which is what
# validation needs. The store build only needs the derived quads once, in order, so it streams
# them straight into the bulk loader instead: the entailments of a quad depend on that quad alone,
# so stated plus entailed is the union of each stated quad's own closure, and the store's set
# semantics remove repeats. Each predicate's closure is computed once on placeholder terms.

_S = ox.NamedNode("urn:ftgraph:derive:subject")
_O = ox.NamedNode("urn:ftgraph:derive:object")
_LIT = ox.Literal("urn:ftgraph:derive:literal")
_G = ox.NamedNode("urn:ftgraph:derive:graph")

Template = tuple[tuple[ox.NamedNode, bool], ...]
"""Entailed ``(predicate, swapped)`` pairs of one premise predicate: ``(o, q, s)`` when swapped."""


@dataclass(frozen=True)
class Rules:
    """Per-predicate closures of an :class:`Alignment`, ready to apply quad by quad."""

    superclasses: Mapping[ox.NamedNode, tuple[ox.NamedNode, ...]]
    resource_object: Mapping[ox.NamedNode, Template]
    """Templates when the object is an IRI or blank node (inverses apply)."""
    literal_object: Mapping[ox.NamedNode, Template]
    """Templates when the object is a literal (no inverse can apply)."""


def _template(p: ox.NamedNode, obj: ox.NamedNode | ox.Literal, align: Alignment) -> Template | None:
    out: list[tuple[ox.NamedNode, bool]] = []
    for q in materialise([ox.Quad(_S, p, obj, _G)], align):
        if q.subject == _S and q.object == obj:
            out.append((q.predicate, False))
        elif q.subject == obj and q.object == _S:
            out.append((q.predicate, True))
        else:
            return None
    return tuple(sorted(out, key=lambda t: (t[0].value, t[1])))


def compile_rules(align: Alignment) -> Rules | None:
    """Closures per predicate, or None when ``rdf:type`` itself has super- or inverse properties.

    Then a type entailment could feed a property one and back, and the closure would depend on the
    terms as well as the predicate: :func:`derive_stream` falls back to :func:`materialise`.
    """
    props = set(align.superproperties) | set(align.inverses)
    related = {q for qs in (*align.superproperties.values(), *align.inverses.values()) for q in qs}
    if RDF_TYPE in props or RDF_TYPE in related:
        return None
    resource: dict[ox.NamedNode, Template] = {}
    literal: dict[ox.NamedNode, Template] = {}
    for p in props:
        res, lit = _template(p, _O, align), _template(p, _LIT, align)
        if res is None or lit is None:
            return None
        if res:
            resource[p] = res
        if lit:
            literal[p] = lit
    classes = {c: tuple(sorted(ds, key=lambda d: d.value)) for c, ds in align.superclasses.items()}
    return Rules(classes, resource, literal)


def derive_stream(ontology: Iterable[ox.Quad], data: Iterable[ox.Quad]) -> Iterator[ox.Quad]:
    """Every quad of :func:`derive`, streamed, possibly repeated or equal to a stated quad.

    For a consumer with set semantics (the store's bulk loader) the result is the same as
    :func:`derive`'s, without holding the stated and derived quads in Python.
    """
    onto = list(ontology)
    align = alignment(onto)
    rules = compile_rules(align)
    stated: Iterable[ox.Quad] = (q for part in (onto, data) for q in part)
    if rules is None:
        quads = list(stated)
        entailed = materialise(quads, align)
        yield from entailed
        yield from mentions([*quads, *entailed])
        return
    superclasses = rules.superclasses
    resource, literal = rules.resource_object, rules.literal_object
    is_resource = (ox.NamedNode, ox.BlankNode)
    last_graph: object = None
    source = False
    seen: set[ox.NamedNode] = set()
    for q in stated:
        s, p, o, g = q.subject, q.predicate, q.object, q.graph_name
        supers: tuple[ox.NamedNode, ...] = ()
        if p == RDF_TYPE:
            if isinstance(o, ox.NamedNode):
                supers = superclasses.get(o, ())
                for d in supers:
                    yield ox.Quad(s, RDF_TYPE, d, g)
        else:
            templates = (resource if isinstance(o, is_resource) else literal).get(p)
            if templates:
                for r, swapped in templates:
                    yield ox.Quad(o, r, s, g) if swapped else ox.Quad(s, r, o, g)  # type: ignore[arg-type]
        if g != last_graph:
            # Quads come grouped by graph: mentions are deduplicated per run of one graph.
            last_graph, source = g, is_source_graph(g)
            seen = set()
        if not source:
            continue
        assert isinstance(g, ox.NamedNode)
        for term in (s, o, *supers):
            if isinstance(term, ox.NamedNode) and term not in seen:
                seen.add(term)
                if term.value.startswith(ID) and term != g:
                    yield ox.Quad(term, IS_REFERENCED_BY, g, g)
