"""``graph.select``: the one in-process "run a SELECT, get rows" (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from ftgraph.graph.select import select

SRC = Path(__file__).resolve().parents[1] / "src" / "ftgraph"


def test_rows_and_columns() -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.Literal("o")))
    result = select(store, "SELECT ?s ?o WHERE { ?s ?p ?o }")
    assert [v.value for v in result.variables] == ["s", "o"]
    assert [row["o"] for row in result] == [ox.Literal("o")]


def test_another_form_is_a_programming_error() -> None:
    with pytest.raises(AssertionError, match="not a SELECT"):
        select(ox.Store(), "ASK {}")


def test_no_other_module_unwraps_query_solutions_itself() -> None:
    spelled = [
        p.relative_to(SRC).as_posix()
        for p in sorted(SRC.rglob("*.py"))
        if "ox.QuerySolutions)" in p.read_text(encoding="utf-8")
    ]
    assert spelled == ["graph/select.py"]
