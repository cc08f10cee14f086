"""Live servers for the linked-data tests: one on the real build, one on a hostile little store."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from endpoint.live import LiveServer, make_store, start_server

from .hostile import hostile_quads


@pytest.fixture(scope="package")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The endpoint on a store made of :func:`hostile_quads` (and no ontology at all)."""
    tmp = tmp_path_factory.mktemp("ld-hostile")
    store = make_store(tmp / "store", hostile_quads())
    live = start_server(store, tmp)
    yield live
    live.stop()


@pytest.fixture(scope="package")
def http(real_server: LiveServer) -> Iterator[httpx.Client]:
    """A client on the real server that does not follow redirects (tests look at the 303s)."""
    with httpx.Client(base_url=real_server.base, timeout=20) as client:
        yield client
