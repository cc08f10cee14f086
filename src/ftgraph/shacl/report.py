"""SHACL results as ftgraph reports them: violations located at ``file:line`` in the inputs, rendered
the same way whichever engine produced them (pyshacl's report graph or :mod:`ftgraph.shacl.sparql` rows)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from ftgraph.graph.sources import SourceFile, display_path
from ftgraph.vocab import PREFIXES

_SEVERITY: dict[Node, str] = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result, with the data line to look at when it can be found."""

    focus_node: str
    result_path: str | None
    message: str
    source_shape: str
    severity: str
    """``Violation``, ``Warning`` or ``Info``."""
    constraint_component: str
    location: str | None
    """``file:line`` of the first data line mentioning the focus node."""


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of validating one root; ``conforms`` ignores warnings and infos."""

    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    files: int = 0
    triples: int = 0


# --- pyoxigraph -> rdflib ----------------------------------------------------------------------


def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph) -> Node:
    """Same term in rdflib (quoted triples are not expected in ftgraph data)."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    raise TypeError(f"unsupported term in SHACL input: {term!r}")


def to_graph(quads: Iterable[ox.Quad], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """Union of the quads' triples in one rdflib Graph."""
    g = graph if graph is not None else rdflib.Graph()
    add = g.add
    for q in quads:
        add((to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object)))
    return g


_PN_LOCAL_ESCAPABLE = re.compile(r"([~.\-!$&'()*+,;=/?#@%_])")
_AFTER_NAME = r"(?![\w\-:%\\]|\.[\w\-:%\\])"


def _candidates(iri: str, prefixes: dict[str, str]) -> list[str]:
    """Spellings of an IRI in a Turtle/TriG file: ``<iri>`` and any ``prefix:local`` form."""
    out = [re.escape(f"<{iri}>")]
    for prefix, ns in prefixes.items():
        if ns and iri.startswith(ns):
            local = iri[len(ns) :]
            variants = {local, _PN_LOCAL_ESCAPABLE.sub(r"\\\1", local)}
            for v in variants:
                if v == "" or re.fullmatch(r"[\w\-.:%\\~!$&'()*+,;=/?#@]+", v):
                    out.append(r"(?<![\w\-:.%])" + re.escape(f"{prefix}:{v}") + _AFTER_NAME)
    return out


@lru_cache(maxsize=4096)
def _line_starts(text: str) -> tuple[int, ...]:
    return (0, *(m.end() for m in re.finditer("\n", text)))


def locate(iri: str, files: Sequence[SourceFile]) -> str | None:
    """``file:line`` where ``iri`` is described: in data files first, its first line as a subject, else its
    first mention; then the same in the other files. Lines in comments are skipped.
    """
    for group in (
        [f for f in files if f.kind == "data"],
        [f for f in files if f.kind != "data"],
    ):
        first_mention: str | None = None
        for f in sorted(group, key=lambda f: f.relpath):
            text = f.text
            starts = _line_starts(text)
            pattern = "|".join(_candidates(iri, f.prefixes))
            for m in re.finditer(pattern, text):
                line = _bisect(starts, m.start())
                before = text[starts[line - 1] : m.start()]
                # Skip matches in comments (cheap check: '#' earlier on the line, outside <> and "").
                if "#" in re.sub(r"<[^>]*>|\"[^\"]*\"", "", before):
                    continue
                where = f"{display_path(f.path)}:{line}"
                if before == "":
                    return where
                first_mention = first_mention or where
        if first_mention:
            return first_mention
    return None


def _bisect(starts: tuple[int, ...], offset: int) -> int:
    return bisect.bisect_right(starts, offset)


# --- running pyshacl ---------------------------------------------------------------------------


class _Renderer:
    """Compact, readable terms for report lines, using the project's and the files' prefixes."""

    def __init__(self, results: rdflib.Graph, shapes: rdflib.Graph, files: Sequence[SourceFile]):
        self.results = results
        self.shapes = shapes
        prefixes: dict[str, str] = {}
        for f in files:
            prefixes.update({p: ns for p, ns in f.prefixes.items() if p and ns})
        prefixes.update(PREFIXES)
        self.namespaces = sorted(prefixes.items(), key=lambda pn: -len(pn[1]))

    def term(self, term: Node | None) -> str:
        """``prefix:local`` when a prefix fits, else ``<iri>``; blank paths as SPARQL paths."""
        if term is None:
            return ""
        if isinstance(term, rdflib.URIRef):
            iri = str(term)
            for prefix, ns in self.namespaces:
                local = iri[len(ns) :]
                if iri.startswith(ns) and re.fullmatch(r"[A-Za-z_][\w\-]*", local):
                    return f"{prefix}:{local}"
            return f"<{iri}>"
        if isinstance(term, rdflib.Literal):
            return term.n3()
        if isinstance(term, rdflib.BNode):
            return self.path(term)
        return str(term)

    def path(self, node: rdflib.BNode) -> str:
        """SHACL property path written as a SPARQL path, for complex ``sh:resultPath`` values."""
        g = self.results
        for pred, fmt in (
            (SH.inversePath, "^{}"),
            (SH.zeroOrMorePath, "{}*"),
            (SH.oneOrMorePath, "{}+"),
            (SH.zeroOrOnePath, "{}?"),
        ):
            inner = g.value(node, pred)
            if inner is not None:
                return fmt.format(self.term(inner))
        alt = g.value(node, SH.alternativePath)
        if alt is not None:
            return "(" + "|".join(self.term(x) for x in Collection(g, alt)) + ")"
        if g.value(node, RDF.first) is not None:
            return "/".join(self.term(x) for x in Collection(g, node))
        return f"_:{node}"

    def shape(self, shape: Node | None) -> str:
        """A named shape by name; an anonymous property shape as ``Parent (property path)``."""
        if isinstance(shape, rdflib.BNode):
            parent = next(self.shapes.subjects(SH.property, shape), None)
            path = self.shapes.value(shape, SH.path)
            if path is None:
                path = self.results.value(shape, SH.path)
            shown = self.term(path) if path is not None else "?"
            if parent is not None:
                return f"{self.term(parent)} (property {shown})"
            return f"property shape on {shown}"
        return self.term(shape)


def _location_key(location: str | None) -> tuple[str, int]:
    """Sort by file then numeric line; results without a location last."""
    if location is None:
        return ("\uffff", 0)
    file, _, line = location.rpartition(":")
    return (file, int(line) if line.isdigit() else 0)


@dataclass(frozen=True)
class RawResult:
    """One validation result as either engine finds it, in rdflib terms, before rendering.

    ``path`` and ``shape`` are nodes of the graph given to :func:`render` (complex paths are blank nodes).
    """

    focus: Node | None
    path: Node | None
    shape: Node | None
    component: Node | None
    severity: Node | None
    message: Node | None
    value: Node | None


def raw_results(results: rdflib.Graph) -> list[RawResult]:
    """The top-level results of a pyshacl report graph."""
    return [
        RawResult(
            focus=results.value(r, SH.focusNode),
            path=results.value(r, SH.resultPath),
            shape=results.value(r, SH.sourceShape),
            component=results.value(r, SH.sourceConstraintComponent),
            severity=results.value(r, SH.resultSeverity),
            message=results.value(r, SH.resultMessage),
            value=results.value(r, SH.value),
        )
        for r in results.subjects(RDF.type, SH.ValidationResult)
    ]


def render(
    raw: Iterable[RawResult],
    paths: rdflib.Graph,
    shapes: rdflib.Graph,
    files: Sequence[SourceFile],
) -> list[Violation]:
    """Report lines of either engine, sorted; ``paths`` holds the blank nodes of complex result paths."""
    r_ = _Renderer(paths, shapes, files)
    out: list[Violation] = []
    for r in raw:
        focus = r.focus
        text = str(r.message) if r.message is not None else ""
        if r.value is not None and not text:
            text = f"value {r_.term(r.value)}"
        out.append(
            Violation(
                focus_node=str(focus) if focus is not None else "",
                result_path=r_.term(r.path) if r.path is not None else None,
                message=text,
                source_shape=r_.shape(r.shape),
                severity=_SEVERITY.get(r.severity, str(r.severity))
                if r.severity is not None
                else "",
                constraint_component=r_.term(r.component),
                location=locate(str(focus), files) if isinstance(focus, rdflib.URIRef) else None,
            )
        )
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    out.sort(key=lambda v: (order.get(v.severity, 3), *_location_key(v.location), v.focus_node))
    return out


def format_violation(v: Violation) -> str:
    """``file:line: Severity: <focus> path: message [shape, component]``."""
    where = f"{v.location}: " if v.location else ""
    path = f" {v.result_path}" if v.result_path else ""
    return (
        f"{where}{v.severity}: <{v.focus_node}>{path}: {v.message} "
        f"[{v.source_shape}, {v.constraint_component}]"
    )


def summary(report: ValidationReport) -> str:
    """Last line of a report: sizes and verdict."""
    head = f"{report.files} files, {report.triples} triples"
    counts = {
        s: sum(v.severity == s for v in report.violations) for s in ("Violation", "Warning", "Info")
    }
    details = ", ".join(f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    if report.conforms:
        return f"{head}: conforms" + (f" ({details})" if details else "")
    return f"{head}: does not conform ({details})"


def format_report(report: ValidationReport) -> str:
    """One line per result, then the summary line."""
    return "\n".join([*(format_violation(v) for v in report.violations), summary(report)])
