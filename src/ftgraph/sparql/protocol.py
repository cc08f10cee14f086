"""SPARQL 1.1 Protocol request parsing and content negotiation, as plain functions.

Nothing here touches HTTP objects or the store, so every protocol rule is testable on its own; the
routes in ``app.py`` only pass method, parameters, headers and body in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl

import pyoxigraph as ox

from ftgraph.formats import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Format,
    pick_format,
)

FORMAT_PARAMS = ("format", "output", "results")
"""Parameters carrying a format token (SPARQLWrapper sends all three, rdflib ``output``)."""


class ProtocolError(Exception):
    """A request the protocol refuses; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Negotiated:
    """Formats chosen for each kind of answer, before the query form is known."""

    results: Format | None
    graph: Format | None


@dataclass(frozen=True)
class QueryRequest:
    """A parsed query operation, independent of how it arrived (GET, form POST, direct POST)."""

    query: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    timeout: float = 30.0
    formats: Negotiated = field(
        default_factory=lambda: Negotiated(RESULT_FORMATS[0], GRAPH_FORMATS[0])
    )
    base_iri: str | None = None
    """Base IRI for relative IRIs in the query (the endpoint URL)."""

    @property
    def has_dataset(self) -> bool:
        """True when the protocol names the dataset, which then overrides FROM/FROM NAMED."""
        return bool(self.default_graph_uris or self.named_graph_uris)


def negotiate(accept: str | None, params: list[tuple[str, str]]) -> Negotiated:
    """Formats for results and for graphs; an explicit format parameter wins over Accept.

    A format parameter that names nothing we produce for one kind leaves that kind without a
    format (406 if the query turns out to be of that kind).
    """
    token = next((v for k, v in params if k in FORMAT_PARAMS and v.strip()), None)
    return Negotiated(
        pick_format(accept, token, RESULT_FORMATS), pick_format(accept, token, GRAPH_FORMATS)
    )


def _media_type(content_type: str | None) -> tuple[str, dict[str, str]]:
    """Split a Content-Type header into its lowercase media type and parameters."""
    if not content_type:
        return "", {}
    parts = content_type.split(";")
    params: dict[str, str] = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"').lower()
    return parts[0].strip().lower(), params


def _decode_utf8(body: bytes, charset: str | None) -> str:
    """Decode a body the protocol requires to be UTF-8."""
    if charset and charset not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"Unsupported charset {charset!r}: SPARQL requests must be UTF-8")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProtocolError(400, f"Request body is not valid UTF-8: {e}") from None


def _parse_params(encoded: str, where: str) -> list[tuple[str, str]]:
    """Decode ``application/x-www-form-urlencoded`` pairs, refusing bytes that are not UTF-8.

    SPARQL 1.1 Protocol §2.1 makes the query string UTF-8; silently turning bad bytes into U+FFFD
    would run a different query than the client sent.

    Raises:
        ProtocolError: 400 naming the parameter whose percent-decoded bytes are not UTF-8.
    """
    try:
        return parse_qsl(encoded, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        pass
    for key, value in parse_qsl(encoded, keep_blank_values=True, errors="surrogateescape"):
        for text, what in ((key, "a parameter name"), (value, f"{key!r}")):
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as e:
                bad = text[e.start].encode("utf-8", "surrogateescape")[0]
                name = what if what == "a parameter name" else what.strip("'")
                raise ProtocolError(
                    400,
                    f"{name} is not valid UTF-8 in the {where}: percent-encoded byte 0x{bad:02X} "
                    "(SPARQL 1.1 Protocol §2.1: parameters are UTF-8)",
                ) from None
    raise ProtocolError(400, f"The {where} is not valid UTF-8 (SPARQL 1.1 Protocol §2.1)")


def _check_iris(uris: list[str], name: str) -> tuple[str, ...]:
    """Reject dataset IRIs the store could not name, before any evaluation."""
    for uri in uris:
        try:
            ox.NamedNode(uri)
        except ValueError as e:
            raise ProtocolError(400, f"Invalid {name} {uri!r}: {e}") from None
    return tuple(uris)


def parse_timeout(values: list[str], cap: float) -> float:
    """Per-request deadline in seconds (Fuseki's ``timeout`` parameter), capped by the server's.

    >>> parse_timeout(["2.5"], 30.0), parse_timeout(["90"], 30.0), parse_timeout([], 30.0)
    (2.5, 30.0, 30.0)
    """
    if not values:
        return cap
    try:
        t = float(values[-1])
    except ValueError:
        raise ProtocolError(400, f"Invalid timeout {values[-1]!r}: expected seconds") from None
    if not math.isfinite(t) or t <= 0:
        raise ProtocolError(400, f"Invalid timeout {values[-1]!r}: must be a positive number")
    return min(t, cap)


MEMO_INPUT_BYTES = 8192
"""Requests up to this size (query string + body) have their parse memoised."""
MEMO_HEADER_BYTES = 512
"""...and only when each header value in the key (and the base IRI) is at most this long."""


def parse_query_request(
    method: str,
    query_string: str,
    content_type: str | None,
    body: bytes,
    accept: str | None,
    *,
    max_query_bytes: int,
    max_timeout: float,
    base_iri: str | None = None,
) -> QueryRequest | None:
    """Turn one HTTP request into a query operation; None means "no query": serve the description.

    Pure, so small requests (the repeated ones) are parsed once; large ones are never kept.

    Raises:
        ProtocolError: 400 (bad or multiple queries, updates), 413 (too large), 415 (body type).
    """
    args = (
        method,
        query_string,
        content_type,
        body,
        accept,
        max_query_bytes,
        max_timeout,
        base_iri,
    )
    if (
        len(query_string) + len(body) <= MEMO_INPUT_BYTES
        and max(len(content_type or ""), len(accept or ""), len(base_iri or ""))
        <= MEMO_HEADER_BYTES
    ):
        return _parse_query_request(*args)
    return _parse_query_request.__wrapped__(*args)


@lru_cache(maxsize=1024)
def _parse_query_request(
    method: str,
    query_string: str,
    content_type: str | None,
    body: bytes,
    accept: str | None,
    max_query_bytes: int,
    max_timeout: float,
    base_iri: str | None,
) -> QueryRequest | None:
    params = _parse_params(query_string, "query string")
    query: str | None = None
    if method in ("GET", "HEAD"):
        pass
    elif method == "POST":
        media, ctparams = _media_type(content_type)
        if media == "application/x-www-form-urlencoded":
            text = _decode_utf8(body, ctparams.get("charset"))
            params = params + _parse_params(text, "form body")
        elif media == "application/sparql-query":
            query = _decode_utf8(body, ctparams.get("charset"))
            if any(k == "query" for k, _ in params):
                raise ProtocolError(400, "A direct POST must not also carry a 'query' parameter")
        elif media == "application/sparql-update":
            raise ProtocolError(400, "This endpoint is read-only: SPARQL Update is not supported")
        elif not media:
            raise ProtocolError(
                415,
                "Missing Content-Type: POST application/x-www-form-urlencoded "
                "or application/sparql-query",
            )
        else:
            raise ProtocolError(
                415,
                f"Unsupported Content-Type {media!r}: POST application/x-www-form-urlencoded "
                "or application/sparql-query",
            )
    else:
        raise ProtocolError(405, f"Method {method} not allowed")

    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in params):
        raise ProtocolError(400, "This endpoint is read-only: SPARQL Update is not supported")
    queries = [v for k, v in params if k == "query"]
    if len(queries) > 1:
        raise ProtocolError(400, "More than one 'query' parameter")
    if query is None:
        if not queries:
            if method in ("GET", "HEAD"):
                return None
            raise ProtocolError(400, "Missing 'query' parameter")
        query = queries[0]
    if len(query.encode("utf-8")) > max_query_bytes:
        raise ProtocolError(413, f"Query larger than {max_query_bytes} bytes")
    if not query.strip():
        raise ProtocolError(400, "Empty query")

    return QueryRequest(
        query=query,
        default_graph_uris=_check_iris(
            [v for k, v in params if k == "default-graph-uri"], "default-graph-uri"
        ),
        named_graph_uris=_check_iris(
            [v for k, v in params if k == "named-graph-uri"], "named-graph-uri"
        ),
        timeout=parse_timeout([v for k, v in params if k == "timeout"], max_timeout),
        formats=negotiate(accept, params),
        base_iri=base_iri,
    )
