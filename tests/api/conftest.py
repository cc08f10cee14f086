"""A live server on the real build for the API tests, shared by the package's modules."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from endpoint.live import LiveServer


@pytest.fixture(scope="package")
def api_server(real_server: LiveServer) -> LiveServer:
    """The endpoint on the real build, with the repository's ``queries/`` (the session's shared server)."""
    return real_server


@pytest.fixture(scope="package")
def api(api_server: LiveServer) -> Iterator[httpx.Client]:
    """A client on :func:`api_server`."""
    with httpx.Client(base_url=api_server.base, timeout=30) as client:
        yield client
