"""Issue 9, "bad input from clients is 4xx, never 500": schemathesis on the live ``/openapi.json``.

Every operation of the OpenAPI document (named queries with typed parameters, linked-data routes,
VoID, the examples) gets positive and negative cases; no answer may be a 5xx but an intended 503.
The cases come from ``APIOperation.as_strategy`` under hypothesis: schemathesis' lazy pytest loader
(``schemathesis.pytest.from_fixture``) fails on pytest 9 (``Function`` has no ``_nodeid``).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import schemathesis
from endpoint.live import LiveServer
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.core.result import Ok

from .raw_http import INTENDED_503_HEADER

OperationCase = Case[APIOperation[Any, Any, Any, Any]]

API_SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same cases on every run, so CI is reproducible
    database=None,  # no .hypothesis/ directory in the checkout
    suppress_health_check=list(HealthCheck),
)
"""Per operation and generation mode: about 30 operations x 2 modes, each answer in milliseconds."""


@pytest.fixture(scope="module")
def api_schema(fuzz_server: LiveServer) -> BaseSchema:
    """The OpenAPI document as the running server publishes it."""
    return schemathesis.openapi.from_url(fuzz_server.base + "/openapi.json")


def _is_server_error(status: int, header_names: list[str]) -> bool:
    """A 5xx that is not a 503 saying when to come back (``Retry-After``: deadline, overload)."""
    intended = status == 503 and INTENDED_503_HEADER in {name.lower() for name in header_names}
    return status >= 500 and not intended


def test_api_never_answers_a_server_error(api_schema: BaseSchema) -> None:
    """Issue 9, finding 8: e.g. ``%00`` in a named query's IRI parameter was an unhandled 500."""
    found: dict[tuple[str, int], str] = {}
    operations = [
        result.ok() for result in api_schema.get_all_operations() if isinstance(result, Ok)
    ]
    assert len(operations) > 20, "the OpenAPI document lost its operations"

    def probe(case: OperationCase) -> None:
        response = case.call(timeout=60)
        if _is_server_error(response.status_code, list(response.headers)):
            body = response.content[:200].decode("utf-8", "replace")
            key = (case.operation.label, response.status_code)
            repro = f"{case.as_curl_command()}\n    -> {response.status_code} {body!r}"
            if key not in found or len(repro) < len(found[key]):
                found[key] = repro  # the shortest request per operation and status

    for operation in operations:
        API_SETTINGS(given(operation.as_strategy(GenerationMode.POSITIVE))(probe))()
        # An operation without parameters has no invalid input to generate.
        with contextlib.suppress(Unsatisfiable):
            API_SETTINGS(given(operation.as_strategy(GenerationMode.NEGATIVE))(probe))()
    assert not found, "5xx other than an intended 503:\n" + "\n".join(found.values())
