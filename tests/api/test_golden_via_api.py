"""Every named query through the REST API on a live server equals its golden answer.

The same ``tests/golden/<name>.srj`` files as ``tests/queries``, with the example parameters of
each query's header sent as query-string parameters; answers compare as sets of bindings.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from ftgraph.sparql.named_queries import load_named_queries

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
QUERIES = load_named_queries(ROOT)


def bindings(results: dict[str, Any]) -> Counter[str]:
    """Solutions as canonical JSON strings, counted: row order does not matter, rows do."""
    return Counter(
        json.dumps(b, sort_keys=True, ensure_ascii=False) for b in results["results"]["bindings"]
    )


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_api_answer_equals_golden(api: httpx.Client, name: str) -> None:
    query = QUERIES[name]
    r = api.get(
        f"/api/queries/{name}",
        params=query.examples(),
        headers={"accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200, r.text
    expected = json.loads((GOLDEN / f"{name}.srj").read_text(encoding="utf-8"))
    answer = r.json()
    assert answer["head"]["vars"] == expected["head"]["vars"]
    assert bindings(answer) == bindings(expected)
    assert answer["results"]["bindings"], f"{name} returns no row"
