"""What the pages read from the store, evaluated inside a query worker.

Pages (a resource's description, the ontology overview) need a few pattern lookups and small
queries rather than one SPARQL query. They run in the worker processes that hold the store, as
*procedures*, so they get the same deadline, memory cap and kill-and-replace as ``/sparql``: no
evaluation ever happens in the HTTP process (issue 9, finding 7). A procedure takes one string
argument and answers pickled Python values; only this package's own workers produce them.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ftgraph.config import DERIVED_STORE_DIR
from ftgraph.graph.select import select
from ftgraph.vocab import META_GRAPH, ONTOLOGY_GRAPH, PREFIXES, SOURCE

RDFS_LABEL = ox.NamedNode(PREFIXES["rdfs"] + "label")
SKOS_PREF_LABEL = ox.NamedNode(PREFIXES["skos"] + "prefLabel")
DCT_TITLE = ox.NamedNode(PREFIXES["dcterms"] + "title")
DCT_DATE = ox.NamedNode(PREFIXES["dcterms"] + "date")
META = ox.NamedNode(META_GRAPH)
ONTOLOGY_GRAPH_NODE = ox.NamedNode(ONTOLOGY_GRAPH)
THIS = ox.Variable("this")


OUTGOING_QUERY = f"""
SELECT ?this ?p ?o ?g WHERE {{ GRAPH ?g {{ ?this ?p ?o }} FILTER (?g != <{META_GRAPH}>) }}"""
"""Every statement with ``?this`` as subject, with its graph; ``?this`` is bound by
``substitutions``, never spliced in (SEP-0007 needs it projected, hence ``SELECT ?this``)."""

INBOUND_CAP = 1000
"""Statements pointing to a resource that its description carries: a class has one incoming
``rdf:type`` per instance, and its page must not load them all (SPARQL gives the rest)."""

INCOMING_QUERY = f"""
SELECT ?this ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p ?this }} FILTER (?g != <{META_GRAPH}>) }}
LIMIT {INBOUND_CAP + 1}"""
"""Statements with ``?this`` as object, one more than :data:`INBOUND_CAP` to tell if any were left."""


@dataclass(frozen=True)
class Description:
    """What the graph says about one IRI, with the graph (source) of every statement."""

    iri: ox.NamedNode
    quads: tuple[ox.Quad, ...]
    """The resource's own statements in both directions, plus the statements about blank nodes
    it points to, each in the graph that holds it."""
    context: tuple[ox.Quad, ...]
    """Labels of the IRIs it links to, titles and dates of its source articles."""
    derived: frozenset[ox.Quad] = frozenset()
    """Quads of :attr:`quads` entailed at build time by the alignment (superclasses, superproperties)."""
    more_inbound: bool = False
    """More than :data:`INBOUND_CAP` statements point to the resource; only that many are here."""

    @property
    def sources(self) -> list[ox.NamedNode]:
        """Graphs stating something about the resource (articles, the ontology), sorted."""
        graphs = {q.graph_name for q in self.quads if isinstance(q.graph_name, ox.NamedNode)}
        return sorted(graphs, key=lambda g: g.value)


def exists(store: ox.Store, node: ox.NamedNode) -> bool:
    """True when some graph other than the meta graph mentions ``node`` (cheap pattern lookups)."""
    for q in store.quads_for_pattern(node, None, None, None):
        if q.graph_name != META:
            return True
    return any(q.graph_name != META for q in store.quads_for_pattern(None, None, node, None))


def _bnode_closure(store: ox.Store, quads: set[ox.Quad]) -> None:
    """Add the statements about blank nodes the description reaches (in the same graph)."""
    todo = [q for q in quads if isinstance(q.object, ox.BlankNode)]
    seen: set[ox.BlankNode] = set()
    while todo:
        q = todo.pop()
        b = q.object
        if not isinstance(b, ox.BlankNode) or b in seen:
            continue
        seen.add(b)
        for more in store.quads_for_pattern(b, None, None, q.graph_name):
            if more not in quads:
                quads.add(more)
                todo.append(more)


def describe(
    store: ox.Store, iri: ox.NamedNode, record: ox.Store | None = None
) -> Description | None:
    """Everything about ``iri`` (None if the graph never mentions it), with its context.

    ``record`` is the build's derivation record: its quads are the derived ones (none without it).
    """
    own: set[ox.Quad] = set()
    subs: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple] = {THIS: iri}
    for row in select(store, OUTGOING_QUERY, substitutions=subs):
        p, o, g = row["p"], row["o"], row["g"]
        if isinstance(p, ox.NamedNode) and isinstance(g, ox.NamedNode | ox.BlankNode):
            assert o is not None
            own.add(ox.Quad(iri, p, o, g))
    inbound = 0
    for row in select(store, INCOMING_QUERY, substitutions=subs):
        s, p, g = row["s"], row["p"], row["g"]
        inbound += 1
        if inbound > INBOUND_CAP:
            break
        if isinstance(p, ox.NamedNode) and isinstance(g, ox.NamedNode | ox.BlankNode):
            assert isinstance(s, ox.NamedNode | ox.BlankNode)
            own.add(ox.Quad(s, p, iri, g))
    if not own:
        return None
    _bnode_closure(store, own)
    context = _context(store, iri, own)
    return Description(
        iri,
        tuple(sorted(own, key=sort_key)),
        tuple(sorted(context - own, key=sort_key)),
        frozenset(q for q in own if q in record) if record is not None else frozenset(),
        more_inbound=inbound > INBOUND_CAP,
    )


def _context(store: ox.Store, iri: ox.NamedNode, own: set[ox.Quad]) -> set[ox.Quad]:
    """Labels of linked IRIs (predicates included) and titles/dates of the source articles."""
    linked: set[ox.NamedNode] = {iri}
    graphs: set[ox.NamedNode] = set()
    for q in own:
        linked.add(q.predicate)
        for t in (q.subject, q.object):
            if isinstance(t, ox.NamedNode):
                linked.add(t)
        if isinstance(q.graph_name, ox.NamedNode):
            graphs.add(q.graph_name)
    out: set[ox.Quad] = set()
    for node in linked | graphs:
        for p in (RDFS_LABEL, SKOS_PREF_LABEL):
            out.update(_named(store.quads_for_pattern(node, p, None, None)))
    for g in graphs:
        if g.value.startswith(SOURCE):
            for p in (DCT_TITLE, DCT_DATE):
                out.update(_named(store.quads_for_pattern(g, p, None, g)))
    return out


def _named(quads: Iterable[ox.Quad]) -> Iterable[ox.Quad]:
    """Quads of named graphs other than the meta graph (the default graph only repeats them)."""
    return (q for q in quads if isinstance(q.graph_name, ox.NamedNode) and q.graph_name != META)


def sort_key(q: ox.Quad) -> tuple[str, str, str, str]:
    """Stable order of quads in every answer (graph, subject, predicate, object)."""
    return (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object))


def ontology_quads(store: ox.Store) -> list[ox.Quad]:
    """The ontology graph (OWL terms and SKOS schemes), sorted for stable output."""
    return sorted(store.quads_for_pattern(None, None, None, ONTOLOGY_GRAPH_NODE), key=sort_key)


class _Reader:
    """The procedures of one worker's store; the derivation record is opened on first need."""

    def __init__(self, store: ox.Store, path: Path) -> None:
        self.store = store
        self.path = path
        self._record: ox.Store | None = None
        self._opened = False

    def record(self) -> ox.Store | None:
        """The build's derivation record, if this store was made by ``ftgraph build``."""
        if not self._opened:
            self._opened = True
            where = self.path / DERIVED_STORE_DIR
            if where.is_dir():
                self._record = ox.Store.read_only(str(where))
        return self._record

    def describe(self, iri: str) -> Description | None:
        return describe(self.store, ox.NamedNode(iri), self.record())

    def exists(self, iri: str) -> bool:
        return exists(self.store, ox.NamedNode(iri))

    def ontology_quads(self, _: str) -> list[ox.Quad]:
        return ontology_quads(self.store)

    def ontology_doc(self, _: str) -> Any:
        from ftgraph.web import ontology_doc

        return ontology_doc.read(self.store)


PROCEDURES = ("describe", "exists", "ontology_quads", "ontology_doc")
"""What a worker can compute besides SPARQL (a bounded set: a job names one of these)."""


def procedures(store: ox.Store, path: Path) -> Callable[[str, str], bytes]:
    """The worker's dispatcher: procedure name and argument to the pickled answer.

    Raises:
        ValueError: an unknown procedure or an argument the store refuses (an invalid IRI).
    """
    reader = _Reader(store, path)

    def run(name: str, argument: str) -> bytes:
        if name not in PROCEDURES:
            raise ValueError(f"unknown procedure {name!r}")
        value = getattr(reader, name)(argument)
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)

    return run


def answer(body: bytes) -> Any:
    """A procedure's answer, back in the HTTP process (from our own worker, never a client)."""
    return pickle.loads(body)
