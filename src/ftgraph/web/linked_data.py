"""Dereferenceable IRIs ("Cool URIs for the Semantic Web", 303 flavour) and their descriptions.

The data's IRIs stay in the persistent namespace ``https://w3id.org/ftgraph/`` whatever host serves
them; this module maps request paths under it. A *thing* (``/id/<kind>/<slug>``,
``/ontology/<Term>``) answers ``303 See Other`` to its *document* (``/doc/id/…``,
``/doc/ontology/…``), and the document negotiates between an HTML page and RDF.

A description is every quad with the resource as subject or object, in every graph but the meta
graph, so each statement keeps the article that states it (an article's IRI names its graph).
Dataset formats (TriG, N-Quads, JSON-LD) carry those graphs as they are; triple formats (Turtle,
N-Triples, RDF/XML) get the merged triples plus a provenance block: ``<doc> prov:wasDerivedFrom
<article>`` per article and one ``rdf:Statement`` reification per statement with ``dcterms:source``
naming each article that states it. Labels of every IRI the resource links to come along, so a
client can show names without further requests.

Nothing is evaluated in the HTTP process: a page's reads (:mod:`ftgraph.web.describe`) run in the
query workers, with the query deadline, the client's admission slot and the worker memory cap, so
a much-referenced IRI or a damaged store costs a 503, never the server (issue 9, finding 7).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from ftgraph.config import Settings
from ftgraph.formats import DOC_FORMATS, Format, pick_format
from ftgraph.vocab import (
    BASE,
    GRAPH,
    ONTOLOGY,
)
from ftgraph.web import shell as h
from ftgraph.web.describe import (
    Description,
)
from ftgraph.web.documents import (
    doc_path,
    format_links,
    iri_for_path,
    render_description,
    serialize_description,
    serialize_ontology,
)
from ftgraph.web.responses import mount_root, not_modified

# --------------------------------------------------------------------------------------------
# HTTP: negotiation and responses (plain functions; the routes only pick one)
# --------------------------------------------------------------------------------------------


class NotAcceptable(Exception):
    """No document format fits the request."""


def document_format(accept: str | None, format_param: str | None) -> Format:
    """The document format: an explicit ``?format=`` wins over ``Accept``.

    Raises:
        NotAcceptable: the parameter names no format we have, or nothing in Accept fits.
    """
    fmt = pick_format(accept, format_param, DOC_FORMATS)
    if fmt is None:
        given = format_param is not None and format_param.strip()
        raise NotAcceptable("Unknown ?format= value" if given else "No acceptable format")
    return fmt


def wants_html(request: Request) -> bool:
    """Whether an error should be an HTML page (browsers) rather than plain text (RDF clients)."""
    try:
        return (
            document_format(request.headers.get("accept"), request.query_params.get("format")).name
            == "html"
        )
    except NotAcceptable:
        return False


def cache_headers(version: str, settings: Settings, key: str) -> dict[str, str]:
    """ETag and caching headers: an answer only changes with the store version (a rebuild)."""
    etag = 'W/"' + hashlib.sha256(f"{version}\0{key}".encode()).hexdigest()[:32] + '"'
    return {
        "ETag": etag,
        "Cache-Control": f"public, max-age={settings.cache_max_age}",
        "Vary": "Accept",
    }


def not_acceptable(message: str) -> Response:
    """406 listing what the document can be."""
    offered = ", ".join(f.media_type for f in DOC_FORMATS)
    tokens = ", ".join(f.tokens[0] for f in DOC_FORMATS)
    return PlainTextResponse(
        f"{message}. Available: {offered} (or ?format={tokens}).\n",
        status_code=406,
        headers={"Vary": "Accept", "X-Content-Type-Options": "nosniff"},
    )


def not_found(request: Request, iri: str) -> Response:
    """404: an HTML page for browsers, plain text for everyone else; never a 500."""
    headers = {"Vary": "Accept"}
    if wants_html(request):
        return h.html_response(
            h.not_found_page(iri, mount_root(request)), status_code=404, headers=headers
        )
    return PlainTextResponse(
        f"Not found: the graph says nothing about <{iri}>\n", status_code=404, headers=headers
    )


def see_other(request: Request, target_path: str) -> Response:
    """``303 See Other`` from a thing to its document, keeping the query string."""
    query = request.url.query
    location = mount_root(request) + target_path + (f"?{query}" if query else "")
    return Response(
        f"See {location}\n",
        status_code=303,
        media_type="text/plain",
        headers={"Location": location, "Vary": "Accept"},
    )


Read = Callable[[Request, str, str], Awaitable[Any]]
"""Runs one page read of :mod:`ftgraph.web.describe` (procedure, argument) on a query worker; answers
its value, or the :class:`Response` to send instead (429, 503 at the deadline, 499)."""


async def thing(request: Request, read: Read, kind: str, rest: str) -> Response:
    """A thing's IRI: 303 to its document if the graph knows it, else 404."""
    node = iri_for_path(kind, rest)
    if node is None:
        return not_found(request, BASE + kind + "/" + rest)
    known = await read(request, "exists", node.value)
    if isinstance(known, Response):
        return known
    if not known:
        return not_found(request, node.value)
    return see_other(request, doc_path(node.value))


async def document(
    request: Request, read: Read, version: str, settings: Settings, kind: str, rest: str
) -> Response:
    """The document about a thing, as HTML or RDF."""
    try:
        fmt = document_format(request.headers.get("accept"), request.query_params.get("format"))
    except NotAcceptable as e:
        return not_acceptable(str(e))
    node = iri_for_path(kind, rest)
    if node is None:
        return not_found(request, BASE + kind + "/" + rest)
    root = mount_root(request)
    headers = cache_headers(version, settings, f"{node.value}\0{fmt.name}\0{root}")
    cached = not_modified(request.headers.get("if-none-match"), headers)
    if cached is not None:
        return cached
    desc = await read(request, "describe", node.value)
    if isinstance(desc, Response):
        return desc
    if desc is None:
        return not_found(request, node.value)
    assert isinstance(desc, Description)
    if fmt.name == "html":
        return h.html_response(render_description(desc, root), headers=headers)
    return Response(serialize_description(desc, fmt), media_type=fmt.content_type, headers=headers)


ONTOLOGY_PAGES = 8
"""Rendered ontology pages kept (one per store version and root path: a handful at most)."""


async def ontology_document(
    request: Request, read: Read, version: str, settings: Settings, pages: dict[str, str]
) -> Response:
    """The ontology's own document: the generated overview page, or the ontology graph as RDF.

    ``pages`` keeps the rendered HTML by version and root, so its queries run once per version.
    """
    from ftgraph.web import ontology_doc

    try:
        fmt = document_format(request.headers.get("accept"), request.query_params.get("format"))
    except NotAcceptable as e:
        return not_acceptable(str(e))
    root = mount_root(request)
    headers = cache_headers(version, settings, f"{ONTOLOGY}\0{fmt.name}\0{root}")
    cached = not_modified(request.headers.get("if-none-match"), headers)
    if cached is not None:
        return cached
    if fmt.name != "html":
        quads = await read(request, "ontology_quads", "")
        if isinstance(quads, Response):
            return quads
        return Response(
            serialize_ontology(quads, fmt), media_type=fmt.content_type, headers=headers
        )
    key = version + "\0" + root
    page = pages.get(key)
    if page is None:
        doc = await read(request, "ontology_doc", "")
        if isinstance(doc, Response):
            return doc
        page = ontology_doc.render(doc, root, format_links(ONTOLOGY, root))
        if len(pages) >= ONTOLOGY_PAGES:
            pages.clear()
        pages[key] = page
    return h.html_response(page, headers=headers)


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------


def create_router(settings: Settings, read: Read, version: Callable[[Request], str]) -> APIRouter:
    """Routes of the persistent namespace: things (303), their documents, the ontology page.

    ``read`` runs page reads on the query workers; ``version`` names the store being served (ETags).
    """
    router = APIRouter(tags=["linked data"])
    pages: dict[str, str] = {}

    def add(
        path: str,
        endpoint: Callable[..., Awaitable[Response] | Response],
        summary: str,
        name: str,
        doc: bool = True,
    ) -> None:
        """GET in the OpenAPI document (unless ``doc`` is false), and HEAD beside it."""
        router.add_api_route(
            path,
            endpoint,
            methods=["GET"],
            summary=summary,
            name=name,
            response_class=Response,
            include_in_schema=doc,
        )
        router.add_api_route(
            path,
            endpoint,
            methods=["HEAD"],
            include_in_schema=False,
            name=name + "_head",
            response_class=Response,
        )

    async def entity(request: Request, path: str) -> Response:
        """An entity IRI ``https://w3id.org/ftgraph/id/…``: 303 See Other to its document."""
        return await thing(request, read, "id", path)

    async def entity_doc(request: Request, path: str) -> Response:
        """What the graph says about an entity, with the source article of each statement.

        HTML, Turtle, JSON-LD, N-Triples, RDF/XML, TriG or N-Quads by ``Accept`` or ``?format=``.
        """
        return await document(request, read, version(request), settings, "id", path)

    async def term(request: Request, term: str) -> Response:
        """An ontology term IRI ``https://w3id.org/ftgraph/ontology/<Term>``: 303 to its document."""
        return await thing(request, read, "ontology", term)

    async def term_doc(request: Request, term: str) -> Response:
        """What the ontology (and the data) says about one term."""
        return await document(request, read, version(request), settings, "ontology", term)

    def ontology(request: Request) -> Response:
        """The ontology IRI ``https://w3id.org/ftgraph/ontology``: 303 to its document."""
        return see_other(request, "/doc/ontology")

    async def ontology_doc_route(request: Request) -> Response:
        """Every class, property and concept scheme of the ontology, generated from the store."""
        return await ontology_document(request, read, version(request), settings, pages)

    def dataset(request: Request) -> Response:
        """The dataset IRI ``https://w3id.org/ftgraph/dataset``: 303 to its VoID description."""
        return see_other(request, "/.well-known/void")

    def graph(request: Request, name: str) -> Response:
        """A non-article graph IRI ``https://w3id.org/ftgraph/graph/…``: 303 to what describes it."""
        targets = {"ontology": "/doc/ontology", "meta": "/.well-known/void"}
        if name not in targets:
            return not_found(request, GRAPH + name)
        return see_other(request, targets[name])

    add("/id/{path:path}", entity, "Entity IRI (303 to its document)", "ld_entity")
    add("/doc/id/{path:path}", entity_doc, "Entity document", "ld_entity_doc")
    add("/ontology", ontology, "Ontology IRI (303 to its document)", "ld_ontology")
    add("/ontology/", ontology, "Ontology namespace (303)", "ld_ontology_ns", doc=False)
    add("/doc/ontology", ontology_doc_route, "Ontology document", "ld_ontology_doc")
    add("/ontology/{term:path}", term, "Ontology term IRI (303 to its document)", "ld_term")
    add("/doc/ontology/{term:path}", term_doc, "Ontology term document", "ld_term_doc")
    add("/dataset", dataset, "Dataset IRI (303 to VoID)", "ld_dataset")
    add("/graph/{name}", graph, "Graph IRI (303 to its description)", "ld_graph")
    return router
