"""Reading SHACL shapes for the SPARQL engine: the shapes graph, the shapes that run, and the check
that every constraint they use is supported (refused by name before any query runs)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

Term = ox.NamedNode | ox.BlankNode | ox.Literal


CASTABLE = {
    XSD[name]
    for name in (
        "boolean",
        "double",
        "float",
        "decimal",
        "integer",
        "dateTime",
        "date",
        "time",
        "gYearMonth",
        "gYear",
        "gMonthDay",
        "gDay",
        "gMonth",
        "duration",
        "yearMonthDuration",
        "dayTimeDuration",
    )
}
"""Datatypes whose well-formedness Oxigraph's cast functions decide (an ill-typed literal fails to cast)."""

_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)

_ANNOTATIONS = {
    RDF.type,
    SH.message,
    SH.severity,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.path,
    SH.property,
    *_TARGETS,
}
"""Parameters of a shape that are not constraints (or are handled with the shape itself)."""

VALUE_FILTERS = {
    SH["class"],
    SH.datatype,
    SH.nodeKind,
    SH.pattern,
    SH.flags,
    SH.languageIn,
    SH.minLength,
    SH.maxLength,
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH["in"],
}
PER_FOCUS = {SH.minCount, SH.maxCount, SH.hasValue, SH.uniqueLang}
PAIRS = {SH.lessThanOrEquals, SH.lessThan}
NESTED = {
    SH["or"],
    SH.xone,
    SH["and"],
    SH["not"],
    SH.node,
    SH.qualifiedValueShape,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
}
SUPPORTED_PARAMETERS = frozenset({*VALUE_FILTERS, *PER_FOCUS, *PAIRS, *NESTED, SH.sparql})
"""Every SHACL constraint parameter this engine evaluates; any other ``sh:`` parameter is refused."""

_PATH_PARAMETERS = {
    SH.inversePath,
    SH.alternativePath,
    SH.zeroOrMorePath,
    SH.oneOrMorePath,
    SH.zeroOrOnePath,
}
_SPARQL_KEYS = {RDF.type, SH.select, SH.message, SH.prefixes, SH.deactivated}
NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI(?value)",
    SH.BlankNode: "isBlank(?value)",
    SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))",
    SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))",
    SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))",
}


class UnsupportedShapeError(ValueError):
    """A shape uses SHACL this engine does not implement; ``--engine pyshacl`` still validates it."""


# --- SPARQL text ---------------------------------------------------------------------------------


def sparql_string(text: str) -> str:
    """A SPARQL string literal holding ``text`` exactly."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


def sparql_term(node: Node, where: str) -> str:
    """An IRI or literal of the shapes graph written in a query; blank nodes cannot be."""
    if isinstance(node, rdflib.URIRef):
        return f"<{node}>"
    if isinstance(node, rdflib.Literal):
        if node.language:
            return f"{sparql_string(str(node))}@{node.language}"
        datatype = node.datatype or XSD.string
        return f"{sparql_string(str(node))}^^<{datatype}>"
    raise UnsupportedShapeError(f"{where}: a blank node cannot be compared by value")


class Shapes:
    """The shapes graph, read with the few helpers the compiler needs."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph

    def value(self, node: Node, pred: Node) -> Node | None:
        """The one value of ``pred`` (an arbitrary one if several: callers check that first)."""
        return self.graph.value(node, pred)

    def values(self, node: Node, pred: Node) -> list[Node]:
        """All values, in a stable order."""
        return sorted(self.graph.objects(node, pred), key=lambda n: (type(n).__name__, str(n)))

    def items(self, node: Node) -> list[Node]:
        """The members of an RDF list."""
        return list(Collection(self.graph, node))

    def name(self, node: Node) -> str:
        """How an error names a shape: its IRI, or the path of an anonymous one."""
        if isinstance(node, rdflib.URIRef):
            return f"<{node}>"
        path = self.value(node, SH.path)
        parent = next(self.graph.subjects(SH.property, node), None)
        shown = f"<{path}>" if isinstance(path, rdflib.URIRef) else "a complex path"
        owner = f" of {self.name(parent)}" if parent is not None else ""
        return f"the anonymous shape on {shown}{owner}"

    def path(self, node: Node, where: str) -> str:
        """A SHACL property path as a SPARQL property path."""
        if isinstance(node, rdflib.URIRef):
            return f"<{node}>"
        if (node, RDF.first, None) in self.graph:
            return "(" + "/".join(self.path(x, where) for x in self.items(node)) + ")"
        preds = {p for p in self.graph.predicates(node, None)}
        for pred, fmt in (
            (SH.inversePath, "^({})"),
            (SH.zeroOrMorePath, "({})*"),
            (SH.oneOrMorePath, "({})+"),
            (SH.zeroOrOnePath, "({})?"),
        ):
            if pred in preds:
                inner = self.value(node, pred)
                assert inner is not None
                return fmt.format(self.path(inner, where))
        if SH.alternativePath in preds:
            alt = self.value(node, SH.alternativePath)
            assert alt is not None
            return "(" + "|".join(self.path(x, where) for x in self.items(alt)) + ")"
        raise UnsupportedShapeError(f"{where}: unsupported property path {node!r}")

    def is_true(self, node: Node, pred: Node) -> bool:
        """``pred`` is ``true`` on ``node``."""
        v = self.value(node, pred)
        return isinstance(v, rdflib.Literal) and v.toPython() is True


# --- shapes that run, and the check that they are all supported ----------------------------------


def target_shapes(shapes: Shapes) -> list[Node]:
    """Shapes with a target (explicit, or implicit: a shape that is also an rdfs:Class), stable order."""
    g = shapes.graph
    found = {s for t in _TARGETS for s in g.subjects(t, None)}
    found |= {
        s
        for s in g.subjects(RDF.type, RDFS.Class)
        if (s, RDF.type, SH.NodeShape) in g or (s, RDF.type, SH.PropertyShape) in g
    }
    return sorted(found, key=lambda n: (isinstance(n, rdflib.BNode), str(n)))


def _nested_shapes(shapes: Shapes, shape: Node) -> Iterator[Node]:
    g = shapes
    yield from g.values(shape, SH.property)
    yield from g.values(shape, SH.node)
    yield from g.values(shape, SH.qualifiedValueShape)
    yield from g.values(shape, SH["not"])
    for pred in (SH["or"], SH.xone, SH["and"]):
        for lst in g.values(shape, pred):
            yield from g.items(lst)


def check_supported(shapes: Shapes, roots: list[Node] | None = None) -> None:
    """Raise :class:`UnsupportedShapeError` naming the first shape parameter this engine cannot run.

    Walks every shape reachable from the target shapes (or ``roots``), so nothing is skipped at run time.
    """
    seen: set[Node] = set()
    todo = list(target_shapes(shapes) if roots is None else roots)
    while todo:
        shape = todo.pop()
        if shape in seen:
            continue
        seen.add(shape)
        where = shapes.name(shape)
        for pred in sorted(set(shapes.graph.predicates(shape, None)), key=str):
            if not str(pred).startswith(str(SH)) or pred in _ANNOTATIONS:
                continue
            if pred not in SUPPORTED_PARAMETERS:
                raise UnsupportedShapeError(
                    f"{where}: {local_name(pred)} is not supported by the SPARQL engine "
                    "(run `ftgraph validate --engine pyshacl`)"
                )
        path = shapes.value(shape, SH.path)
        if path is not None:
            shapes.path(path, where)
        for pred in (SH.minCount, SH.maxCount, SH.uniqueLang):
            if path is None and (shape, pred, None) in shapes.graph:
                raise UnsupportedShapeError(f"{where}: {local_name(pred)} needs sh:path")
        if shapes.is_true(shape, SH.qualifiedValueShapesDisjoint):
            raise UnsupportedShapeError(
                f"{where}: sh:qualifiedValueShapesDisjoint is not supported by the SPARQL engine"
            )
        if (shape, SH.flags, None) in shapes.graph and (
            shape,
            SH.pattern,
            None,
        ) not in shapes.graph:
            raise UnsupportedShapeError(f"{where}: sh:flags without sh:pattern")
        for constraint in shapes.values(shape, SH.sparql):
            _check_sparql(shapes, shape, constraint)
        todo.extend(_nested_shapes(shapes, shape))


def _check_sparql(shapes: Shapes, shape: Node, constraint: Node) -> None:
    where = f"SPARQL constraint of {shapes.name(shape)}"
    for pred in shapes.graph.predicates(constraint, None):
        if pred not in _SPARQL_KEYS:
            raise UnsupportedShapeError(f"{where}: {local_name(pred)} is not supported")
    select = shapes.value(constraint, SH.select)
    if not isinstance(select, rdflib.Literal):
        raise UnsupportedShapeError(f"{where}: needs one sh:select query")
    for var in ("currentShape", "shapesGraph"):
        if re.search(rf"[?$]{var}\b", str(select)):
            raise UnsupportedShapeError(f"{where}: ${var} is not supported")


def local_name(iri: Node) -> str:
    text = str(iri)
    return "sh:" + text[len(str(SH)) :] if text.startswith(str(SH)) else f"<{text}>"
