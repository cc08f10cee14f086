"""The UI in a real browser (Debian Chromium through Playwright) against a live server.

Every test also checks, through the ``visit`` fixture, that no request left 127.0.0.1.
``FTGRAPH_UPDATE_SCREENSHOTS=1`` makes the screenshot test write the README's PNGs into
docs/screenshots/ instead of a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from endpoint.live import LiveServer

from .conftest import Visit

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
RESULTS = ".tabPanel.active .yasr"
ROWS = f"{RESULTS} table.dataTable tbody tr"


def run_example(v: Visit, name: str) -> None:
    """Open /query, click a named query's example button and wait for its result rows."""
    v.goto("/query")
    v.page.wait_for_selector(".yasqe .CodeMirror")
    v.page.click(f'button[data-example="{name}"]')
    v.page.wait_for_selector(ROWS, timeout=20_000)


def test_landing_page_loads_without_console_errors(visit: Visit) -> None:
    visit.goto("/")
    page = visit.page
    assert page.locator("h1").inner_text() == "Aix-Marseille French Tech knowledge graph"
    assert page.locator('.sources a[href^="/id/source/"]').count() == 5
    for href in ("/query", "/ontology", "/docs", "/api/queries"):
        assert page.locator(f'main a[href="{href}"]').count() == 1, href
    assert visit.console_errors == []
    assert visit.outside_requests == []


def test_api_docs_render_offline_with_every_named_query(visit: Visit) -> None:
    """/docs uses the Swagger UI of the locked npm build (FastAPI's default loads it from a CDN)."""
    from ftgraph.sparql.named_queries import load_named_queries

    visit.goto("/docs")
    page = visit.page
    page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = set(page.locator(".opblock-summary-path").all_inner_texts())
    root = Path(__file__).resolve().parents[2]
    for name in load_named_queries(root):
        assert any(p.endswith(f"/api/queries/{name}") for p in paths), name
    assert visit.console_errors == []
    assert visit.outside_requests == []


def test_example_query_runs_and_shows_rows(visit: Visit, ui_server: LiveServer) -> None:
    run_example(visit, "events")
    page = visit.page
    assert page.locator(ROWS).count() > 3
    assert "Grand Opening" in page.locator(RESULTS).inner_text()
    # IRIs of our entities link to this server's pages, not to w3id.org.
    link = page.locator(f'{ROWS} a.iri[href^="/id/event/"]').first
    assert link.get_attribute("href", timeout=5_000)
    assert page.locator('.yasr a.iri[href^="https://w3id.org/ftgraph/"]').count() == 0
    # The editor queries this server, whatever YASGUI's defaults are.
    endpoint = page.evaluate("window.ftgraphYasgui.getTab().getEndpoint()")
    assert endpoint == ui_server.sparql
    # Download links: the same query in every SELECT format, each answered by /sparql.
    links = page.locator("#downloads a")
    formats = [links.nth(i).get_attribute("data-format") for i in range(links.count())]
    assert formats == ["json", "xml", "csv", "tsv"]
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href")
        assert href and href.startswith("/sparql?")
        assert "SELECT" in parse_qs(urlsplit(href).query)["query"][0]
        r = httpx.get(ui_server.base + href, timeout=20)
        assert r.status_code == 200 and r.content, href
    assert visit.console_errors == []


def test_construct_downloads_offer_rdf_formats(visit: Visit, ui_server: LiveServer) -> None:
    visit.goto("/query")
    page = visit.page
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate(
        "() => { window.ftgraphYasgui.getTab().setQuery("
        "'CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/ftgraph/ontology/Label> ; ?p ?o }') }"
    )
    page.wait_for_selector('#downloads a[data-format="turtle"]')
    links = page.locator("#downloads a")
    formats = [links.nth(i).get_attribute("data-format") for i in range(links.count())]
    assert formats == ["turtle", "nt", "rdfxml", "json-ld"]
    turtle = httpx.get(ui_server.base + str(links.first.get_attribute("href")), timeout=20)
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "French Tech" in turtle.text


def test_completion_is_local(visit: Visit) -> None:
    """Prefixes come from the page (not prefix.cc), classes from our endpoint (not LOV)."""
    visit.goto("/query")
    page = visit.page
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate("() => { window.ftgraphYasgui.getTab().getYasqe().setValue('') }")
    page.click(".yasqe .CodeMirror-code")
    page.keyboard.type("PREFIX orga")
    page.keyboard.press("Control+Space")
    hints = page.locator(".CodeMirror-hints li")
    hints.first.wait_for(timeout=5_000)
    assert "organisation: <https://w3id.org/ftgraph/id/organisation/>" in hints.all_inner_texts()
    # Typing a known prefix declares it; classes are completed from the terms the data uses.
    page.keyboard.press("Escape")
    page.evaluate("() => { window.ftgraphYasgui.getTab().getYasqe().setValue('') }")
    page.click(".yasqe .CodeMirror-code")
    page.keyboard.type("SELECT * WHERE { ?s a ftg:")
    page.wait_for_function(
        "window.ftgraphYasgui.getTab().getYasqe().getValue().startsWith('PREFIX ftg:')"
    )
    page.keyboard.type("Orga")
    page.keyboard.press("Control+Space")
    page.locator(".CodeMirror-hints li", has_text="ftg:Organisation").wait_for(timeout=5_000)
    assert visit.outside_requests == []


def test_entity_page_shows_facts_and_sources(visit: Visit, ui_server: LiveServer) -> None:
    path = "/id/organisation/voyage-prive"
    probe = httpx.get(
        ui_server.base + path, headers={"Accept": "text/html"}, follow_redirects=True, timeout=20
    )
    assert probe.status_code == 200
    visit.goto(path)
    page = visit.page
    assert page.locator("h1").inner_text() == "Voyage Privé"
    text = page.locator("main").inner_text()
    assert "Aix-Marseille" in text  # a fact: where it is
    assert "Le Pays d'Aix en route pour la French tech" in text  # a source that states facts
    assert page.locator('main a[href*="/source/"]').count() >= 3  # the three articles mentioning it
    assert visit.console_errors == []


def test_timeline_renders_items_with_their_precision(visit: Visit) -> None:
    visit.goto("/timeline")
    page = visit.page
    page.wait_for_selector(".tl-item")
    assert page.locator(".tl-overview").count() == 1
    assert page.locator(".tl-year h2").first.inner_text() == "2013"
    for precision in ("day", "month", "year", "range"):
        assert page.locator(f".tl-item.precision-{precision}").count() >= 1, precision
    assert page.locator(".tl-item.kind-label").count() >= 2
    assert page.locator(".tl-item.kind-role").count() >= 8
    # The 2014 label: a day in two articles, only the year in a third: both shown, never merged.
    label_2014 = page.locator(
        '.tl-item.kind-label:has(a[href="/id/award/french-tech-aix-marseille-2014"])'
    )
    assert sorted(label_2014.locator(".tl-when span").all_inner_texts()) == [
        "12 November 2014",
        "2014 (no month or day given)",
    ]
    assert visit.console_errors == []


def test_graph_view_renders_and_selects(visit: Visit) -> None:
    visit.goto("/graph")
    page = visit.page
    page.wait_for_selector("svg.graph .node")
    assert page.locator("svg.graph .node").count() > 40
    assert page.locator("svg.graph line").count() > 40
    # By keyboard (a node is a focusable button): a mouse click lands on whichever label the force
    # layout happens to place over the node, which changes with the data.
    node = page.locator('svg.graph .node[aria-label="Voyage Privé"]')
    node.focus()
    page.keyboard.press("Enter")
    details = page.locator("#graph-details")
    assert details.locator('h2 a[href="/id/organisation/voyage-prive"]').count() == 1
    assert details.locator("li").count() >= 2
    assert visit.console_errors == []


def test_screenshots(visit: Visit, tmp_path: Path) -> None:
    """The README's pictures, from this real run (written to docs/ only when asked)."""
    target = SCREENSHOTS if os.environ.get("FTGRAPH_UPDATE_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page = visit.page
    page.set_viewport_size({"width": 1280, "height": 1200})
    run_example(visit, "roles")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(target / "ui-query.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    visit.goto("/timeline")
    page.wait_for_selector(".tl-item")
    page.screenshot(path=str(target / "timeline.png"))
    visit.goto("/")
    box = page.locator('form.site-search input[name="q"]')
    box.click()
    box.press_sequentially("french tech", delay=20)
    page.locator('#site-search-suggestions [role="option"]').first.wait_for(timeout=10_000)
    box.press("ArrowDown")
    page.screenshot(
        path=str(target / "search.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 520}
    )
    for name in ("ui-query.png", "timeline.png", "search.png"):
        assert (target / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert visit.console_errors == []


def test_the_header_box_suggests_and_opens_the_entity(visit: Visit) -> None:
    """Issue 13: typing in the header of the home page shows suggestions (label, kind, articles);
    arrow down and Enter open the entity's page; Escape closes the list."""
    visit.goto("/")
    page = visit.page
    box = page.locator('form.site-search input[name="q"]')
    box.click()
    box.press_sequentially("medin", delay=30)
    options = page.locator('#site-search-suggestions [role="option"]')
    options.first.wait_for(timeout=10_000)
    assert "Medinsoft" in options.first.inner_text()
    assert "Organisation" in options.first.inner_text()
    assert box.get_attribute("aria-expanded") == "true"
    box.press("Escape")  # closes the list (and, in a search box, Chromium empties it)
    assert page.locator("#site-search-suggestions").is_hidden()
    box.press_sequentially("medin", delay=30)
    options.first.wait_for(timeout=10_000)
    box.press("ArrowDown")
    assert options.first.get_attribute("aria-selected") == "true"
    with page.expect_navigation():
        box.press("Enter")
    assert (
        page.url.endswith("/id/organisation/medinsoft")
        or "/doc/id/organisation/medinsoft" in page.url
    )
    assert visit.console_errors == []
    assert visit.outside_requests == []


def test_enter_without_a_suggestion_opens_the_results_page(visit: Visit) -> None:
    visit.goto("/ontology")
    page = visit.page
    box = page.locator('form.site-search input[name="q"]')
    box.fill("belle de mai")
    with page.expect_navigation():
        box.press("Enter")
    assert "/search?q=belle+de+mai" in page.url
    assert page.locator('.results a[href="/id/place/belle-de-mai"]').count() == 1
    assert visit.console_errors == []
    assert visit.outside_requests == []


def test_the_editor_completes_classes_and_properties_from_this_graph(visit: Visit) -> None:
    """Issue 13: ``?s a ftg:`` then completion offers the graph's classes (from its VoID partitions,
    most used first), a predicate position its properties; no request leaves 127.0.0.1."""
    visit.goto("/query")
    page = visit.page
    page.wait_for_selector(".yasqe .CodeMirror")
    hints = page.locator(".CodeMirror-hints .CodeMirror-hint")
    for text, expected in (
        ("SELECT * WHERE { ?s a ftg:", "ftg:Organisation"),
        ("SELECT * WHERE { ?s ftg:", "ftg:evidence"),
    ):
        page.evaluate(
            """(text) => {
                const yasqe = window.ftgraphYasgui.getTab().getYasqe();
                yasqe.setValue("PREFIX ftg: <https://w3id.org/ftgraph/ontology/>\\n" + text);
                yasqe.focus();
                yasqe.getDoc().setCursor(yasqe.getDoc().lastLine(), 1000);
            }""",
            text,
        )
        page.keyboard.press("Control+Space")
        hints.first.wait_for(timeout=10_000)
        offered = hints.all_inner_texts()
        names = [o.split()[0] for o in offered]
        assert expected in names, offered
        counts = [int(o.split()[-1].replace(",", "")) for o in offered]
        assert counts == sorted(counts, reverse=True), offered  # most used first, with its count
        page.keyboard.press("Escape")
    assert visit.console_errors == []
    assert visit.outside_requests == []


def test_the_editor_completes_entities_by_name(visit: Visit) -> None:
    """A plain word then completion: entities from the search API, inserted as prefixed names with
    their PREFIX declared."""
    visit.goto("/query")
    page = visit.page
    page.wait_for_selector(".yasqe .CodeMirror")
    page.evaluate(
        """() => {
            const yasqe = window.ftgraphYasgui.getTab().getYasqe();
            yasqe.setValue("SELECT * WHERE { medin");
            yasqe.focus();
            yasqe.getDoc().setCursor(0, 1000);
        }"""
    )
    page.keyboard.press("Control+Space")
    hints = page.locator(".CodeMirror-hints .CodeMirror-hint")
    hints.first.wait_for(timeout=10_000)
    assert hints.first.inner_text() == "organisation:medinsoft"
    page.keyboard.press("Enter")
    text = page.evaluate("window.ftgraphYasgui.getTab().getYasqe().getValue()")
    assert "PREFIX organisation: <https://w3id.org/ftgraph/id/organisation/>" in text
    assert "{ organisation:medinsoft" in text
    assert visit.console_errors == []
    assert visit.outside_requests == []
