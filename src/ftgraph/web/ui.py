"""Web UI served by the endpoint app: landing page, SPARQL editor, timeline and graph view.

Pages are small HTML shells rendered here; the editor (YASGUI) and the two views are bundled by
``frontend/`` (``npm ci && npm run build``) into ``static/``. The landing page is rendered on the
server from the store (VoID statistics and the source articles), so it needs no JavaScript.

Everything a page loads comes from this server: the bundle carries no remote URL, and every
page is sent with a Content-Security-Policy limited to ``'self'``, so a browser refuses any
request to another host even if some code tried. That is what lets the UI work offline.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.routing import Match
from starlette.staticfiles import StaticFiles

from ftgraph.config import Settings
from ftgraph.sparql.named_queries import load_named_queries
from ftgraph.vocab import ALL_PREFIXES
from ftgraph.web import shell
from ftgraph.web.overview import Overview, UiState, example_query, overview_for
from ftgraph.web.responses import mount_root
from ftgraph.web.shell import href_for

if TYPE_CHECKING:
    from ftgraph.web.runtime import Runtime

log = logging.getLogger("ftgraph.web.ui")

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
"""Build output of ``frontend/`` (git-ignored); missing until ``npm run build`` has run."""

ASSETS = ("site.css", "query.css", "query.js", "timeline.js", "graph.js")

FAVICON = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    b'<path d="M8 9 L24 8 L16 24 Z" fill="none" stroke="#5b6475" stroke-width="2"/>'
    b'<circle cx="8" cy="9" r="5" fill="#1f5fbf"/><circle cx="24" cy="8" r="4" fill="#c2410c"/>'
    b'<circle cx="16" cy="24" r="5" fill="#0f766e"/></svg>'
)
"""Three linked nodes; served for /favicon.ico too, which browsers ask for on every page."""

DEFAULT_QUERY = """PREFIX ftg: <https://w3id.org/ftgraph/ontology/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>

# Organisations and how many of the five articles mention each.
# Ctrl-Enter runs the query; Ctrl-Space completes prefixes, classes and properties.
SELECT ?organisation ?name (COUNT(DISTINCT ?article) AS ?articles)
WHERE {
  ?organisation a ftg:Organisation ;
    rdfs:label ?name ;
    dcterms:isReferencedBy ?article .
  FILTER (LANG(?name) = "fr")
}
GROUP BY ?organisation ?name
ORDER BY DESC(?articles) ?name
"""


def asset_versions(directory: Path = STATIC_DIR) -> dict[str, str]:
    """Content hash of each built asset, appended to its URL so browsers never keep a stale one."""
    return {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest()[:12]
        for name in ASSETS
        if (directory / name).is_file()
    }


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def _json_script(data: Any) -> str:
    """Page data as inert JSON; ``<`` is escaped so no value can close the script element."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    return f'<script type="application/json" id="ftgraph-config">{text}</script>'


def page(
    state: UiState,
    request: Request,
    *,
    path: str,
    title: str,
    body: str,
    scripts: tuple[str, ...] = (),
    styles: tuple[str, ...] = (),
    data: Any = None,
) -> HTMLResponse:
    """A complete page: header navigation, ``body``, footer, and the page's own assets.

    Links are written server-relative (``/query``); behind a proxy that mounts the app under a
    prefix (ASGI ``root_path``) they get that prefix, as the scripts do from ``root`` in the data.
    """
    root = mount_root(request)
    if data is not None:
        data = {**data, "root": root, "endpoint": root + "/sparql"}
    v = state.versions
    links = "".join(
        f'<link rel="stylesheet" href="/static/{name}?v={v[name]}">'
        for name in ("site.css", *styles)
        if name in v
    )
    tags = "".join(
        f'<script src="/static/{name}?v={v[name]}" defer></script>' for name in scripts if name in v
    )
    missing = [name for name in (*scripts, *styles) if name not in v]
    notice = (
        '<p class="notice" role="status">This page needs the UI assets, which are not built: '
        "run <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>.</p>"
        if missing
        else ""
    )
    html = shell.page(
        title,
        body,
        current=path,
        notice=notice,
        head=links,
        tail=(_json_script(data) if data is not None else "") + tags,
        inline_css="site.css" not in v,
    )
    if root:
        html = re.sub(r'\b(href|src|action)="/', rf'\1="{root}/', html)
    return shell.html_response(html, headers={"Cache-Control": "no-cache"})


def landing_body(ov: Overview, endpoint: str) -> str:
    """The landing page: what the graph is, how big, the five articles, where to go next."""
    stats = "".join(
        f"<li><strong>{n:,}</strong><span>{escape(label)}</span></li>"
        for n, label in (*ov.stats, *ov.classes)
    )
    sources = "".join(
        f'<li><a href="{escape(href_for(s.iri) or s.iri)}" lang="fr">{escape(s.title)}</a>'
        f'<span class="when">{escape(s.when)}'
        f"{f' · {s.triples:,} statements' if s.triples else ''}</span></li>"
        for s in ov.sources
    )
    cards = (
        (
            "/query",
            "SPARQL query editor",
            "Write queries with highlighting and completion, run the named queries, download results in every format.",
        ),
        (
            "/timeline",
            "Timeline 2013&ndash;2019",
            "Labels, events and roles, each dated as precisely as the articles date it.",
        ),
        (
            "/graph",
            "Who is linked to whom",
            "Organisations, people, sites and accelerator programmes as a network.",
        ),
        (
            "/ontology",
            "Ontology",
            "Classes and properties of the ftgraph vocabulary and their alignment to W3C ORG, schema.org, FOAF, PROV-O.",
        ),
        (
            "/api/queries",
            "Named queries API",
            "The competency questions as REST resources with typed parameters.",
        ),
        ("/docs", "API docs", "OpenAPI description of every HTTP route."),
        (
            "/sparql",
            "SPARQL endpoint",
            f"SPARQL 1.1 Protocol at {endpoint}; this URL without a query gives its Service Description.",
        ),
        (
            "/.well-known/void",
            "VoID description",
            "Dataset statistics, partitions per class, property and article.",
        ),
        (
            "/dumps/",
            "Dumps",
            "The whole dataset as files: N-Quads, TriG and Turtle, with sizes and sha256.",
        ),
    )
    card_html = "".join(
        f'<li><a href="{href}">{name}</a><p>{escape(text)}</p></li>' for href, name, text in cards
    )
    n = len(ov.sources)
    count = ("five" if n == 5 else str(n)) if n else "the"
    error = f'<p class="notice" role="status">{escape(ov.error)}</p>' if ov.error else ""
    built = f" Built {escape(ov.modified)}." if ov.modified else ""
    cc = re.match(r"https://creativecommons\.org/licenses/([a-z-]+)/([\d.]+)/?$", ov.license)
    license_ = (
        f' Licence: <a href="{escape(ov.license)}">CC {cc[1].upper()} {cc[2]}</a>.' if cc else ""
    )
    return f"""<main class="narrow">
<h1>{escape(ov.title)}</h1>
<p class="lead">{escape(ov.description)}</p>
<p>A linked-data knowledge graph of the French Tech ecosystem of Aix-Marseille, curated by hand
from {count} French news articles (2013&ndash;2019). Every statement says which article states it: each
article is a named graph, and terms are aligned to W3C ORG, schema.org, FOAF, PROV-O, Dublin Core,
SKOS and GeoSPARQL.</p>
{error}
<h2>Size</h2>
<ul class="stats">{stats}</ul>
<p class="muted">From the dataset's VoID description.{built}{license_}</p>
<h2>The {count} source articles</h2>
<ol class="sources">{sources}</ol>
<h2>Explore</h2>
<ul class="cards">{card_html}</ul>
</main>"""


def editor_body(state: UiState, endpoint: str, api: bool) -> str:
    """The editor page: examples from the named queries, download links, YASGUI, help."""
    items = "".join(
        f'<li><button type="button" data-example="{escape(q["name"])}" title="{escape(q["description"])}">'
        f'<span class="title">{escape(q["title"])}</span></button>'
        + (
            f'<a class="api" href="/api/queries/{escape(q["name"])}" title="The same query in the named-query API">API</a>'
            if api
            else ""
        )
        + "</li>"
        for q in state.examples
    )
    return f"""<main>
<h1>SPARQL query editor</h1>
<p class="endpoint-line">Queries go to this server's endpoint, <code>{escape(endpoint)}</code>.
<kbd>Ctrl</kbd>+<kbd>Enter</kbd> runs the query, <kbd>Ctrl</kbd>+<kbd>Space</kbd> completes.</p>
<h2>Examples</h2>
<p class="muted">The named queries of <code>queries/*.rq</code>: a click opens one in its own tab and runs it.</p>
<ul class="examples" id="examples">{items}</ul>
<div id="downloads" class="downloads" aria-live="polite"></div>
<div id="yasgui"></div>
<section id="help">
<h2>Help</h2>
<dl>
<dt>Run</dt><dd><kbd>Ctrl</kbd>+<kbd>Enter</kbd> (<kbd>Cmd</kbd>+<kbd>Enter</kbd> on a Mac), or the play button.</dd>
<dt>Complete</dt><dd><kbd>Ctrl</kbd>+<kbd>Space</kbd> after <code>PREFIX</code> offers this dataset's prefixes;
typing <code>org:</code> adds its declaration; classes and properties are completed from the terms the data uses.</dd>
<dt>Results</dt><dd>IRIs of ftgraph entities link to their pages on this server. The links above the
editor download the current query's answer in every format the endpoint has (JSON, XML, CSV, TSV for
SELECT; Turtle, N-Triples, RDF/XML, JSON-LD for CONSTRUCT and DESCRIBE).</dd>
<dt>Which article says this?</dt><dd>Each article is a named graph: wrap a pattern in
<code>GRAPH ?article {{ … }}</code>. The default graph is the union of all of them.</dd>
<dt>Other endpoints</dt><dd>This editor only talks to this server (the page's security policy allows
no other origin). Query elsewhere from your own client; <code>SERVICE</code> from here is refused
unless the server allows the target.</dd>
</dl>
</section>
</main>"""


TIMELINE_BODY = """<main>
<h1>Timeline 2013&ndash;2019</h1>
<p class="lead">Labels awarded, events, roles held and the articles themselves, from a live SPARQL
query. Each is drawn as precisely as the articles date it.</p>
<ul class="legend-key" aria-label="How dates are drawn">
<li>● a day</li><li>▬ a month (no day given)</li><li>┅ a whole year (no month or day given)</li>
<li>┈ an undated article: the span its own text implies</li>
</ul>
<div id="timeline" aria-busy="true"><p class="muted">Loading from the SPARQL endpoint…</p></div>
<noscript><p class="notice">The timeline is drawn by JavaScript from the endpoint's answer; the
same data is in the <a href="/query">query editor</a>.</p></noscript>
</main>"""

GRAPH_BODY = """<main>
<h1>Who is linked to whom</h1>
<p class="lead">Organisations, people, places and accelerator programmes, and the links the
articles state between them (memberships, locations, pilots, applicants…), from a live SPARQL
query. Select a node to see its links; tick a kind to add it.</p>
<div id="graph-legend" aria-label="Kinds shown"></div>
<div class="graph-layout">
<div id="graph" aria-busy="true"><p class="muted">Loading from the SPARQL endpoint…</p></div>
<aside id="graph-details" aria-live="polite"></aside>
</div>
<noscript><p class="notice">The graph is drawn by JavaScript from the endpoint's answer.</p></noscript>
</main>"""


# --------------------------------------------------------------------------------------------
# Routes
# --------------------------------------------------------------------------------------------


def _serves(request: Request, path: str) -> bool:
    """Whether the app answers a GET on ``path`` (the named-query API is built separately).

    Asked by matching, since included routers do not list their paths at the top level.
    """
    scope = {"type": "http", "path": path, "method": "GET", "root_path": "", "headers": []}
    return any(route.matches(scope)[0] is not Match.NONE for route in request.app.router.routes)


def create_router(state: UiState) -> APIRouter:
    """The page routes; kept out of the OpenAPI description, which documents the data API."""
    router = APIRouter(include_in_schema=False)

    @router.api_route("/", methods=["GET", "HEAD"])
    async def landing(request: Request) -> HTMLResponse:
        """What the graph is, its size and its sources, rendered from the store."""
        rt: Runtime = request.app.state.runtime
        overview = await overview_for(state, rt)
        endpoint = str(request.base_url) + "sparql"
        return page(state, request, path="/", title="Home", body=landing_body(overview, endpoint))

    @router.api_route("/query", methods=["GET", "HEAD"])
    async def query_editor(request: Request) -> HTMLResponse:
        """YASGUI on this endpoint, with the named queries as examples."""
        endpoint = str(request.base_url) + "sparql"
        return page(
            state,
            request,
            path="/query",
            title="SPARQL query editor",
            body=editor_body(state, endpoint, api=_serves(request, "/api/queries")),
            scripts=("query.js",),
            styles=("query.css",),
            data={
                "prefixes": state.prefixes,
                "examples": state.examples,
                "defaultQuery": DEFAULT_QUERY,
            },
        )

    @router.api_route("/favicon.svg", methods=["GET", "HEAD"])
    @router.api_route("/favicon.ico", methods=["GET", "HEAD"])
    async def favicon() -> Response:
        """The site icon (an SVG, whatever the name asked for)."""
        return Response(
            FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"}
        )

    @router.api_route("/timeline", methods=["GET", "HEAD"])
    async def timeline(request: Request) -> HTMLResponse:
        """Shell of the timeline; timeline.js fills it from /sparql."""
        return page(
            state,
            request,
            path="/timeline",
            title="Timeline",
            body=TIMELINE_BODY,
            scripts=("timeline.js",),
            data={},
        )

    @router.api_route("/graph", methods=["GET", "HEAD"])
    async def graph(request: Request) -> HTMLResponse:
        """Shell of the graph view; graph.js fills it from /sparql."""
        return page(
            state,
            request,
            path="/graph",
            title="Graph",
            body=GRAPH_BODY,
            scripts=("graph.js",),
            data={},
        )

    return router


SWAGGER_JS = "swagger/swagger-ui-bundle.js"
SWAGGER_CSS = "swagger/swagger-ui.css"
"""Swagger UI, copied from the npm package by the locked frontend build (FastAPI's default is a CDN)."""


def install_api_docs(app: FastAPI) -> None:
    """Serve ``/docs`` with the bundled Swagger UI, so the API docs work with no internet.

    The app is created with ``docs_url=None``; without built assets the page says how to build them.
    """
    from fastapi.openapi.docs import get_swagger_ui_html

    @app.get("/docs", include_in_schema=False)
    async def api_docs(request: Request) -> HTMLResponse:
        root = mount_root(request)
        if not (STATIC_DIR / SWAGGER_JS).is_file():
            return HTMLResponse(
                "<!doctype html><title>API docs</title><p>Swagger UI is not built: run "
                "<code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>. The OpenAPI "
                f'document is at <a href="{escape(root)}/openapi.json">/openapi.json</a>.',
                status_code=503,
            )
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title}: API",
            swagger_js_url=f"{root}/static/{SWAGGER_JS}",
            swagger_css_url=f"{root}/static/{SWAGGER_CSS}",
            swagger_favicon_url=f"{root}/favicon.ico",
            swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": True},
        )


def install_ui(app: FastAPI, settings: Settings) -> None:
    """Add the pages and the ``/static`` assets to the endpoint app."""
    state = UiState(versions=asset_versions())
    try:
        state.examples = [example_query(q) for q in load_named_queries(settings.root).values()]
    except (OSError, ValueError) as e:
        log.warning("no named queries for the editor's examples: %s", e)
    state.prefixes = dict(ALL_PREFIXES)
    if not state.versions:
        log.warning(
            "UI assets not built (%s): run `npm ci && npm run build` in frontend/", STATIC_DIR
        )
    app.include_router(create_router(state))
    install_api_docs(app)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
