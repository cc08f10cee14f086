"""Search over HTTP on the real server: ``/api/search`` and its errors, the OpenAPI entry, the
results page (without JavaScript), the header box on every page, OpenSearch, and VoID's link."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
import rdflib

from endpoint.live import LiveServer
from ftgraph.vocab import DATASET, ID, OPENSEARCH

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")


def search(server: LiveServer, **params: str) -> httpx.Response:
    return httpx.get(server.base + "/api/search", params=params)


def test_the_api_returns_ranked_json(real_server: LiveServer) -> None:
    r = search(real_server, q="belle de mai")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    first = r.json()["results"][0]
    assert first["iri"] == ID + "place/belle-de-mai"
    assert first["label"] == "Belle-de-Mai"
    assert first["kind"] == "Site"
    assert first["snippet"] == "<mark>Belle</mark>-<mark>de</mark>-<mark>Mai</mark>"
    assert first["page"] == "/id/place/belle-de-mai"
    assert first["articles"] == len(first["sources"]) >= 1
    assert isinstance(first["score"], float)


def test_a_typo_is_corrected_and_said_so(real_server: LiveServer) -> None:
    [first, *_] = search(real_server, q="medinsfot").json()["results"]
    assert (first["iri"], first["fuzzy"]) == (ID + "organisation/medinsoft", True)
    assert search(real_server, q="medinsoft").json()["results"][0]["fuzzy"] is False


def test_kind_lang_and_limit(real_server: LiveServer) -> None:
    people = search(real_server, q="jeannerot", kind="Person").json()["results"]
    assert [h["iri"] for h in people] == [ID + "person/andre-jeannerot"]
    en = search(real_server, q="accélérateur", kind="Class", lang="en").json()["results"]
    assert en[0]["label"] == "accelerator"
    assert len(search(real_server, q="a", limit="3").json()["results"]) <= 3


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"q": ""}, 400),
        ({"q": "   "}, 400),
        ({"q": "x" * 201}, 400),
        ({"q": "x", "kind": "Spaceship"}, 422),
        ({"q": "x", "limit": "0"}, 422),
        ({"q": "x", "limit": "51"}, 422),
        ({"q": "x", "limit": "many"}, 422),
        ({"q": "x", "lang": "fr-FR-x-toolong"}, 422),
        ({}, 422),
    ],
)
def test_bad_parameters_are_4xx_never_5xx(
    real_server: LiveServer, params: dict[str, str], status: int
) -> None:
    r = search(real_server, **params)
    assert r.status_code == status, r.text
    assert "detail" in r.json()


def test_an_unknown_kind_names_the_known_ones(real_server: LiveServer) -> None:
    [problem] = search(real_server, q="x", kind="Spaceship").json()["detail"]
    assert problem["loc"] == ["query", "kind"]
    assert "Organisation" in problem["msg"]


@pytest.mark.parametrize(
    "q", ['"', "*", "NEAR(", "-", "x OR y", "label: medinsoft", "'; DROP TABLE entity; --"]
)
def test_hostile_fts_syntax_is_text(real_server: LiveServer, q: str) -> None:
    assert search(real_server, q=q).status_code == 200


def test_the_api_is_in_the_openapi_document(real_server: LiveServer) -> None:
    doc = httpx.get(real_server.base + "/openapi.json").json()
    params = {p["name"] for p in doc["paths"]["/api/search"]["get"]["parameters"]}
    assert params == {"q", "kind", "lang", "limit"}


def test_opensearch_suggestions(real_server: LiveServer) -> None:
    """OpenSearch Suggestions 1.1: ``[query, [completions], [descriptions], [urls]]``."""
    r = httpx.get(real_server.base + "/api/search/suggest", params={"q": "medin"})
    assert r.headers["content-type"].startswith("application/x-suggestions+json")
    q, labels, kinds, urls = r.json()
    assert q == "medin" and labels[0] == "Medinsoft" and kinds[0] == "Organisation"
    assert urls[0] == real_server.base + "/id/organisation/medinsoft"


def test_the_opensearch_description_and_its_links(real_server: LiveServer) -> None:
    r = httpx.get(real_server.base + "/opensearch.xml")
    assert r.headers["content-type"].startswith("application/opensearchdescription+xml")
    assert f'template="{real_server.base}/search?q={{searchTerms}}"' in r.text
    for path in ("/", "/query", "/doc/id/organisation/medinsoft", "/dumps/"):
        html = httpx.get(real_server.base + path, follow_redirects=True).text
        assert '<link rel="search" type="application/opensearchdescription+xml"' in html, path
        assert '<form class="site-search" role="search" action="/search"' in html, path
    void = rdflib.Graph().parse(
        data=httpx.get(
            real_server.base + "/.well-known/void", headers={"accept": "text/turtle"}
        ).content,
        format="turtle",
    )
    assert (rdflib.URIRef(DATASET), VOID.openSearchDescription, rdflib.URIRef(OPENSEARCH)) in void


def test_the_results_page_lists_and_filters_without_javascript(real_server: LiveServer) -> None:
    r = httpx.get(real_server.base + "/search", params={"q": "medinsoft"})
    assert r.status_code == 200
    assert '<a href="/id/organisation/medinsoft">Medinsoft</a>' in r.text
    assert "Grand Opening FTWKS" in r.text  # its source, by title
    kind_link = "/search?q=medinsoft&amp;kind=Membership"
    assert kind_link in r.text
    filtered = httpx.get(
        real_server.base + "/search", params={"q": "medinsoft", "kind": "Membership"}
    )
    assert '<a href="/id/organisation/medinsoft">' not in filtered.text
    assert "/id/membership/" in filtered.text
    assert f'value="{quote("Membership")}"' in filtered.text  # the filter stays in the form


def test_a_bad_search_on_the_page_is_a_4xx_page(real_server: LiveServer) -> None:
    r = httpx.get(real_server.base + "/search", params={"q": "x", "kind": "Spaceship"})
    assert r.status_code == 422
    assert "unknown kind" in r.text
    assert httpx.get(real_server.base + "/search").status_code == 200  # the form alone


@pytest.mark.parametrize(
    "q",
    [
        "%ff",  # not UTF-8
        "%00",
        "a+" * 99,  # 99 words (only the first 12 are searched)
        "%22" * 150,  # nothing but quotes: no word at all
        "é" * 200,  # at the bound, in characters
    ],
)
def test_hostile_queries_are_answered_not_crashed(real_server: LiveServer, q: str) -> None:
    for path in ("/api/search", "/search", "/api/search/suggest"):
        r = httpx.get(f"{real_server.base}{path}?q={q}")
        assert r.status_code in (200, 400), (path, r.status_code)


def test_kind_has_a_length_bound(real_server: LiveServer) -> None:
    """``kind`` is at most 64 characters (a class name): longer is FastAPI's 422, before the index."""
    from ftgraph.web.search import MAX_KIND_CHARS

    [problem] = search(real_server, q="x", kind="K" * (MAX_KIND_CHARS + 1)).json()["detail"]
    assert problem["type"] == "string_too_long" and problem["loc"] == ["query", "kind"]
    at_bound = search(real_server, q="x", kind="K" * MAX_KIND_CHARS)
    assert at_bound.status_code == 422 and "unknown kind" in at_bound.json()["detail"][0]["msg"]
