"""Build-time derivations: alignment materialisation and article mentions (DESIGN.md).

Materialised so plain SPARQL (no reasoner) finds data through superclasses, superproperties and
inverses, and still knows which article states an entailed triple: it lands in its premise's graph.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from ftgraph.namespaces import ID, PREFIXES
from ftgraph.sources import is_source_graph

RDF_TYPE = ox.NamedNode(PREFIXES["rdf"] + "type")
SUBCLASS_OF = ox.NamedNode(PREFIXES["rdfs"] + "subClassOf")
SUBPROPERTY_OF = ox.NamedNode(PREFIXES["rdfs"] + "subPropertyOf")
EQUIVALENT_CLASS = ox.NamedNode(PREFIXES["owl"] + "equivalentClass")
EQUIVALENT_PROPERTY = ox.NamedNode(PREFIXES["owl"] + "equivalentProperty")
INVERSE_OF = ox.NamedNode(PREFIXES["owl"] + "inverseOf")
IS_REFERENCED_BY = ox.NamedNode(PREFIXES["dcterms"] + "isReferencedBy")


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
