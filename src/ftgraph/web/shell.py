"""Small HTML building blocks for the linked-data pages: escaping, links, labels, the page shell.

Plain string building on purpose: the pages are few, static (no JS) and must render fast on a phone,
and keeping every piece of text behind :func:`esc` makes "every literal is escaped" easy to review.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
from fastapi.responses import HTMLResponse

from ftgraph.vocab import (
    BASE,
    DATASET,
    META_GRAPH,
    ONTOLOGY_GRAPH,
    PREFIXES,
    SPARQL_ENDPOINT,
    compact,
)

RDFS_LABEL = PREFIXES["rdfs"] + "label"
SKOS_PREF_LABEL = PREFIXES["skos"] + "prefLabel"
DCT_TITLE = PREFIXES["dcterms"] + "title"
LABEL_PREDICATES = (RDFS_LABEL, SKOS_PREF_LABEL, DCT_TITLE)
"""Predicates whose literals name a resource, in order of preference."""

LINKABLE_SCHEMES = ("http", "https")
"""External IRIs become links only with these schemes: a ``javascript:`` IRI stays inert text."""

_SPECIAL_PATHS = {
    ONTOLOGY_GRAPH: "/ontology",
    META_GRAPH: "/.well-known/void",
    DATASET: "/.well-known/void",
    SPARQL_ENDPOINT: "/sparql",
}
"""Our IRIs that are not served under their own path but by an existing route."""

_PATH_SAFE = "/:@!$&'()*+,;=-._~%"

CSS = """
:root{color-scheme:light dark;--fg:#1b1b1b;--bg:#fff;--mute:#5f6368;--line:#ddd;--link:#0b57d0}
@media (prefers-color-scheme:dark){:root{--fg:#e8e8e8;--bg:#16181c;--mute:#9aa0a6;--line:#333;--link:#8ab4f8}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
.site-header{border-bottom:1px solid var(--line)}
.site-header nav{max-width:72rem;margin:0 auto;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline}
.site-header .brand{font-weight:700;color:var(--fg);text-decoration:none;margin-right:.5rem}
.site-header nav a{text-decoration:none}
.site-search{position:relative;max-width:72rem;margin:0 auto;padding:0 1rem .5rem}.site-search input{width:100%;max-width:20rem}
.suggestions{position:absolute;z-index:10;left:1rem;top:100%;margin:0;padding:0;list-style:none;min-width:16rem;background:#fff;border:1px solid var(--line)}
.suggestions li{padding:.35rem .6rem;cursor:pointer}.suggestions li[aria-selected="true"],.suggestions li:hover{background:#eef}
.results mark{background:#fff3b0;color:inherit}
.site-footer{border-top:1px solid var(--line);color:var(--mute);font-size:.85em;padding:.75rem 1rem;text-align:center}
main{max-width:60rem;margin:0 auto;padding:1rem}
a{color:var(--link);overflow-wrap:anywhere}
h1{font-size:1.6rem;margin:.2rem 0}
h2{font-size:1.2rem;margin:1.6rem 0 .4rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.2rem 0 .2rem}
code,.iri{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;overflow-wrap:anywhere}
.mute,.lang,.dt{color:var(--mute);font-size:.85em}
.en{color:var(--mute)}
dl.facts{display:grid;grid-template-columns:minmax(8rem,14rem) 1fr;gap:.3rem 1rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
dl.facts dd+dd{grid-column:2}
@media (max-width:40rem){dl.facts{display:block}dl.facts dd{margin:0 0 .3rem 1rem}}
.src a{text-decoration:none;font-size:.8em;vertical-align:super;margin-left:.15em}
ol.sources li{margin:.2rem 0}
.formats a{margin-right:.6rem}
details{margin-top:1.5rem}
summary{cursor:pointer;color:var(--mute)}
.term{border-top:1px solid var(--line);padding:.3rem 0 .6rem}
ul.compact{margin:.2rem 0;padding-left:1.2rem}
""".strip()


def esc(text: str) -> str:
    """Escape text for element content and quoted attribute values (``<>&"'``)."""
    return html.escape(text, quote=True)


def href_for(iri: str, root: str = "") -> str | None:
    """Where a link to ``iri`` points: our own IRIs stay on this server, others link out.

    IRIs under the persistent namespace become server-relative paths (``/id/…``, ``/ontology/…``),
    so the pages work on any host; an external IRI is linked only if it is http(s), so data can
    never smuggle a ``javascript:`` link into a page. None means "show, do not link".

    >>> href_for("https://w3id.org/ftgraph/id/person/x")
    '/id/person/x'
    >>> href_for("javascript:alert(1)") is None
    True
    """
    if iri in _SPECIAL_PATHS:
        return root + _SPECIAL_PATHS[iri]
    if iri.startswith(BASE):
        return root + "/" + quote(iri[len(BASE) :], safe=_PATH_SAFE)
    if urlsplit(iri).scheme.lower() in LINKABLE_SCHEMES:
        return iri
    return None


@dataclass
class Labels:
    """Names of resources by language, gathered from label quads; French first, English beside it."""

    by_iri: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, iri: str, literal: ox.Literal, rank: int = 0) -> None:
        """Record one label literal; the first label seen per language and rank order wins."""
        lang = literal.language or ""
        langs = self.by_iri.setdefault(iri, {})
        key = f"{rank}:{lang}"
        langs.setdefault(key, literal.value)

    def add_quads(self, quads: Iterable[ox.Quad]) -> None:
        """Take every label-like quad (rdfs:label, skos:prefLabel, dcterms:title) of ``quads``."""
        for q in quads:
            p = q.predicate.value
            if (
                p in LABEL_PREDICATES
                and isinstance(q.object, ox.Literal)
                and isinstance(q.subject, ox.NamedNode)
            ):
                self.add(q.subject.value, q.object, LABEL_PREDICATES.index(p))

    def pick(self, iri: str) -> tuple[str | None, str | None]:
        """(French or untagged name, English name if it differs), by predicate preference."""
        langs = self.by_iri.get(iri, {})
        fr = en = None
        for rank in range(len(LABEL_PREDICATES)):
            fr = fr or langs.get(f"{rank}:fr") or langs.get(f"{rank}:")
            en = en or langs.get(f"{rank}:en")
        if fr is None:
            # Another language only (neither fr nor en): still better than an IRI.
            other = sorted(v for k, v in langs.items() if k.split(":", 1)[1] not in ("fr", "en"))
            fr = other[0] if other else None
        if en is not None and en == fr:
            en = None
        return fr, en

    def text(self, iri: str) -> str:
        """Plain-text name: ``fr (en)``, one of them, or the compact IRI."""
        fr, en = self.pick(iri)
        if fr and en:
            return f"{fr} ({en})"
        return fr or en or compact(iri)

    def html(self, iri: str) -> str:
        """Escaped name with ``lang`` attributes: French first, English after it in grey."""
        fr, en = self.pick(iri)
        if fr is None and en is None:
            return f'<span class="iri">{esc(compact(iri))}</span>'
        if fr is None:
            return f'<span lang="en">{esc(en or "")}</span>'
        out = f'<span lang="fr">{esc(fr)}</span>'
        if en:
            out += f' <span class="en" lang="en">({esc(en)})</span>'
        return out


def link(iri: str, labels: Labels, root: str = "") -> str:
    """An IRI as its name, linked to its page (or out, or not at all for non-http schemes)."""
    target = href_for(iri, root)
    text = labels.html(iri)
    if target is None:
        return f'<span title="{esc(iri)}">{text}</span>'
    return f'<a href="{esc(target)}" title="{esc(iri)}">{text}</a>'


def literal(lit: ox.Literal) -> str:
    """A literal's value escaped, with its language tag or a short datatype as a quiet suffix."""
    out = f"<span{_lang_attr(lit)}>{esc(lit.value)}</span>"
    if lit.language:
        out += f' <span class="lang">@{esc(lit.language)}</span>'
    elif lit.datatype.value not in (PREFIXES["xsd"] + "string",):
        out += f' <span class="dt">{esc(compact(lit.datatype.value))}</span>'
    return out


def _lang_attr(lit: ox.Literal) -> str:
    return f' lang="{esc(lit.language)}"' if lit.language else ""


def term(
    value: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, labels: Labels, root: str = ""
) -> str:
    """Any RDF term as HTML: IRIs linked by name, literals escaped, blank nodes as their id."""
    if isinstance(value, ox.NamedNode):
        return link(value.value, labels, root)
    if isinstance(value, ox.Literal):
        return literal(value)
    return f'<span class="iri">{esc(str(value))}</span>'


NAV: Sequence[tuple[str, str]] = (
    ("/", "Home"),
    ("/query", "Query"),
    ("/timeline", "Timeline"),
    ("/graph", "Graph"),
    ("/ontology", "Ontology"),
    ("/api/queries", "Named queries"),
    ("/docs", "API docs"),
)
"""Header links on every page, the linked-data pages and the UI pages alike."""


CSP = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)
"""Only this origin, on every page: YASGUI and the linked-data pages set inline styles, nothing more."""

PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
"""Headers of every HTML page this server sends."""


def page(
    title: str,
    body: str,
    *,
    root: str = "",
    current: str = "",
    alternates: Sequence[tuple[str, str]] = (),
    description: str = "",
    head: str = "",
    tail: str = "",
    notice: str = "",
    inline_css: bool = True,
) -> str:
    """The one page shell: the same header, navigation and footer on every page of the server.

    ``body`` is escaped HTML, put in ``<main>`` unless it is a ``<main>`` element already.
    ``current`` marks its navigation link (``aria-current``). ``alternates`` are ``(media type,
    href)`` pairs advertised with ``<link rel="alternate">`` so crawlers find the RDF of the page.
    ``head`` and ``tail`` are a page's own assets (already escaped), ``notice`` a status line above
    the content; pages that bring their own stylesheet drop the inline one.
    """
    links = "".join(
        f'<link rel="alternate" type="{esc(media)}" href="{esc(href)}">'
        for media, href in alternates
    )
    meta = f'<meta name="description" content="{esc(description)}">' if description else ""
    style = f"<style>{CSS}</style>" if inline_css else ""
    mark = ' aria-current="page"'
    nav = "".join(
        f'<a href="{esc(root + path)}"{mark if path == current else ""}>{esc(text)}</a>'
        for path, text in NAV
    )
    main = body if body.lstrip().startswith("<main") else f"<main>\n{body}\n</main>"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · ftgraph</title>{meta}"
        f'<link rel="icon" href="{esc(root)}/favicon.svg" type="image/svg+xml">'
        f'<link rel="search" type="application/opensearchdescription+xml" title="ftgraph" '
        f'href="{esc(root)}/opensearch.xml">'
        f"{links}{style}{head}</head>\n"
        '<body><header class="site-header"><nav aria-label="Site">'
        f'<a class="brand" href="{esc(root + "/")}">ftgraph</a>{nav}</nav>'
        f'<form class="site-search" role="search" action="{esc(root)}/search" method="get">'
        '<input type="search" name="q" placeholder="Search names…" aria-label="Search the graph" '
        'autocomplete="off" maxlength="200"></form></header>\n'
        f"{notice}{main}\n"
        '<footer class="site-footer">Aix-Marseille French Tech knowledge graph · SPARQL endpoint '
        f'<a href="{esc(root)}/sparql">/sparql</a> · <a href="{esc(root)}/.well-known/void">VoID</a>'
        f' · <a href="{esc(root)}/health">health</a></footer>\n'
        f'<script src="{esc(root)}/static/search.js" defer></script>'
        f"{tail}</body></html>\n"
    )


def html_response(
    html: str, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> HTMLResponse:
    """A page with the headers every page carries (CSP, nosniff, referrer policy) plus ``headers``."""
    return HTMLResponse(html, status_code=status_code, headers={**PAGE_HEADERS, **(headers or {})})


def not_found_page(iri: str, root: str = "") -> str:
    """The 404 page for an IRI the graph says nothing about (the IRI is escaped)."""
    body = (
        "<h1>Not found</h1>"
        f'<p>The graph says nothing about <code class="iri">{esc(iri)}</code>.</p>'
        f'<p>Browse the <a href="{esc(root + "/ontology")}">ontology</a> or ask the '
        f'<a href="{esc(root + "/sparql")}">SPARQL endpoint</a>.</p>'
    )
    return page("Not found", body, root=root)
