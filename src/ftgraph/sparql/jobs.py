"""What travels between the server and a query worker: jobs, bound terms, frames, errors.

Wire format. Server to worker: 4-byte big-endian length + ``marshal`` of a :class:`Job` tuple
(substitutions travel as plain tuples, see :func:`encode_substitutions`).
Worker to server: frames of 1 type byte + 4-byte big-endian length + payload, where the type is
``R`` ready, ``C`` complete answer (format index byte + body), ``S`` start of a streamed answer
(format index byte + first chunk), ``D`` more data, ``E`` end, ``X`` error (2-byte status +
UTF-8 message).
"""

from __future__ import annotations

import marshal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import pyoxigraph as ox


FIRST_CHUNK = 16 * 1024
"""Bytes buffered before the first frame: small answers travel whole, with a Content-Length."""
CHUNK = 64 * 1024
"""Bytes per later frame: few enough frames, small enough to stream smoothly."""


Substitution = tuple[str, Literal["iri", "literal"], str, str | None, str | None]
"""One bound variable as plain, marshal-able data: (variable name, kind, value, datatype IRI or
None, language tag or None). A plain ``xsd:string`` literal has neither datatype nor language."""

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def encode_substitutions(
    bindings: Mapping[ox.Variable, ox.NamedNode | ox.Literal],
) -> tuple[Substitution, ...]:
    """pyoxigraph ``substitutions`` as plain tuples for a :class:`Job`, sorted by variable name
    (so equal bindings give equal jobs, ETags and cache keys whatever the parameter order).

    Raises:
        TypeError: a term that is neither an IRI nor a literal (blank nodes, quoted triples).
        ValueError: a literal with a base direction, which the tuple cannot carry.
    """
    import pyoxigraph as ox

    out: list[Substitution] = []
    for var, term in bindings.items():
        if isinstance(term, ox.NamedNode):
            out.append((var.value, "iri", term.value, None, None))
        elif isinstance(term, ox.Literal):
            if term.direction is not None:
                raise ValueError(f"?{var.value}: literals with a base direction are not supported")
            if term.language is not None:
                out.append((var.value, "literal", term.value, None, term.language))
            else:
                dt = term.datatype.value
                out.append(
                    (var.value, "literal", term.value, None if dt == _XSD_STRING else dt, None)
                )
        else:
            raise TypeError(f"?{var.value}: cannot substitute {term!r}: only IRIs and literals")
    out.sort()
    return tuple(out)


def decode_substitutions(
    data: Iterable[Substitution],
) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
    """The pyoxigraph terms of :func:`encode_substitutions`' tuples (in the worker).

    Raises:
        ValueError: an unknown kind, or a value pyoxigraph refuses (such as an invalid IRI).
    """
    import pyoxigraph as ox

    subs: dict[ox.Variable, ox.NamedNode | ox.Literal] = {}
    for name, kind, value, datatype, language in data:
        if kind == "iri":
            subs[ox.Variable(name)] = ox.NamedNode(value)
        elif kind == "literal":
            if language is not None:
                subs[ox.Variable(name)] = ox.Literal(value, language=language)
            elif datatype is not None:
                subs[ox.Variable(name)] = ox.Literal(value, datatype=ox.NamedNode(datatype))
            else:
                subs[ox.Variable(name)] = ox.Literal(value)
        else:
            raise ValueError(f"?{name}: unknown substitution kind {kind!r}")
    return subs


@dataclass(frozen=True)
class Job:
    """One query evaluation, as sent to a worker."""

    query: str
    default_graphs: tuple[str, ...] | None
    """Protocol dataset (None: the query's own FROM clauses, or the union default graph)."""
    named_graphs: tuple[str, ...] | None
    union: bool
    """Use the union of all graphs as default graph (no protocol dataset, no FROM)."""
    results_format: int
    """Index into ALL_FORMATS for SELECT/ASK, -1 if none is acceptable."""
    graph_format: int
    """Index into ALL_FORMATS for CONSTRUCT/DESCRIBE, -1 if none is acceptable."""
    base_iri: str | None = None
    """Base for relative IRIs in the query: the endpoint URL, as the protocol suggests."""
    substitutions: tuple[Substitution, ...] = ()
    """Variables bound to RDF terms (SEP-0007), never pasted into the query text."""
    procedure: str = ""
    """A page read of :mod:`ftgraph.web.describe` instead of SPARQL (``query`` is its argument)."""

    def encode(self) -> bytes:
        """Length-prefixed marshal frame: the cheapest safe encoding between trusted processes."""
        payload = marshal.dumps(
            (
                self.query,
                self.default_graphs,
                self.named_graphs,
                self.union,
                self.results_format,
                self.graph_format,
                self.base_iri,
                self.substitutions,
                self.procedure,
            )
        )
        return len(payload).to_bytes(4, "big") + payload


class QueryError(Exception):
    """The query failed in the worker (syntax error, no acceptable format, evaluation error)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class QueryTimeout(Exception):
    """The deadline passed: the worker was killed (or none became free in time)."""


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    """One worker-to-server frame: type byte, 4-byte big-endian length, payload."""
    return kind + len(payload).to_bytes(4, "big") + payload
