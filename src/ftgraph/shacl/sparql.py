"""SHACL shapes compiled to SPARQL and evaluated on a pyoxigraph store's default graph.

pyshacl walks an rdflib graph node by node; on a million triples that takes minutes and gigabytes. Here
every constraint of every shape becomes one SPARQL query over all focus nodes at once, run by Oxigraph,
and the rows come back as :class:`ftgraph.shacl.report.RawResult` s, rendered by the same code as pyshacl's.

Scope: the SHACL Core components and SPARQL-based constraints that ``shapes/`` uses (plus a few trivial
siblings); anything else raises :class:`UnsupportedShapeError` before a single query runs, never a
silent skip. Nested shapes (``sh:or``, ``sh:xone``, ``sh:and``, ``sh:not``, ``sh:node``,
``sh:qualifiedValueShape``) are evaluated exactly: the nested shape is itself compiled and run over the
candidate value nodes (a sub-select), and the set of value nodes that do not conform is combined in
Python. Deliberate choices where pyshacl and the SHACL spec could differ, all matching pyshacl 0.40:

- several ``sh:node`` values on one shape give one result per failing value node (not one per shape);
- ``sh:uniqueLang`` gives one result per focus node and duplicated (lower-cased) language, no value;
- ``sh:lessThanOrEquals`` / ``sh:lessThan`` give one result per failing (value, other value) pair;
- a SPARQL constraint's messages are its own ``sh:message`` then the shape's, with ``{?var}`` /
  ``{$var}`` replaced by the lexical form of that variable's binding; duplicate solutions count once.

Known divergence: ``sh:datatype`` checks well-formedness with Oxigraph's XSD casts, which follow XSD
strictly; rdflib (hence pyshacl) also accepts e.g. ``"14"^^xsd:gYear``, ``"1e3"^^xsd:decimal`` and
``"PT"^^xsd:duration``. Results without any ``sh:message`` get our own default message, not pyshacl's.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from ftgraph.graph.progress import SILENT, Progress
from ftgraph.graph.select import select
from ftgraph.shacl.constraints import Context, Focus, Result, Term
from ftgraph.shacl.report import RawResult
from ftgraph.shacl.shapes import (
    NESTED,
    PAIRS,
    PER_FOCUS,
    VALUE_FILTERS,
    Shapes,
    check_supported,
    sparql_term,
    target_shapes,
)


class Evaluator:
    """Runs compiled shapes on one store; nested-shape conformance is cached per (shape, focus set)."""

    def __init__(self, store: ox.Store, shapes: rdflib.Graph) -> None:
        self.store = store
        self.shapes = Shapes(shapes)
        self._fresh = count()
        self._nested: dict[tuple[Node, str], list[Result]] = {}

    # -- queries --

    def rows(self, query: str) -> Iterator[ox.QuerySolution]:
        return select(self.store, query)

    def targets(self, shape: Node) -> Focus:
        """Focus nodes of a target shape, SHACL instances following rdfs:subClassOf*."""
        s = self.shapes
        parts = [
            f"{{ ?this <{RDF.type}>/<{RDFS.subClassOf}>* {sparql_term(c, s.name(shape))} }}"
            for c in s.values(shape, SH.targetClass)
        ]
        if (shape, RDF.type, RDFS.Class) in s.graph:
            parts.append(f"{{ ?this <{RDF.type}>/<{RDFS.subClassOf}>* {sparql_term(shape, '')} }}")
        nodes = [sparql_term(n, s.name(shape)) for n in s.values(shape, SH.targetNode)]
        if nodes:
            parts.append(f"{{ VALUES ?this {{ {' '.join(nodes)} }} }}")
        parts += [
            f"{{ ?this {sparql_term(p, s.name(shape))} ?o }}"
            for p in s.values(shape, SH.targetSubjectsOf)
        ]
        parts += [
            f"{{ ?s {sparql_term(p, s.name(shape))} ?this }}"
            for p in s.values(shape, SH.targetObjectsOf)
        ]
        return Focus(f"{{ SELECT DISTINCT ?this WHERE {{ {' UNION '.join(parts)} }} }}")

    def value_focus(self, shape: Node, focus: Focus) -> Focus:
        """The value nodes of ``shape`` at ``focus``, as the focus set of a nested shape."""
        path = self.shapes.value(shape, SH.path)
        if path is None:
            return focus
        f = f"?f{next(self._fresh)}"
        sparql_path = self.shapes.path(path, self.shapes.name(shape))
        return Focus(
            f"{{ SELECT DISTINCT ?this WHERE {{ {{ SELECT (?this AS {f}) WHERE {{ {focus.pattern} }} }} "
            f"{f} {sparql_path} ?this }} }}"
        )

    def value_nodes(self, shape: Node, focus: Focus) -> str:
        """Pattern binding ``?this`` and each of its value nodes ``?value``."""
        path = self.shapes.value(shape, SH.path)
        if path is None:
            return f"{focus.pattern} BIND(?this AS ?value)"
        return f"{focus.pattern} ?this {self.shapes.path(path, self.shapes.name(shape))} ?value ."

    # -- shapes --

    def run(self, progress: Progress = SILENT) -> list[RawResult]:
        """Every result of every target shape, in shape order (one unit of progress a shape)."""
        roots = target_shapes(self.shapes)
        check_supported(self.shapes, roots)
        progress.phase("shapes", total=len(roots), unit="shapes")
        out: list[RawResult] = []
        for shape in roots:
            out.extend(self.shape_results(shape, self.targets(shape)))
            progress.advance()
        return out

    def nonconforming(self, shape: Node, focus: Focus) -> frozenset[Term]:
        """Nodes of ``focus`` that do not conform to ``shape`` (any result, whatever its severity)."""
        return frozenset(r.owner for r in self.nested_results(shape, focus))

    def nested_results(self, shape: Node, focus: Focus) -> list[Result]:
        """:meth:`_results` of a nested shape, computed once per focus set."""
        key = (shape, focus.pattern)
        if key not in self._nested:
            self._nested[key] = self._results(shape, focus)
        return self._nested[key]

    def shape_results(self, shape: Node, focus: Focus) -> list[RawResult]:
        """Results of ``shape`` and its property shapes at the nodes of ``focus``."""
        return [r.raw for r in self._results(shape, focus)]

    def _results(self, shape: Node, focus: Focus) -> list[Result]:
        s = self.shapes
        if s.is_true(shape, SH.deactivated):
            return []
        out: list[Result] = []
        ctx = Context(self, shape, focus)
        preds = set(s.graph.predicates(shape, None))
        for pred in sorted(preds & VALUE_FILTERS - {SH.flags}, key=str):
            for param in s.values(shape, pred):
                out += ctx.value_filter(pred, param)
        for pred in sorted(preds & PER_FOCUS, key=str):
            for param in s.values(shape, pred):
                out += ctx.per_focus(pred, param)
        for pred in sorted(preds & PAIRS, key=str):
            for param in s.values(shape, pred):
                out += ctx.pairs(pred, param)
        if preds & NESTED:
            out += ctx.nested()
        for constraint in s.values(shape, SH.sparql):
            out += ctx.sparql(constraint)
        for prop in s.values(shape, SH.property):
            out += self._results(prop, focus)
        return out


def evaluate(store: ox.Store, shapes: rdflib.Graph, progress: Progress = SILENT) -> list[RawResult]:
    """All results of ``shapes`` on ``store``'s default graph; raises :class:`UnsupportedShapeError`."""
    return Evaluator(store, shapes).run(progress)
