"""Named queries as a REST API, and published as SPARQL examples (the SIB convention).

Every ``queries/*.rq`` becomes its own ``GET /api/queries/<name>`` operation, generated at app
creation with its parameters written into the OpenAPI document (typed schema, description,
example from the query header), so ``/docs`` shows one form per question. Parameter values are
checked and bound as RDF terms by :mod:`ftgraph.sparql.named_queries` and passed to pyoxigraph as
``substitutions``: a value is never pasted into query text, so ``" } ; DROP`` is just a string.

Queries run like ``/sparql`` ones, through :func:`ftgraph.web.answering.answer_query`: in the killable query
workers (the bound terms travel as plain data, see :func:`ftgraph.sparql.jobs.encode_substitutions`),
with the same deadline (``Settings.query_timeout``, lowered by a ``timeout`` parameter; ``503``
and the worker killed past it), streamed answers, result cache and ETags.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ftgraph.config import Settings
from ftgraph.formats import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Format,
    pick_format,
)
from ftgraph.sparql.jobs import encode_substitutions
from ftgraph.sparql.named_queries import (
    PARAM_TYPES,
    TIMEOUT_PARAM,
    NamedQuery,
    Parameter,
    ParameterError,
    load_named_queries,
)
from ftgraph.sparql.protocol import Negotiated, ProtocolError, QueryRequest, parse_timeout
from ftgraph.vocab import BASE, PREFIXES
from ftgraph.web.answering import answer_not_modified, answer_query
from ftgraph.web.responses import mount_root
from ftgraph.web.runtime import get_runtime

TAG = "named queries"
FORMAT_PARAM = "format"
"""Query-string parameter choosing the answer format; it overrides ``Accept``."""
DOWNLOAD_FORMATS = ("csv", "tsv")
"""Formats that come as a file download (``Content-Disposition: attachment``) when asked by name."""


# --------------------------------------------------------------------------------------------
# Plain functions: parameters, evaluation, descriptions
# --------------------------------------------------------------------------------------------


class Problems(Exception):
    """Parameter values the query cannot take: one ``(name, message, value)`` per problem."""

    def __init__(self, problems: list[tuple[str, str, str | None]]) -> None:
        super().__init__("; ".join(f"{n}: {m}" for n, m, _ in problems))
        self.problems = problems

    def detail(self) -> list[dict[str, Any]]:
        """FastAPI's validation-error shape, so clients handle every 422 the same way."""
        return [
            {"type": "value_error", "loc": ["query", name], "msg": msg, "input": value}
            for name, msg, value in self.problems
        ]


def parse_parameters(
    query: NamedQuery, items: list[tuple[str, str]], max_timeout: float
) -> tuple[dict[ox.Variable, ox.NamedNode | ox.Literal], str | None, float]:
    """Bindings for the query, the ``format`` value and the deadline, from the query string.

    A missing or empty parameter stays unbound (an empty form field means "any"); an unknown
    or repeated one is refused rather than silently ignored, since a typo would otherwise widen
    the answer to every row. ``timeout`` (seconds) can only lower ``max_timeout``, as on /sparql.

    Raises:
        Problems: every bad value at once, each with the reason.
    """
    declared = {p.name: p for p in query.parameters}
    values: dict[str, str] = {}
    problems: list[tuple[str, str, str | None]] = []
    fmt: str | None = None
    timeout: str | None = None
    for key, value in items:
        if key == FORMAT_PARAM and key not in declared:
            fmt = value
        elif key == TIMEOUT_PARAM:
            if timeout is not None:
                problems.append((key, "given more than once", value))
            timeout = value
        elif key not in declared:
            takes = ", ".join(declared) or "no parameters"
            problems.append((key, f"unknown parameter; this query takes {takes}", value))
        elif key in values:
            problems.append((key, "given more than once", value))
        elif value != "":
            values[key] = value
    subs: dict[ox.Variable, ox.NamedNode | ox.Literal] = {}
    for name, raw in values.items():
        try:
            subs[ox.Variable(name)] = declared[name].bind(raw)
        except ParameterError as e:
            problems.append((name, str(e), raw))
    seconds = max_timeout
    if timeout:
        try:
            seconds = parse_timeout([timeout], max_timeout)
        except ProtocolError as e:
            problems.append((TIMEOUT_PARAM, e.message, timeout))
    if problems:
        raise Problems(problems)
    return subs, fmt, seconds


def query_form(query: NamedQuery) -> str:
    """``select``, ``ask``, ``construct`` or ``describe``: the first query keyword after the prologue.

    >>> query_form(NamedQuery("q", "t", "", "# x\\nPREFIX a: <http://a/>\\nASK { ?s ?p ?o }"))
    'ask'
    """
    body = "\n".join(line for line in query.text.splitlines() if not line.lstrip().startswith("#"))
    body = re.sub(r"(?i)\b(PREFIX\s+\S*\s*<[^>]*>|BASE\s*<[^>]*>)", " ", body)
    match = re.search(r"(?i)\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", body)
    return match.group(1).lower() if match else "select"


def query_body(query: NamedQuery) -> str:
    """The query text without its header comments (title, description and params say those)."""
    lines = query.text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "\n".join(lines).strip() + "\n"


def choose_answer_format(
    is_graph: bool, accept: str | None, token: str | None
) -> tuple[Format | None, str]:
    """Format for a query's answer: ``?format=`` wins over ``Accept`` (protocol.py's rules)."""
    candidates = GRAPH_FORMATS if is_graph else RESULT_FORMATS
    given = token is not None and token.strip()
    why = f"unknown format {token!r}" if given else "no acceptable format"
    return pick_format(accept, token, candidates), why


def operation_id(name: str) -> str:
    """OpenAPI operation id of a named query (also its Swagger UI anchor)."""
    return "run_" + re.sub(r"\W", "_", name)


def example_url(query: NamedQuery, root: str = "") -> str:
    """The query's URL with every parameter set to the example from its header."""
    url = f"{root}/api/queries/{quote(query.name)}"
    return url + ("?" + urlencode(query.examples()) if query.parameters else "")


def describe_query(query: NamedQuery, root: str = "") -> dict[str, Any]:
    """One entry of ``GET /api/queries``: what it answers, its parameters, where to run it."""
    path = f"{root}/api/queries/{quote(query.name)}"
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "form": query_form(query),
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "example": p.example,
                "description": p.text,
                "required": False,
            }
            for p in query.parameters
        ],
        "sparql": query_body(query),
        "links": {
            "self": path,
            "example": example_url(query, root),
            "csv": path + "?" + urlencode({**query.examples(), "format": "csv"}),
            "docs": f"{root}/docs#/{quote(TAG)}/{operation_id(query.name)}",
        },
    }


def openapi_parameters(query: NamedQuery) -> list[dict[str, Any]]:
    """OpenAPI parameter objects: one per query parameter, plus ``format``."""
    params: list[dict[str, Any]] = []
    for p in query.parameters:
        example = p.example_json()
        params.append(
            {
                "name": p.name,
                "in": "query",
                "required": False,
                "description": f"{p.text} ({p.type}; left unbound when missing)",
                "schema": {**PARAM_TYPES[p.type], "examples": [example]},
                "example": example,
            }
        )
    if FORMAT_PARAM not in {p.name for p in query.parameters}:
        params.append(
            {
                "name": FORMAT_PARAM,
                "in": "query",
                "required": False,
                "description": "Answer format, overriding Accept; csv and tsv come as a download.",
                "schema": {"type": "string", "enum": [f.tokens[0] for f in RESULT_FORMATS]},
            }
        )
    params.append(
        {
            "name": TIMEOUT_PARAM,
            "in": "query",
            "required": False,
            "description": "Seconds before the query is stopped with 503; "
            "it can only lower the server's deadline (query_timeout).",
            "schema": {"type": "number", "exclusiveMinimum": 0},
        }
    )
    return params


def _parameter_lines(params: tuple[Parameter, ...]) -> str:
    return "".join(f"\n- `{p.name}` ({p.type}, e.g. `{p.example}`): {p.text}" for p in params)


def openapi_description(query: NamedQuery) -> str:
    """Markdown for /docs: the header's description, the parameters and the SPARQL text."""
    params = _parameter_lines(query.parameters)
    text = query.description
    if params:
        text += "\n\nParameters (each optional; a missing one stays unbound):" + params
    return text + f"\n\n```sparql\n{query_body(query)}```"


# --------------------------------------------------------------------------------------------
# SPARQL examples (https://github.com/sib-swiss/sparql-examples)
# --------------------------------------------------------------------------------------------

SH = PREFIXES["sh"]
RDFS = PREFIXES["rdfs"]
SCHEMA = "https://schema.org/"
"""The SIB examples use the https schema.org IRI for ``schema:target``."""
SPEX = "https://purl.expasy.org/sparql-examples/ontology#"
EXAMPLES_NS = BASE + ".well-known/sparql-examples/"
"""Persistent IRIs of the examples: ``https://w3id.org/ftgraph/.well-known/sparql-examples/<name>``."""

_FORM_TERMS = {
    "select": (SH + "SPARQLSelectExecutable", SH + "select"),
    "ask": (SH + "SPARQLAskExecutable", SH + "ask"),
    "construct": (SH + "SPARQLConstructExecutable", SH + "construct"),
    "describe": (SPEX + "DescribeExecutable", SPEX + "describe"),
}
EXAMPLE_PREFIXES = {
    "ex": EXAMPLES_NS,
    "sh": SH,
    "rdf": PREFIXES["rdf"],
    "rdfs": RDFS,
    "owl": PREFIXES["owl"],
    "xsd": PREFIXES["xsd"],
    "schema": SCHEMA,
    "spex": SPEX,
}


def sparql_examples(
    queries: dict[str, NamedQuery], endpoint: str, api_base: str
) -> list[ox.Triple]:
    """The named queries as SIB SPARQL examples: one ``sh:SPARQLExecutable`` per query.

    ``endpoint`` is the SPARQL endpoint URL the examples target, ``api_base`` the URL prefix of the
    REST operations (linked with ``rdfs:seeAlso``, where the parameters are documented).
    """
    n = ox.NamedNode
    rdf_type = n(PREFIXES["rdf"] + "type")
    prefixes = n(EXAMPLES_NS + "prefixes")
    t: list[ox.Triple] = []
    for q in queries.values():
        ex = n(EXAMPLES_NS + quote(q.name))
        cls, text_prop = _FORM_TERMS[query_form(q)]
        t += [
            ox.Triple(ex, rdf_type, n(SH + "SPARQLExecutable")),
            ox.Triple(ex, rdf_type, n(cls)),
            ox.Triple(ex, n(RDFS + "label"), ox.Literal(q.title, language="en")),
            ox.Triple(ex, n(RDFS + "comment"), ox.Literal(q.description or q.title, language="en")),
            ox.Triple(ex, n(text_prop), ox.Literal(query_body(q))),
            ox.Triple(ex, n(SH + "prefixes"), prefixes),
            ox.Triple(ex, n(SCHEMA + "target"), n(endpoint)),
            ox.Triple(ex, n(RDFS + "seeAlso"), n(api_base + quote(q.name))),
        ]
    # The prefix declarations, one block after the examples (the serializer groups by subject).
    declarations = [(ox.BlankNode(f"prefix_{k}"), k, ns) for k, ns in sorted(PREFIXES.items())]
    t.append(ox.Triple(prefixes, rdf_type, n(PREFIXES["owl"] + "Ontology")))
    t += [ox.Triple(prefixes, n(SH + "declare"), decl) for decl, _, _ in declarations]
    for decl, prefix, ns in declarations:
        t += [
            ox.Triple(decl, n(SH + "prefix"), ox.Literal(prefix)),
            ox.Triple(
                decl, n(SH + "namespace"), ox.Literal(ns, datatype=n(PREFIXES["xsd"] + "anyURI"))
            ),
        ]
    return t


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------


async def run_named_query(request: Request, query: NamedQuery, settings: Settings) -> Response:
    """``GET /api/queries/<name>``: bind, negotiate, evaluate on a query worker as ``/sparql`` does.

    ``422`` on a bad value, ``406`` on format, ``304`` on a matching ``If-None-Match``, ``503`` past
    the deadline (the worker is killed and replaced).
    """
    started = time.perf_counter()
    try:
        subs, token, timeout = parse_parameters(
            query, list(request.query_params.multi_items()), settings.query_timeout
        )
    except Problems as e:
        return JSONResponse({"detail": e.detail()}, status_code=422)
    accept = request.headers.get("accept")
    results, results_why = choose_answer_format(False, accept, token)
    graph, graph_why = choose_answer_format(True, accept, token)
    is_graph = query_form(query) in ("construct", "describe")
    if (graph if is_graph else results) is None:
        offered = ", ".join(f.media_type for f in (GRAPH_FORMATS if is_graph else RESULT_FORMATS))
        why = graph_why if is_graph else results_why
        return PlainTextResponse(
            f"{why}; this query returns {offered}\n", status_code=406, headers={"Vary": "Accept"}
        )
    req = QueryRequest(query.text, timeout=timeout, formats=Negotiated(results, graph))
    bound = encode_substitutions(subs)
    rt = await get_runtime(request)
    cached = answer_not_modified(rt, req, request.headers.get("if-none-match"), bound)
    if cached is not None:
        return cached

    def download(fmt: Format) -> dict[str, str]:
        if token is not None and fmt.name in DOWNLOAD_FORMATS:
            return {"Content-Disposition": f'attachment; filename="{query.name}.{fmt.name}"'}
        return {}

    return await answer_query(
        rt,
        req,
        request.method,
        started,
        substitutions=bound,
        extra_headers=download,
        client=request.client.host if request.client else "",
        receive=request.receive,
        own_query=query.name,
    )


def _responses() -> dict[int | str, dict[str, Any]]:
    detail = {
        "type": "object",
        "properties": {
            "detail": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "loc": {"type": "array", "items": {"type": "string"}},
                        "msg": {"type": "string"},
                        "type": {"type": "string"},
                        "input": {"type": ["string", "null"]},
                    },
                },
            }
        },
    }
    return {
        200: {
            "description": "The answer (SPARQL JSON by default; by Accept or ?format=)",
            "content": {f.media_type: {} for f in RESULT_FORMATS},
        },
        406: {"description": "No acceptable format", "content": {"text/plain": {}}},
        422: {
            "description": "A parameter value that does not fit its type, with the reason",
            "content": {"application/json": {"schema": detail}},
        },
        503: {
            "description": "The query ran past its deadline and was stopped",
            "content": {"text/plain": {}},
        },
    }


def create_router(settings: Settings) -> APIRouter:
    """The REST API (one operation per named query) and ``/.well-known/sparql-examples``."""
    queries = load_named_queries(Path(settings.root))
    router = APIRouter()

    def list_queries(request: Request) -> JSONResponse:
        """Every named query: title, description, typed parameters with examples, links."""
        root = mount_root(request)
        return JSONResponse({"queries": [describe_query(q, root) for q in queries.values()]})

    router.add_api_route(
        "/api/queries",
        list_queries,
        methods=["GET"],
        tags=[TAG],
        summary="List the named queries",
        response_class=JSONResponse,
    )

    def make_endpoint(query: NamedQuery) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await run_named_query(request, query, settings)

        endpoint.__name__ = operation_id(query.name)
        endpoint.__doc__ = query.description
        return endpoint

    for query in queries.values():
        router.add_api_route(
            f"/api/queries/{query.name}",
            make_endpoint(query),
            methods=["GET"],
            tags=[TAG],
            summary=query.title,
            description=openapi_description(query),
            operation_id=operation_id(query.name),
            response_class=Response,
            responses=_responses(),
            openapi_extra={"parameters": openapi_parameters(query)},
        )

    def unknown_query(name: str) -> JSONResponse:
        known = ", ".join(queries) or "none"
        return JSONResponse(
            {"detail": f"No named query {name!r}; known queries: {known}"}, status_code=404
        )

    router.add_api_route(
        "/api/queries/{name}", unknown_query, methods=["GET"], include_in_schema=False
    )

    def examples(request: Request) -> Response:
        """The named queries as SPARQL examples (SHACL ``sh:SPARQLExecutable``), Turtle or JSON-LD."""
        accept, token = request.headers.get("accept"), request.query_params.get(FORMAT_PARAM)
        fmt = pick_format(accept, token, GRAPH_FORMATS)
        if fmt is None:
            offered = ", ".join(f.media_type for f in GRAPH_FORMATS)
            return PlainTextResponse(f"Available as {offered}\n", status_code=406)
        base = str(request.base_url)
        triples = sparql_examples(queries, base + "sparql", base + "api/queries/")
        body = ox.serialize(triples, format=fmt.rdf, prefixes=EXAMPLE_PREFIXES)
        assert body is not None
        return Response(body, media_type=fmt.content_type, headers={"Vary": "Accept"})

    router.add_api_route(
        "/.well-known/sparql-examples",
        examples,
        methods=["GET"],
        tags=[TAG],
        summary="The named queries as SPARQL examples (RDF)",
        response_class=Response,
        responses={200: {"content": {f.media_type: {} for f in GRAPH_FORMATS}}},
    )
    return router
