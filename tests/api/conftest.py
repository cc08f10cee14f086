"""A live server on the real build for the API tests, shared by the package's modules."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from endpoint.live import LiveServer, start_server


@pytest.fixture(scope="package")
def api_server(
    built_store: Path, project_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The endpoint on the real build, with the repository's ``queries/``."""
    live = start_server(built_store, tmp_path_factory.mktemp("api"), root=str(project_root))
    yield live
    live.stop()


@pytest.fixture(scope="package")
def api(api_server: LiveServer) -> Iterator[httpx.Client]:
    """A client on :func:`api_server`."""
    with httpx.Client(base_url=api_server.base, timeout=30) as client:
        yield client
