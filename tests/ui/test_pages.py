"""The pages as HTTP answers (no browser): content rendered on the server, headers, assets."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from endpoint.live import LiveServer

from ftgraph.sparql.named_queries import load_named_queries
from ftgraph.web.overview import example_query, format_date

ROOT = Path(__file__).resolve().parents[2]


def page_config(html: str) -> dict[str, object]:
    """The JSON the server rendered into a page for its script."""
    match = re.search(r'<script type="application/json" id="ftgraph-config">(.*?)</script>', html)
    assert match, "no page config"
    data: dict[str, object] = json.loads(match[1])
    return data


def test_landing_page_from_the_store(ui_server: LiveServer) -> None:
    r = httpx.get(ui_server.base + "/", timeout=20)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "Aix-Marseille French Tech knowledge graph" in html
    sources = re.findall(r'<a href="(/id/source/[a-z0-9-]+)"', html)
    assert len(sources) == 5
    assert "1 March 2014" in html  # xsd:date in words
    assert "December 2014" in html  # xsd:gYearMonth, no day invented
    assert "No printed date." in html  # an undated article shows its note
    triples = re.search(r"<strong>([\d,]+)</strong><span>triples</span>", html)
    assert triples and int(triples[1].replace(",", "")) > 1000
    for href in ("/query", "/ontology", "/docs", "/api/queries", "/timeline", "/graph"):
        assert f'href="{href}"' in html, href


def test_pages_are_same_origin_only(ui_server: LiveServer) -> None:
    for path in ("/", "/query", "/timeline", "/graph"):
        r = httpx.get(ui_server.base + path, timeout=20)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "connect-src 'self'" in csp
        assert httpx.head(ui_server.base + path, timeout=20).status_code == 200
        for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', r.text):
            a = httpx.get(ui_server.base + asset, timeout=20)
            assert a.status_code == 200 and a.content, asset


def site_header(html: str) -> str:
    match = re.search(r'<header class="site-header">.*?</header>', html, re.S)
    assert match, "no site header"
    return re.sub(r' aria-current="page"', "", match[0])


ENTITY_PAGE = "/doc/id/organisation/voyage-prive"


def test_every_page_has_the_one_shell(ui_server: LiveServer) -> None:
    """The entity, ontology and 404 pages carry the home page's header and its CSP (issue 10)."""
    home = httpx.get(ui_server.base + "/", timeout=20)
    header = site_header(home.text)
    accept = {"accept": "text/html"}
    for path in (ENTITY_PAGE, "/doc/ontology", "/doc/id/organisation/nobody"):
        r = httpx.get(ui_server.base + path, headers=accept, timeout=20)
        assert r.status_code in (200, 404), path
        assert site_header(r.text) == header, path
        assert r.headers["content-security-policy"] == home.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert '<footer class="site-footer">' in r.text


def test_editor_lists_every_named_query(ui_server: LiveServer) -> None:
    html = httpx.get(ui_server.base + "/query", timeout=20).text
    names = set(load_named_queries(ROOT))
    assert set(re.findall(r'data-example="([^"]+)"', html)) == names
    config = page_config(html)
    assert config["endpoint"] == "/sparql"
    prefixes = config["prefixes"]
    assert isinstance(prefixes, dict)
    assert prefixes["ftg"] == "https://w3id.org/ftgraph/ontology/"
    assert prefixes["organisation"] == "https://w3id.org/ftgraph/id/organisation/"
    # Where the app has the named-query API, each example links to its operation there.
    if httpx.get(ui_server.base + "/api/queries", timeout=20).status_code == 200:
        links = re.findall(r'class="api" href="(/api/queries/[^"]+)"', html)
        assert {link.rsplit("/", 1)[1] for link in links} == names


@pytest.mark.parametrize("name", sorted(load_named_queries(ROOT)))
def test_every_example_runs_as_written(ui_server: LiveServer, name: str) -> None:
    """An example is the named query with its parameters bound in the text: it runs and answers."""
    example = example_query(load_named_queries(ROOT)[name])
    r = httpx.post(
        ui_server.sparql,
        data={"query": example["query"]},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    assert r.json()["results"]["bindings"], f"{name} returns no rows"


def test_date_precision_is_kept() -> None:
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert format_date("2015-09-24", xsd + "date") == "24 September 2015"
    assert format_date("2014-12", xsd + "gYearMonth") == "December 2014"
    assert format_date("2015", xsd + "gYear") == "2015"


def test_links_follow_the_mount_prefix(built_store: Path) -> None:
    """Behind a proxy that mounts the app under /ftgraph, every link and asset keeps the prefix."""
    from ftgraph.config import Settings
    from ftgraph.web.app import create_app

    app = create_app(Settings(store=built_store, root=ROOT))
    # No lifespan: the page shells need no store.
    transport = httpx.ASGITransport(app=app, root_path="/ftgraph")

    async def get() -> str:
        async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
            return (await client.get("/ftgraph/timeline")).text

    # A thread of its own: Playwright's sync API may be running an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        html = pool.submit(asyncio.run, get()).result()
    links = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert links and all(link.startswith("/ftgraph/") for link in links), links
    config = page_config(html)
    assert config["root"] == "/ftgraph"
    assert config["endpoint"] == "/ftgraph/sparql"
