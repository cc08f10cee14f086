"""Run one SPARQL query for the command line, streaming the serializer to a binary stream."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Literal

import pyoxigraph as ox

from ftgraph.formats import ALL_FORMATS, GRAPH_FORMATS, RESULT_FORMATS, Format, format_from_token

ResultKind = Literal["solutions", "boolean", "graph"]

FORMATS = sorted({f.tokens[0] for f in ALL_FORMATS})
"""``--format`` values: the short ``?format=`` token of each ``/sparql`` format; as on ``/sparql``,
the query's form decides what a shared token (``xml``, ``json``) names."""


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
    graph_format = format_from_token(fmt or "ttl", GRAPH_FORMATS)
    results_format = format_from_token(fmt or "json", RESULT_FORMATS)
    if graph_format is None and results_format is None:
        raise LocalQueryError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    try:
        # The store's default graph already is the union of all graphs (materialised at build time).
        result = store.query(query)
    except SyntaxError as err:
        raise LocalQueryError(str(err)) from err
    if isinstance(result, ox.QueryTriples):
        target = _offered(fmt, graph_format, "SELECT/ASK", GRAPH_FORMATS).rdf
        _serialize(lambda: result.serialize(output, target))
        return "graph"
    answer = _offered(fmt, results_format, "CONSTRUCT/DESCRIBE", RESULT_FORMATS).results
    _serialize(lambda: result.serialize(output, answer))
    return "boolean" if isinstance(result, ox.QueryBoolean) else "solutions"


def _offered(
    token: str | None, fmt: Format | None, other: str, offered: tuple[Format, ...]
) -> Format:
    if fmt is None:
        short = ", ".join(f.tokens[0] for f in offered)
        raise LocalQueryError(f"format {token!r} is for {other}; use {short}")
    return fmt


def _serialize(write: Callable[[], object]) -> None:
    """Evaluation happens lazily while serializing, so runtime errors surface here."""
    try:
        write()
    except (OSError, RuntimeError, ValueError) as err:
        if isinstance(err, BrokenPipeError):
            raise
        raise LocalQueryError(str(err)) from err
