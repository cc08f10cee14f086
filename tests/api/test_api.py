"""``/api/queries``: the named queries as REST operations, in /docs and OpenAPI, negotiated."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx
import pytest

from ftgraph.sparql.named_queries import load_named_queries

ROOT = Path(__file__).resolve().parents[2]
QUERIES = load_named_queries(ROOT)
VP = "https://w3id.org/ftgraph/id/organisation/voyage-prive"


# --- listing ----------------------------------------------------------------------------------------


def test_list_names_every_query_with_its_parameters(api: httpx.Client) -> None:
    r = api.get("/api/queries")
    assert r.status_code == 200
    listed = {q["name"]: q for q in r.json()["queries"]}
    assert set(listed) == set(QUERIES)
    for name, query in QUERIES.items():
        entry = listed[name]
        assert entry["title"] == query.title
        assert entry["description"] == query.description
        assert [
            (p["name"], p["type"], p["example"], p["description"]) for p in entry["parameters"]
        ] == [(p.name, p.type, p.example, p.text) for p in query.parameters]
        assert entry["links"]["self"] == f"/api/queries/{name}"
        assert api.get(entry["links"]["example"]).status_code == 200
        assert entry["links"]["csv"].endswith("format=csv")


# --- running ----------------------------------------------------------------------------------------


def test_default_answer_is_sparql_json(api: httpx.Client) -> None:
    r = api.get("/api/queries/roles")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/sparql-results+json"
    body = r.json()
    assert body["head"]["vars"][:2] == ["person", "personName"]
    assert body["results"]["bindings"]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
    ],
)
def test_accept_chooses_the_results_format(api: httpx.Client, accept: str, media: str) -> None:
    r = api.get("/api/queries/tech-champions", headers={"accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media
    assert "content-disposition" not in r.headers


def test_format_csv_is_a_download(api: httpx.Client) -> None:
    r = api.get("/api/queries/tech-champions", params={"format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="tech-champions.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and set(rows[0]) == {"organisation", "name", "source", "sourceTitle"}


def test_unacceptable_format_is_406(api: httpx.Client) -> None:
    assert api.get("/api/queries/roles", headers={"accept": "image/png"}).status_code == 406
    assert api.get("/api/queries/roles", params={"format": "pdf"}).status_code == 406


def test_parameters_are_bound(api: httpx.Client) -> None:
    r = api.get(
        "/api/queries/articles-mentioning-both",
        params={"first": VP, "second": "https://w3id.org/ftgraph/id/organisation/p-factory"},
    )
    rows = r.json()["results"]["bindings"]
    assert [row["source"]["value"] for row in rows] == [
        "https://w3id.org/ftgraph/id/source/tous-unis-numerique"
    ]


def test_a_missing_parameter_stays_unbound(api: httpx.Client) -> None:
    one = api.get("/api/queries/organisation", params={"organisation": VP}).json()
    every = api.get("/api/queries/organisation").json()
    subjects = {row["organisation"]["value"] for row in every["results"]["bindings"]}
    assert VP in subjects and len(subjects) > 1
    assert len(every["results"]["bindings"]) > len(one["results"]["bindings"])
    empty = api.get("/api/queries/organisation", params={"organisation": ""}).json()
    assert empty == every


def test_unknown_query_is_404(api: httpx.Client) -> None:
    r = api.get("/api/queries/no-such-query")
    assert r.status_code == 404
    assert "roles" in r.json()["detail"]


@pytest.mark.parametrize(
    ("params", "name", "why"),
    [
        ({"organisation": "not an iri"}, "organisation", "not an absolute IRI"),
        ({"organisation": '" } ; DROP ALL ; SELECT * { ?s ?p ?o'}, "organisation", "IRI"),
        ({"organisation": "<http://x>"}, "organisation", "IRI"),
        ({"organization": VP}, "organization", "unknown parameter"),
    ],
)
def test_bad_values_are_422_with_the_reason(
    api: httpx.Client, params: dict[str, str], name: str, why: str
) -> None:
    r = api.get("/api/queries/organisation", params=params)
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["query", name]
    assert why in problem["msg"]


def test_repeated_parameter_is_422(api: httpx.Client) -> None:
    r = api.get(f"/api/queries/organisation?organisation={VP}&organisation={VP}")
    assert r.status_code == 422
    assert "more than once" in r.json()["detail"][0]["msg"]


def test_etag_gives_304(api: httpx.Client) -> None:
    first = api.get("/api/queries/roles")
    again = api.get("/api/queries/roles", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304


# --- OpenAPI and /docs -----------------------------------------------------------------------------


def test_openapi_has_one_operation_per_query_with_typed_parameters(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    types = {
        "iri": ("string", "iri"),
        "string": ("string", None),
        "language": ("string", None),
        "integer": ("integer", None),
        "date": ("string", "date"),
    }
    for name, query in QUERIES.items():
        op = spec["paths"][f"/api/queries/{name}"]["get"]
        assert op["summary"] == query.title
        assert query.description in op["description"]
        assert "```sparql" in op["description"]
        params = {p["name"]: p for p in op["parameters"]}
        assert set(params) == {p.name for p in query.parameters} | {"format", "timeout"}
        assert params["timeout"]["schema"]["type"] == "number"
        for p in query.parameters:
            doc = params[p.name]
            assert doc["in"] == "query" and doc["required"] is False
            assert p.text in doc["description"]
            assert str(doc["example"]) == p.example
            schema_type, schema_format = types[p.type]
            assert doc["schema"]["type"] == schema_type
            assert doc["schema"].get("format") == schema_format
        assert set(op["responses"]) >= {"200", "406", "422", "503"}
        assert "application/sparql-results+json" in op["responses"]["200"]["content"]
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert len([i for i in ids if i.startswith("run_")]) == len(QUERIES)


def test_docs_page_loads_the_openapi_document(api: httpx.Client) -> None:
    r = api.get("/docs")
    assert r.status_code == 200
    assert "/openapi.json" in r.text and "swagger" in r.text.lower()


def test_the_list_and_openapi_agree(api: httpx.Client) -> None:
    listed = api.get("/api/queries").json()["queries"]
    spec = api.get("/openapi.json").json()
    for entry in listed:
        anchor = entry["links"]["docs"].rsplit("/", 1)[1]
        assert spec["paths"][entry["links"]["self"]]["get"]["operationId"] == anchor
    json.dumps(spec)  # serializable as a whole
