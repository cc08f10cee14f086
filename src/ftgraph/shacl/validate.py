"""SHACL validation of the whole dataset as one graph, reported as ``file:line`` lines.

Two engines give the same results: ``sparql`` (default) compiles the shapes to SPARQL run by pyoxigraph
(:mod:`ftgraph.shacl.sparql`, fast at scale); ``pyshacl`` is the reference. Both see one merged graph
(never a Dataset): validating each article alone would miss references that cross articles.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox
import rdflib

from ftgraph.graph.derive import derive
from ftgraph.graph.progress import SILENT, Progress
from ftgraph.graph.sources import Inputs, SourceFile, load_inputs
from ftgraph.shacl.report import ValidationReport, Violation, raw_results, render, to_graph
from ftgraph.shacl.sparql import evaluate


def shapes_graph(inputs: Inputs) -> rdflib.Graph:
    """The shapes of ``shapes/`` in one graph."""
    return to_graph(q for f in inputs.shapes for q in f.quads)


# --- locating focus nodes in files -------------------------------------------------------------


def run_pyshacl(
    data: Any,
    shapes: rdflib.Graph,
    *,
    meta_shacl: bool = False,
    use_shapes: list[str] | None = None,
) -> rdflib.Graph:
    """The one pyshacl call of ftgraph (tests use it too): no inference, SPARQL constraints on,
    warnings and infos reported without failing, the data graph left as given or extended in place.

    ``data`` is an rdflib Graph or a pyoxigraph Store; returns the validation report graph.
    """
    import pyshacl

    _conforms, report, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        inference="none",
        advanced=True,
        meta_shacl=meta_shacl,
        allow_warnings=True,
        allow_infos=True,
        inplace=True,
        use_shapes=use_shapes,
    )
    assert isinstance(report, rdflib.Graph)
    return report


Engine = Literal["sparql", "pyshacl"]
ENGINES: tuple[Engine, ...] = ("sparql", "pyshacl")
DEFAULT_ENGINE: Engine = "sparql"
"""SHACL compiled to SPARQL on pyoxigraph (:mod:`ftgraph.shacl.sparql`); pyshacl stays the reference."""


def validate_store(
    store: ox.Store,
    shapes: rdflib.Graph,
    files: Sequence[SourceFile],
    progress: Progress = SILENT,
) -> list[Violation]:
    """Results of ``shapes`` on the default graph of ``store`` (the SPARQL engine), rendered.

    A built store's default graph already holds ontology + data + derived triples, deduplicated.
    """

    return render(evaluate(store, shapes, progress), shapes, shapes, files)


def validate(
    inputs: Inputs,
    derived: Sequence[ox.Quad] | None = None,
    *,
    meta_shacl: bool = False,
    engine: Engine = DEFAULT_ENGINE,
    progress: Progress = SILENT,
) -> ValidationReport:
    """Validate ontology + data + derived triples against ``shapes/`` (SPARQL constraints on).

    ``meta_shacl`` needs pyshacl's SHACL-for-SHACL: with the SPARQL engine the shapes are first checked
    by pyshacl on an empty data graph (cheap), then the data by the SPARQL engine.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown validation engine {engine!r}: use one of {', '.join(ENGINES)}")
    progress.phase("derive")
    if derived is None:
        derived = derive(
            (q for f in inputs.ontology for q in f.quads), (q for f in inputs.data for q in f.quads)
        )
    shapes = shapes_graph(inputs)
    files = len(inputs.files)
    triples = inputs.triple_count()
    if len(shapes) == 0:
        return ValidationReport(True, [], files, triples)
    if engine == "pyshacl":
        progress.phase("pyshacl")
        data = to_graph(inputs.dataset_quads())
        to_graph(derived, data)
        results = run_pyshacl(data, shapes, meta_shacl=meta_shacl)
        violations = render(raw_results(results), results, shapes, inputs.files)
    else:
        if meta_shacl:
            run_pyshacl(rdflib.Graph(), shapes, meta_shacl=True)
        progress.phase("merge")
        store = ox.Store()
        store.bulk_extend(
            ox.Quad(q.subject, q.predicate, q.object)
            for q in itertools.chain(inputs.dataset_quads(), derived)
        )
        violations = validate_store(store, shapes, inputs.files, progress)
    conforms = not any(v.severity == "Violation" for v in violations)
    return ValidationReport(conforms, violations, files, triples)


def validate_root(
    root: Path,
    *,
    meta_shacl: bool = False,
    engine: Engine = DEFAULT_ENGINE,
    progress: Progress = SILENT,
) -> ValidationReport:
    """Parse and validate everything under ``root``; syntax errors raise ``InputError``."""
    progress.phase("parse")
    inputs = load_inputs(root)
    return validate(inputs, meta_shacl=meta_shacl, engine=engine, progress=progress)
