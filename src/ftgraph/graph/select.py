"""The one in-process way to run a SELECT on a pyoxigraph store and read its solutions.

For code that already runs where the store is (the build's VoID, the SHACL engine, the workers'
page reads); HTTP routes ask the :class:`~ftgraph.sparql.backend.Backend` instead.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox


def select(store: ox.Store, query: str, **options: Any) -> ox.QuerySolutions:
    """The solutions of a SELECT (``options`` as for ``Store.query``); any other form is a bug.

    Iterate it for the rows; ``.variables`` names the columns.
    """
    result = store.query(query, **options)
    assert isinstance(result, ox.QuerySolutions), "not a SELECT query"
    return result
