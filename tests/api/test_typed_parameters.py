"""Every parameter type through the API, and hostile values, on a root with a test query.

The repository's queries only take IRIs, so this module serves a copy of the root whose
``queries/`` also holds ``echo.rq``, a query that returns the values it was given.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from endpoint.live import start_server

ECHO = """\
# title: Echo
# description: Returns the values it is given, and the label of the IRI.
# param: text string hello — any text.
# param: n integer 3 — a whole number.
# param: day date 2014-11-12 — a day.
# param: lang language fr — a language tag.
# param: thing iri https://w3id.org/ftgraph/id/organisation/voyage-prive — an entity.
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?text ?n ?day ?lang ?thing ?label
WHERE { OPTIONAL { ?thing rdfs:label ?label . FILTER (LANG(?label) = ?lang) } }
"""
HOSTILE = '" } ; DROP ALL ; SELECT * { ?s ?p ?o } #'


@pytest.fixture(scope="module")
def client(
    built_store: Path, project_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    root = tmp_path_factory.mktemp("echo-root")
    for name in ("ontology", "data", "shapes", "docs"):
        (root / name).symlink_to(project_root / name)
    shutil.copytree(project_root / "queries", root / "queries")
    (root / "queries" / "echo.rq").write_text(ECHO, encoding="utf-8")
    live = start_server(built_store, root, root=str(root))
    with httpx.Client(base_url=live.base, timeout=30) as c:
        yield c
    live.stop()


def echo(client: httpx.Client, **params: str) -> dict[str, dict[str, str]]:
    r = client.get("/api/queries/echo", params=params)
    assert r.status_code == 200, r.text
    (row,) = r.json()["results"]["bindings"]
    result: dict[str, dict[str, str]] = row
    return result


def test_each_type_binds_its_rdf_term(client: httpx.Client) -> None:
    row = echo(
        client,
        text="bonjour",
        n="+042",
        day="2014-11-12",
        lang="FR",
        thing="https://w3id.org/ftgraph/id/organisation/voyage-prive",
    )
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert row["text"] == {"type": "literal", "value": "bonjour"}
    assert row["n"] == {"type": "literal", "value": "42", "datatype": xsd + "integer"}
    assert row["day"] == {"type": "literal", "value": "2014-11-12", "datatype": xsd + "date"}
    assert row["lang"]["value"] == "fr"
    assert row["thing"]["type"] == "uri"
    assert row["label"] == {"type": "literal", "value": "Voyage Privé", "xml:lang": "fr"}


def test_hostile_string_is_one_plain_literal(client: httpx.Client) -> None:
    """``" } ; DROP`` in a string parameter is a value: same query, one row, the text as given."""
    row = echo(client, text=HOSTILE)
    assert row == {"text": {"type": "literal", "value": HOSTILE}}


def test_hostile_iri_is_422(client: httpx.Client) -> None:
    r = client.get("/api/queries/echo", params={"thing": HOSTILE})
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["query", "thing"] and problem["input"] == HOSTILE


@pytest.mark.parametrize(
    ("name", "value"),
    [("n", "3.5"), ("n", "three"), ("day", "2014-13-01"), ("day", "12/11/2014"), ("lang", "f r")],
)
def test_values_not_of_their_type_are_422(client: httpx.Client, name: str, value: str) -> None:
    r = client.get("/api/queries/echo", params={name: value})
    assert r.status_code == 422
    (problem,) = r.json()["detail"]
    assert problem["loc"] == ["query", name]
    assert value in problem["msg"] or repr(value) in problem["msg"]


def test_several_bad_values_are_all_reported(client: httpx.Client) -> None:
    r = client.get("/api/queries/echo", params={"n": "x", "day": "y", "nope": "z"})
    assert r.status_code == 422
    assert {tuple(p["loc"]) for p in r.json()["detail"]} == {
        ("query", "n"),
        ("query", "day"),
        ("query", "nope"),
    }


def test_openapi_schema_of_each_type(client: httpx.Client) -> None:
    op = client.get("/openapi.json").json()["paths"]["/api/queries/echo"]["get"]
    schemas = {p["name"]: p["schema"] for p in op["parameters"]}
    assert schemas["text"]["type"] == "string"
    assert schemas["n"]["type"] == "integer"
    assert schemas["day"] == {"type": "string", "format": "date", "examples": ["2014-11-12"]}
    assert "pattern" in schemas["lang"]
    assert schemas["thing"]["format"] == "iri"
    assert {p["name"]: p["example"] for p in op["parameters"] if "example" in p}["n"] == 3
