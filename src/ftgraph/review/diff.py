"""What a change to the inputs does to the built graph, not to the text: the stated quads added
and removed (by source article, then by entity), the derived ones summarised apart, the named
queries whose answers change, and the validation results that appear or disappear."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
import rdflib
from rdflib.compare import to_canonical_graph

from ftgraph.formats import NTRIPLES
from ftgraph.graph.derive import derive_stream
from ftgraph.graph.select import select
from ftgraph.graph.sources import load_inputs
from ftgraph.shacl.report import ValidationReport, Violation
from ftgraph.shacl.validate import validate
from ftgraph.sparql.named_queries import NamedQuery, load_named_queries
from ftgraph.store.build import with_union
from ftgraph.vocab import PREFIXES

LABELS = (
    PREFIXES["rdfs"] + "label",
    PREFIXES["skos"] + "prefLabel",
    "https://w3id.org/ftgraph/ontology/name",
    PREFIXES["dcterms"] + "title",
)
"""Predicates whose value names a thing, in order of preference."""

LANGUAGES = ("fr", "en", "")
"""The label shown: French first (the articles' language), then English, then any."""


# --------------------------------------------------------------------------------------------
# One side, built in memory
# --------------------------------------------------------------------------------------------


@dataclass
class Built:
    """One side of the diff: its graph as a build makes it, its report and its query answers."""

    version: str
    stated: set[ox.Quad]
    derived: set[ox.Quad]
    """Derived at build time and stated by no input (as in the derivation record)."""
    store: ox.Store
    report: ValidationReport
    queries: dict[str, NamedQuery]
    queries_error: str | None = None


def _has_blank(q: ox.Quad) -> bool:
    return isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)


def canonical(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """The quads with their blank nodes relabelled canonically, graph by graph (rdflib's
    canonical labelling), so the same graph written in another order or with other labels gives
    the same quads. Quads without a blank node pass through untouched."""
    out: list[ox.Quad] = []
    blank: dict[ox.NamedNode | ox.BlankNode | ox.DefaultGraph, list[ox.Quad]] = defaultdict(list)
    for q in quads:
        (blank[q.graph_name] if _has_blank(q) else out).append(q)
    for graph, group in blank.items():
        text = ox.serialize([ox.Triple(*q.triple) for q in group], format=NTRIPLES.rdf)
        assert text is not None
        canon = to_canonical_graph(rdflib.Graph().parse(data=text.decode(), format="nt"))
        lines = canon.serialize(format="nt", encoding="utf-8")
        for t in ox.parse(lines, format=NTRIPLES.rdf):
            out.append(ox.Quad(t.subject, t.predicate, t.object, graph))
    return out


def build_side(root: Path) -> Built:
    """Parse, derive and validate ``root`` as ``ftgraph build`` would, in memory.

    Raises ``InputError`` (file:line) for an input that does not parse.
    """
    inputs = load_inputs(root)
    ontology = canonical(q for f in inputs.ontology for q in f.quads)
    data = canonical(q for f in inputs.data for q in f.quads)
    stated = set(itertools.chain(ontology, data))
    derived = set(derive_stream(ontology, data)) - stated
    store = ox.Store()
    store.bulk_extend(with_union(itertools.chain(stated, derived)))
    report = _located_in(validate(inputs), root)
    try:
        queries, error = load_named_queries(root), None
    except (OSError, ValueError) as err:
        queries, error = {}, str(err)
    return Built(inputs.version, stated, derived, store, report, queries, error)


def _located_in(report: ValidationReport, root: Path) -> ValidationReport:
    """Locations relative to ``root`` (``data/x.trig:12``), whatever folder a revision sits in."""
    located = []
    for v in report.violations:
        if v.location:
            path, _, line = v.location.rpartition(":")
            full = Path(path) if Path(path).is_absolute() else Path.cwd() / path
            if full.is_relative_to(root.absolute()):
                v = replace(v, location=f"{full.relative_to(root.absolute()).as_posix()}:{line}")
        located.append(v)
    return replace(report, violations=located)


# --------------------------------------------------------------------------------------------
# The differences
# --------------------------------------------------------------------------------------------


@dataclass
class EntityChange:
    """The stated quads of one entity (subject) in one article that were added or removed."""

    entity: ox.NamedNode | ox.BlankNode
    label: str | None
    added: list[ox.Quad] = field(default_factory=list)
    removed: list[ox.Quad] = field(default_factory=list)


@dataclass
class ArticleChange:
    """What changed in one graph: a source article, the ontology graph, or the default graph."""

    graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph
    title: str | None
    entities: list[EntityChange]


@dataclass
class DerivedChange:
    """Derived quads added and removed, counted by predicate."""

    predicate: ox.NamedNode
    added: int
    removed: int


@dataclass
class QueryChange:
    """A named query whose answer (with its example parameters) is not the same on both sides."""

    name: str
    title: str
    variables: list[str]
    added: list[tuple[str, ...]]
    removed: list[tuple[str, ...]]
    error: str | None = None
    """Why one side has no answer (the query is new, gone, or fails there)."""


@dataclass
class GraphDiff:
    """Everything ``ftgraph diff`` reports."""

    a: str
    b: str
    version_a: str
    version_b: str
    labels: dict[str, str]
    stated: list[ArticleChange]
    stated_added: int
    stated_removed: int
    derived: list[DerivedChange]
    derived_added: int
    derived_removed: int
    queries: list[QueryChange]
    appeared: list[Violation]
    disappeared: list[Violation]

    @property
    def differences(self) -> bool:
        """Anything to report (what ``--exit-code`` turns into exit 1)."""
        return bool(
            self.stated_added
            or self.stated_removed
            or self.derived_added
            or self.derived_removed
            or self.queries
            or self.appeared
            or self.disappeared
        )


def labels_of(quads: Iterable[ox.Quad]) -> dict[str, str]:
    """One label per IRI (French, then English, then any; ``LABELS`` in order)."""
    ranked: dict[str, tuple[int, int, str]] = {}
    rank = {p: i for i, p in enumerate(LABELS)}
    for q in quads:
        p = q.predicate.value
        if p not in rank or not isinstance(q.object, ox.Literal):
            continue
        if not isinstance(q.subject, ox.NamedNode):
            continue
        lang = q.object.language or ""
        key = (rank[p], LANGUAGES.index(lang) if lang in LANGUAGES else len(LANGUAGES))
        best = ranked.get(q.subject.value)
        candidate = (*key, q.object.value)
        if best is None or candidate < best:
            ranked[q.subject.value] = candidate
    return {iri: value for iri, (_, _, value) in ranked.items()}


def _stated_changes(
    added: set[ox.Quad], removed: set[ox.Quad], labels: dict[str, str]
) -> list[ArticleChange]:
    by_graph: dict[str, dict[str, EntityChange]] = defaultdict(dict)
    graphs: dict[str, ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = {}
    for quads, added_side in ((removed, False), (added, True)):
        for q in quads:
            g = str(q.graph_name)
            graphs[g] = q.graph_name
            s = q.subject
            assert isinstance(s, (ox.NamedNode, ox.BlankNode))
            entity = by_graph[g].get(str(s))
            if entity is None:
                label = labels.get(s.value) if isinstance(s, ox.NamedNode) else None
                entity = by_graph[g][str(s)] = EntityChange(s, label)
            (entity.added if added_side else entity.removed).append(q)
    out = []
    for g in sorted(by_graph):
        graph = graphs[g]
        title = labels.get(graph.value) if isinstance(graph, ox.NamedNode) else None
        entities = [by_graph[g][k] for k in sorted(by_graph[g])]
        for e in entities:
            e.added.sort(key=str)
            e.removed.sort(key=str)
        out.append(ArticleChange(graph, title, entities))
    return out


def _derived_changes(added: set[ox.Quad], removed: set[ox.Quad]) -> list[DerivedChange]:
    plus = Counter(q.predicate for q in added)
    minus = Counter(q.predicate for q in removed)
    return [
        DerivedChange(p, plus[p], minus[p])
        for p in sorted(set(plus) | set(minus), key=lambda n: n.value)
    ]


def _term(term: object) -> str:
    return "" if term is None else str(term)


Answer = tuple[list[str], Counter[tuple[str, ...]]]
"""A query's variables and its rows as a multiset (each term in N-Triples, unbound as "")."""


def answer(side: Built, query: NamedQuery) -> Answer:
    """The rows of ``query`` on ``side`` with its example parameters.

    Raises ``SyntaxError`` or ``ValueError`` when the query does not run there.
    """
    solutions = select(side.store, query.text, substitutions=query.substitutions(query.examples()))
    variables = list(solutions.variables)
    rows = Counter(tuple(_term(row[v]) for v in variables) for row in solutions)
    return [v.value for v in variables], rows


def _answer_or_why(side: Built, name: str) -> Answer | str:
    query = side.queries.get(name)
    if query is None:
        return side.queries_error or "no such query"
    try:
        return answer(side, query)
    except (SyntaxError, ValueError, OSError) as err:
        return f"does not run: {err}"


def _query_changes(a: Built, b: Built) -> list[QueryChange]:
    out = []
    for name in sorted(set(a.queries) | set(b.queries)):
        before, after = _answer_or_why(a, name), _answer_or_why(b, name)
        if before == after:
            continue
        old_vars, old = ([], Counter[tuple[str, ...]]()) if isinstance(before, str) else before
        new_vars, new = ([], Counter[tuple[str, ...]]()) if isinstance(after, str) else after
        why = "; ".join(
            f"{when}: {text}"
            for when, text in (("before", before), ("after", after))
            if isinstance(text, str)
        )
        title = (b.queries.get(name) or a.queries[name]).title
        out.append(
            QueryChange(
                name,
                title,
                new_vars or old_vars,
                sorted((new - old).elements()),
                sorted((old - new).elements()),
                why or None,
            )
        )
    return out


def _violation_key(v: Violation) -> tuple[str, ...]:
    """What identifies a result across revisions (its line may move; it is the same result)."""
    return (
        v.severity,
        v.focus_node,
        v.result_path or "",
        v.constraint_component,
        v.source_shape,
        v.message,
    )


def _report_changes(
    a: ValidationReport, b: ValidationReport
) -> tuple[list[Violation], list[Violation]]:
    before = {_violation_key(v): v for v in a.violations}
    after = {_violation_key(v): v for v in b.violations}
    appeared = [after[k] for k in sorted(after.keys() - before.keys())]
    disappeared = [before[k] for k in sorted(before.keys() - after.keys())]
    return appeared, disappeared


def compare(a: Built, b: Built, label_a: str, label_b: str) -> GraphDiff:
    """The differences from ``a`` to ``b``."""
    labels = labels_of(a.stated) | labels_of(b.stated)
    added, removed = b.stated - a.stated, a.stated - b.stated
    d_added, d_removed = b.derived - a.derived, a.derived - b.derived
    appeared, disappeared = _report_changes(a.report, b.report)
    return GraphDiff(
        label_a,
        label_b,
        a.version,
        b.version,
        labels,
        _stated_changes(added, removed, labels),
        len(added),
        len(removed),
        _derived_changes(d_added, d_removed),
        len(d_added),
        len(d_removed),
        _query_changes(a, b),
        appeared,
        disappeared,
    )


def diff_roots(root_a: Path, root_b: Path, label_a: str, label_b: str) -> GraphDiff:
    """Build both roots in memory and compare them."""
    return compare(build_side(root_a), build_side(root_b), label_a, label_b)
