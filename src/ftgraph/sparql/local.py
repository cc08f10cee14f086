"""Run one SPARQL query for the command line, streaming the serializer to a binary stream."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Literal

import pyoxigraph as ox

ResultKind = Literal["solutions", "boolean", "graph"]

RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "xml": ox.QueryResultsFormat.XML,
}
"""Formats for SELECT and ASK."""

GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "nt": ox.RdfFormat.N_TRIPLES,
    "xml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}
"""Formats for CONSTRUCT and DESCRIBE."""

FORMATS = sorted({*RESULT_FORMATS, *GRAPH_FORMATS})


class LocalQueryError(Exception):
    """The query cannot be run: parse error (parser message kept) or unusable format."""


def read_query(arg: str, root: Path | None = None) -> str:
    """Query text from ``-`` (stdin), a file, a named query ``queries/<name>.rq``, or inline."""
    if arg == "-":
        return sys.stdin.read()
    candidates = [Path(arg)]
    if root is not None and "\n" not in arg and "{" not in arg:
        candidates += [root / "queries" / arg, root / "queries" / f"{arg}.rq"]
    for candidate in candidates:
        try:
            if candidate.is_file():
                return candidate.read_text(encoding="utf-8")
        except OSError:
            continue
    return arg


def run_query(
    store: ox.Store,
    query: str,
    output: IO[bytes],
    fmt: str | None = None,
) -> ResultKind:
    """Evaluate over the union default graph and serialize straight into ``output``.

    ``fmt`` defaults to ``json`` for SELECT/ASK and ``ttl`` for CONSTRUCT/DESCRIBE.
    """
    if fmt is not None and fmt not in RESULT_FORMATS and fmt not in GRAPH_FORMATS:
        raise LocalQueryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    try:
        # The store's default graph already is the union of all graphs (materialised at build time).
        result = store.query(query)
    except SyntaxError as err:
        raise LocalQueryError(str(err)) from err
    if isinstance(result, ox.QueryTriples):
        graph_format = GRAPH_FORMATS.get(fmt or "ttl")
        if graph_format is None:
            raise LocalQueryError(
                f"format {fmt!r} is for SELECT/ASK; use {', '.join(GRAPH_FORMATS)}"
            )
        _serialize(lambda: result.serialize(output, graph_format))
        return "graph"
    results_format = RESULT_FORMATS.get(fmt or "json")
    if results_format is None:
        raise LocalQueryError(
            f"format {fmt!r} is for CONSTRUCT/DESCRIBE; use {', '.join(RESULT_FORMATS)}"
        )
    if isinstance(result, ox.QueryBoolean):
        _serialize(lambda: result.serialize(output, results_format))
        return "boolean"
    _serialize(lambda: result.serialize(output, results_format))
    return "solutions"


def _serialize(write: Callable[[], object]) -> None:
    """Evaluation happens lazily while serializing, so runtime errors surface here."""
    try:
        write()
    except (OSError, RuntimeError, ValueError) as err:
        if isinstance(err, BrokenPipeError):
            raise
        raise LocalQueryError(str(err)) from err
