"""The one table of serializations (one row per format) and ``Accept`` negotiation over it.

Media types, labels, extensions and IRIs come from pyoxigraph's ``RdfFormat`` and
``QueryResultsFormat``; a row adds only what HTTP clients say instead (aliases, ``?format=`` tokens).
Each route offers a tuple of rows, in its order of preference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pyoxigraph as ox

Kind = Literal["results", "graph", "page"]


@dataclass(frozen=True)
class Format:
    """One serialization ftgraph can produce."""

    name: str
    media_type: str
    kind: Kind
    serializer: ox.RdfFormat | ox.QueryResultsFormat | None
    """pyoxigraph's serializer for it (``None`` for the HTML page)."""
    aliases: tuple[str, ...] = ()
    """Other media types a client may ask for to get this format."""
    tokens: tuple[str, ...] = ()
    """Values of ``format``/``output``/``results`` selecting it; the first is the one we advertise."""
    label: str = ""
    sd_iri: str = ""
    """``http://www.w3.org/ns/formats/`` IRI, for ``sd:resultFormat``."""

    @property
    def content_type(self) -> str:
        """Header value; text formats declare UTF-8 since SPARQL results are always UTF-8."""
        if self.media_type.startswith("text/"):
            return self.media_type + "; charset=utf-8"
        return self.media_type

    @property
    def rdf(self) -> ox.RdfFormat:
        """The RDF serializer of a graph format (a programming error for any other)."""
        assert isinstance(self.serializer, ox.RdfFormat), self.name
        return self.serializer

    @property
    def results(self) -> ox.QueryResultsFormat:
        """The serializer of a SELECT/ASK format (a programming error for any other)."""
        assert isinstance(self.serializer, ox.QueryResultsFormat), self.name
        return self.serializer

    @property
    def extension(self) -> str:
        """File extension (``ttl``, ``srj``…), for downloads."""
        return self.serializer.file_extension if self.serializer is not None else "html"


_W3C_FORMATS = "http://www.w3.org/ns/formats/"


def _row(
    name: str,
    fmt: ox.RdfFormat | ox.QueryResultsFormat,
    aliases: tuple[str, ...],
    tokens: tuple[str, ...],
    sd_name: str | None = None,
) -> Format:
    kind: Kind = "graph" if isinstance(fmt, ox.RdfFormat) else "results"
    media_type = fmt.media_type.split(";")[0].strip()
    # pyoxigraph names JSON-LD by its newer ``…/formats/data/`` IRI; keep the registered one.
    iri = _W3C_FORMATS + sd_name if sd_name else fmt.iri
    return Format(name, media_type, kind, fmt, aliases, tokens, fmt.name, iri)


JSON = _row("json", ox.QueryResultsFormat.JSON, ("application/json",), ("json", "srj"))
XML = _row("xml", ox.QueryResultsFormat.XML, ("application/xml", "text/xml"), ("xml", "srx"))
CSV = _row("csv", ox.QueryResultsFormat.CSV, (), ("csv",))
TSV = _row("tsv", ox.QueryResultsFormat.TSV, (), ("tsv", "tab-separated-values"))
TURTLE = _row(
    "turtle",
    ox.RdfFormat.TURTLE,
    ("application/x-turtle", "text/n3", "text/rdf+n3", "application/n3"),
    ("ttl", "turtle", "n3"),
)
NTRIPLES = _row(
    "ntriples", ox.RdfFormat.N_TRIPLES, ("text/plain",), ("nt", "ntriples", "n-triples")
)
RDFXML = _row(
    "rdfxml",
    ox.RdfFormat.RDF_XML,
    ("application/xml", "text/xml"),
    ("rdf", "rdfxml", "rdf+xml", "rdf/xml", "rdf-xml", "xml"),
)
JSONLD = _row(
    "jsonld",
    ox.RdfFormat.JSON_LD,
    ("application/json",),
    ("jsonld", "json-ld", "json"),
    sd_name="JSON-LD",
)
TRIG = _row("trig", ox.RdfFormat.TRIG, (), ("trig",))
NQUADS = _row("nquads", ox.RdfFormat.N_QUADS, (), ("nq", "nquads", "n-quads"))
HTML = Format(
    "html", "text/html", "page", None, ("application/xhtml+xml",), ("html", "htm"), "HTML"
)

RESULT_FORMATS: tuple[Format, ...] = (JSON, XML, CSV, TSV)
"""SELECT/ASK answers, in server preference order."""

GRAPH_FORMATS: tuple[Format, ...] = (TURTLE, NTRIPLES, RDFXML, JSONLD)
"""CONSTRUCT/DESCRIBE answers (and Service Description, VoID, examples), in preference order."""

ALL_FORMATS: tuple[Format, ...] = RESULT_FORMATS + GRAPH_FORMATS
"""What ``/sparql`` produces; also the index space shared with the query workers."""

DOC_FORMATS: tuple[Format, ...] = (HTML, TURTLE, JSONLD, NTRIPLES, RDFXML, TRIG, NQUADS)
"""What a linked-data document can be: HTML first, so ``*/*`` (curl, a browser without
preferences) gets the page; RDF clients name their type."""


# --------------------------------------------------------------------------------------------
# Accept (RFC 9110 §12.5.1)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptEntry:
    """One media range of an Accept header."""

    type: str
    subtype: str
    q: float
    position: int


def parse_accept(header: str | None) -> list[AcceptEntry]:
    """Parse an Accept header into media ranges; a missing or empty header means ``*/*``.

    >>> [(e.type, e.subtype, e.q) for e in parse_accept("text/csv;q=0.5, */*;q=0.1")]
    [('text', 'csv', 0.5), ('*', '*', 0.1)]
    """
    if header is None or not header.strip():
        return [AcceptEntry("*", "*", 1.0, 0)]
    entries: list[AcceptEntry] = []
    for position, item in enumerate(header.split(",")):
        parts = item.split(";")
        media = parts[0].strip().lower()
        if not media:
            continue
        if media == "*":
            media = "*/*"
        main, _, sub = media.partition("/")
        q = 1.0
        for param in parts[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                if not math.isfinite(q):
                    q = 0.0
                q = min(max(q, 0.0), 1.0)
        entries.append(AcceptEntry(main, sub or "*", q, position))
    return entries


def _match(entries: list[AcceptEntry], media_type: str) -> tuple[float, int, int] | None:
    """Quality, specificity and position of the most specific range matching ``media_type``."""
    main, _, sub = media_type.partition("/")
    best: tuple[float, int, int] | None = None
    for e in entries:
        if e.type == main and e.subtype == sub:
            spec = 2
        elif e.type == main and e.subtype == "*":
            spec = 1
        elif e.type == "*":
            spec = 0
        else:
            continue
        if best is None or spec > best[1] or (spec == best[1] and e.q > best[0]):
            best = (e.q, spec, e.position)
    return best


MEMO_ACCEPT_BYTES = 256
"""Accept headers up to this size are memoised; longer ones are negotiated afresh each time, so
no memo ever holds a large header (issue 9: distinct 8 MB headers were pinned in memory)."""


def choose_format(accept: str | None, candidates: tuple[Format, ...]) -> Format | None:
    """Best candidate for an Accept header (q-value, then specificity, then header order).

    Memoised for short headers: clients repeat the same few, and parsing them showed up in profiles.

    >>> choose_format("text/csv, application/sparql-results+json;q=0.9", RESULT_FORMATS).name
    'csv'
    >>> choose_format("text/html", RESULT_FORMATS) is None
    True
    """
    if accept is None or len(accept) <= MEMO_ACCEPT_BYTES:
        return _memo_choose_format(accept, candidates)
    return _choose_format(accept, candidates)


def _choose_format(accept: str | None, candidates: tuple[Format, ...]) -> Format | None:
    entries = parse_accept(accept)
    best: tuple[tuple[float, int, int, int, int], Format] | None = None
    for order, fmt in enumerate(candidates):
        for alias_rank, media in enumerate((fmt.media_type, *fmt.aliases)):
            m = _match(entries, media)
            if m is None or m[0] <= 0.0:
                continue
            # More specific ranges win, and at equal specificity a canonical type beats an
            # alias; remaining ties go to the client's order, then to ours.
            spec_rank = m[1] * 2 - (1 if alias_rank else 0)
            key = (m[0], spec_rank, -m[2], -order, -alias_rank)
            if best is None or key > best[0]:
                best = (key, fmt)
    return best[1] if best else None


_memo_choose_format = lru_cache(maxsize=512)(_choose_format)


def format_from_token(token: str, candidates: tuple[Format, ...]) -> Format | None:
    """Format named by a ``format``/``output``/``results`` value (a short name or a media type)."""
    t = token.strip().lower()
    for fmt in candidates:
        if t in fmt.tokens or t == fmt.media_type or t in fmt.aliases:
            return fmt
    return None


def pick_format(
    accept: str | None, token: str | None, offered: tuple[Format, ...]
) -> Format | None:
    """The one rule every route negotiates by: a non-blank format token wins over ``Accept``.

    A token naming nothing in ``offered`` gives None (a 406), never a fallback to ``Accept``.
    """
    if token is not None and token.strip():
        return format_from_token(token, offered)
    return choose_format(accept, offered)
