"""Golden answers of every named query in queries/, compared as sets of solutions.

A change in data or ontology that changes an answer shows up here and in the golden file's diff.
Regenerate with ``python -m pytest tests/queries --update-golden``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from ftgraph.sparql.named_queries import NamedQuery, Parameter, ParameterError, load_named_queries
from ftgraph.store.reader import open_read_only

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
QUERIES = load_named_queries(ROOT)


def run(store: ox.Store, query: NamedQuery, values: dict[str, str] | None = None) -> dict[str, Any]:
    """Evaluate a named query with its example parameters; SPARQL JSON results as a dict."""
    result = store.query(query.text, substitutions=query.substitutions(values or query.examples()))
    assert isinstance(result, ox.QuerySolutions)
    data: dict[str, Any] = json.loads(result.serialize(format=ox.QueryResultsFormat.JSON))
    return data


def solutions(results: dict[str, Any]) -> Counter[str]:
    """A multiset of solutions, each a canonical JSON string (order of rows does not matter)."""
    return Counter(
        json.dumps(b, sort_keys=True, ensure_ascii=False) for b in results["results"]["bindings"]
    )


@pytest.fixture(scope="module")
def store(built_store: Path) -> ox.Store:
    return open_read_only(built_store)


def test_every_competency_question_has_a_query() -> None:
    assert len(QUERIES) >= 10
    for query in QUERIES.values():
        assert query.title and query.description, query.name


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_golden_answer(name: str, store: ox.Store, request: pytest.FixtureRequest) -> None:
    query = QUERIES[name]
    answer = run(store, query)
    path = GOLDEN / f"{name}.srj"
    if request.config.getoption("--update-golden"):
        path.write_text(json.dumps(answer, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    assert path.exists(), f"no golden answer for {name}: run pytest tests/queries --update-golden"
    expected = json.loads(path.read_text())
    assert answer["head"]["vars"] == expected["head"]["vars"]
    assert solutions(answer) == solutions(expected), (
        f"{name} changed its answer; if intended, run pytest tests/queries --update-golden and review"
    )
    assert answer["results"]["bindings"], f"{name} returns no row"


def test_orgs_alignment_gives_the_same_roles(store: ox.Store) -> None:
    """Competency question 10: W3C ORG terms alone find exactly the roles found with ftgraph terms."""
    assert solutions(run(store, QUERIES["roles"])) == solutions(
        run(store, QUERIES["roles-standard-vocabularies"])
    )


def test_label_awards_answer_question_one(store: ox.Store) -> None:
    rows = run(store, QUERIES["label-awards"])["results"]["bindings"]
    dates = {(r["label"]["value"].rsplit("/", 1)[1], r["date"]["value"]) for r in rows}
    assert ("french-tech", "2014-11-12") in dates
    assert ("capitale-french-tech", "2019-04-03") in dates
    assert {r["validity"]["value"] for r in rows if "validity" in r} == {"P3Y"}


def test_programmes_announced_nine_named_eight(store: ox.Store) -> None:
    rows = run(store, QUERIES["accelerator-programmes"])["results"]["bindings"]
    assert len(rows) == 8
    assert {r["announcedCount"]["value"] for r in rows} == {"9"}
    assert {r["namedCount"]["value"] for r in rows} == {"8"}


def test_parameter_is_bound_as_a_term_not_pasted(store: ox.Store) -> None:
    """A value full of SPARQL syntax is one IRI-less string: it cannot change the query."""
    query = QUERIES["organisation"]
    with pytest.raises(ParameterError):
        query.substitutions({"organisation": '" } ; DROP ALL ; SELECT * { ?s ?p ?o'})
    hostile = Parameter("x", "string", "a", "")
    assert hostile.bind('" } ; DROP').value == '" } ; DROP'


def test_articles_mentioning_both_with_other_entities(store: ox.Store) -> None:
    query = QUERIES["articles-mentioning-both"]
    rows = run(
        store,
        query,
        {
            "first": "https://w3id.org/ftgraph/id/organisation/voyage-prive",
            "second": "https://w3id.org/ftgraph/id/organisation/p-factory",
        },
    )["results"]["bindings"]
    assert [r["source"]["value"] for r in rows] == [
        "https://w3id.org/ftgraph/id/source/tous-unis-numerique"
    ]
