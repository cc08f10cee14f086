"""Full-text search over the names of the graph: ``/api/search`` (JSON), ``/search`` (a results page
that works without JavaScript), OpenSearch suggestions and description (so a browser can add the
graph as a search engine). The index is the build's (``store/search.py``)."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from ftgraph.config import Settings
from ftgraph.store.search import MAX_QUERY_CHARS, Hit, Index, SearchTimeout
from ftgraph.web import shell
from ftgraph.web.responses import mount_root
from ftgraph.web.runtime import Runtime, RuntimeDep

SEARCH_DEADLINE = 2.0
"""Seconds a search may take (SQLite's progress handler stops it): names are short, so this is a
guard against a pathological index, not a budget any real query approaches."""

MAX_KIND_CHARS = 64
"""Kinds are class names; a longer ``kind`` is a 422 before the index is asked."""

OPENSEARCH_TYPE = "application/opensearchdescription+xml"
SUGGESTIONS_TYPE = "application/x-suggestions+json"
_LANG = re.compile(r"^[A-Za-z]{2,3}$")


class SearchError(Exception):
    """A request the search refuses: the status and what to say."""

    def __init__(self, status: int, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = message if detail is None else detail


def checked_query(q: str) -> str:
    """``q`` if it can be searched; 400 for an empty or over-long one."""
    if not q.strip():
        raise SearchError(400, "q is empty: give a name or a part of one")
    if len(q) > MAX_QUERY_CHARS:
        raise SearchError(400, f"q is longer than {MAX_QUERY_CHARS} characters")
    return q


def checked_kind(index: Index, kind: str | None) -> str | None:
    """``kind`` if the index has documents of it; 422 in FastAPI's shape otherwise."""
    if kind is None or kind == "":
        return None
    kinds = index.kinds()
    if kind not in kinds:
        raise SearchError(
            422,
            f"unknown kind {kind!r}",
            [
                {
                    "type": "value_error",
                    "loc": ["query", "kind"],
                    "msg": f"unknown kind; one of {', '.join(kinds)}",
                    "input": kind,
                }
            ],
        )
    return kind


async def run_search(rt: Runtime, q: str, kind: str | None, lang: str, limit: int) -> list[Hit]:
    """The hits, searched off the event loop; 503 when the version has no index or at the deadline."""
    index = rt.search
    if index is None:
        raise SearchError(503, "this store has no search index; `ftgraph build --force` writes it")
    q = checked_query(q)
    kind = checked_kind(index, kind)
    try:
        return await run_in_threadpool(
            index.search, q, kind=kind, lang=lang, limit=limit, deadline=SEARCH_DEADLINE
        )
    except SearchTimeout as err:
        raise SearchError(503, str(err)) from err


def hit_json(hit: Hit, root: str) -> dict[str, Any]:
    """One result of the API: the IRI, its page, label, kind, marked snippet, score, articles."""
    return {**asdict(hit), "page": shell.href_for(hit.iri, root)}


def _filter(q: str, kind: str, count: int, current: bool, root: str) -> str:
    esc = shell.esc
    mark = ' aria-current="true"' if current else ""
    href = f"{root}/search?{urlencode({'q': q, 'kind': kind})}"
    return (
        f'<li><a href="{esc(href)}"{mark}>{esc(kind)}</a> <span class="muted">{count:,}</span></li>'
    )


def _result(hit: Hit, titles: dict[str, str], root: str) -> str:
    esc = shell.esc
    sources = "".join(
        f' · <a href="{esc(shell.href_for(s, root) or s)}" lang="fr">'
        f"{esc(titles.get(s, s.rsplit('/', 1)[-1]))}</a>"
        for s in hit.sources
    )
    articles = f"{hit.articles} article{'s' if hit.articles != 1 else ''}"
    return (
        f'<li><a href="{esc(shell.href_for(hit.iri, root) or hit.iri)}">{esc(hit.label)}</a> '
        f'<span class="kind">{esc(hit.kind)}</span><p>{hit.snippet}</p>'
        f'<p class="muted">{articles}{sources}</p></li>'
    )


def results_body(
    q: str,
    kind: str | None,
    hits: list[Hit],
    kinds: dict[str, int],
    titles: dict[str, str],
    root: str,
) -> str:
    """The results page: a form, the kinds as filters, each hit with its kind and sources."""
    esc = shell.esc
    form = (
        f'<form role="search" action="{esc(root)}/search" method="get">'
        f'<input type="search" name="q" value="{esc(q)}" aria-label="Search the graph" '
        f'maxlength="{MAX_QUERY_CHARS}">'
        + (f'<input type="hidden" name="kind" value="{esc(kind)}">' if kind else "")
        + '<button type="submit">Search</button></form>'
    )
    if not q:
        return "<h1>Search</h1>" + form
    filters = "".join(_filter(q, k, n, k == kind, root) for k, n in kinds.items())
    everything = esc(f"{root}/search?{urlencode({'q': q})}")
    found = (
        '<ol class="results">' + "".join(_result(h, titles, root) for h in hits) + "</ol>"
        if hits
        else "<p>Nothing matches.</p>"
    )
    return (
        "<h1>Search</h1>"
        + form
        + f'<nav aria-label="Kinds"><p>Filter: <a href="{everything}">all kinds</a></p>'
        + f'<ul class="filters">{filters}</ul></nav>'
        + found
    )


def opensearch_description(base: str) -> str:
    """OpenSearch 1.1 description: the results page and the suggestions, on this server."""
    escape = shell.esc
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">\n'
        "  <ShortName>ftgraph</ShortName>\n"
        "  <Description>Aix-Marseille French Tech knowledge graph: organisations, people, "
        "places, events</Description>\n"
        "  <InputEncoding>UTF-8</InputEncoding>\n"
        f'  <Url type="text/html" template="{escape(base)}/search?q={{searchTerms}}"/>\n'
        f'  <Url type="{SUGGESTIONS_TYPE}" template="{escape(base)}/api/search/suggest?q={{searchTerms}}"/>\n'
        f'  <Url type="application/json" template="{escape(base)}/api/search?q={{searchTerms}}"/>\n'
        "</OpenSearchDescription>\n"
    )


def _error(err: SearchError) -> JSONResponse:
    return JSONResponse({"detail": err.detail}, status_code=err.status)


def create_router(settings: Settings) -> APIRouter:
    """The search routes."""
    router = APIRouter()
    del settings  # the index is the served version's; nothing to configure yet

    @router.get("/api/search", tags=["search"])
    async def api_search(
        request: Request,
        rt: RuntimeDep,
        q: Annotated[
            str,
            Query(
                description="Words of a name: case, accents and word order do not matter; the last word may be a prefix."
            ),
        ],
        kind: Annotated[
            str | None,
            Query(
                max_length=MAX_KIND_CHARS,
                description="Only documents of this kind (Organisation, Person, Event, Concept…).",
            ),
        ] = None,
        lang: Annotated[
            str,
            Query(
                pattern=_LANG.pattern,
                description="Language of the label returned (falls back to another).",
            ),
        ] = "fr",
        limit: Annotated[int, Query(ge=1, le=50)] = 10,
    ) -> Response:
        """Full-text search over labels, alternative labels and descriptions.

        A label match ranks above an alternative label, which ranks above a description; ties go to
        the entity more articles mention. ``400`` for an empty or over-long ``q``, ``422`` for a bad
        parameter (an unknown ``kind`` included).
        """
        try:
            hits = await run_search(rt, q, kind, lang, limit)
        except SearchError as err:
            return _error(err)
        root = mount_root(request)
        return JSONResponse(
            {"q": q, "results": [hit_json(h, root) for h in hits]},
            headers={"Cache-Control": f"public, max-age={rt.settings.cache_max_age}"},
        )

    @router.get("/api/search/suggest", tags=["search"])
    async def api_suggest(
        request: Request,
        rt: RuntimeDep,
        q: Annotated[str, Query()],
    ) -> Response:
        """OpenSearch suggestions: ``[q, [labels], [kinds], [page URLs]]``."""
        try:
            hits = await run_search(rt, q, None, "fr", 8)
        except SearchError as err:
            return _error(err)
        base = str(request.base_url).rstrip("/")
        body = [
            q,
            [h.label for h in hits],
            [h.kind for h in hits],
            [base + (shell.href_for(h.iri) or "") for h in hits],
        ]
        return JSONResponse(body, media_type=SUGGESTIONS_TYPE)

    @router.api_route("/search", methods=["GET", "HEAD"], include_in_schema=False)
    async def search_page(
        request: Request, rt: RuntimeDep, q: str = "", kind: str = ""
    ) -> Response:
        """The results page; without ``q``, the form alone."""
        root = mount_root(request)
        hits: list[Hit] = []
        kinds: dict[str, int] = {}
        titles: dict[str, str] = {}
        status = 200
        notice = ""
        if q:
            try:
                hits = await run_search(rt, q, kind or None, "fr", 50)
                if rt.search is not None:
                    kinds = rt.search.kinds()
                    titles = rt.search.labels(sorted({s for h in hits for s in h.sources}))
            except SearchError as err:
                status = err.status
                notice = f'<p class="notice" role="status">{shell.esc(str(err))}</p>'
        html = shell.page(
            f"Search: {q}" if q else "Search",
            notice + results_body(q, kind or None, hits, kinds, titles, root),
            root=root,
        )
        return shell.html_response(html, status, headers={"Cache-Control": "no-cache"})

    @router.get("/opensearch.xml", include_in_schema=False)
    async def opensearch(request: Request) -> Response:
        return Response(
            opensearch_description(str(request.base_url).rstrip("/")), media_type=OPENSEARCH_TYPE
        )

    return router
