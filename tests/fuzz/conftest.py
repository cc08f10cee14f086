"""One live server per fuzz module, on the real build: what a fuzzer does to it no other test sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from endpoint.live import LiveServer, start_server
from hypothesis.configuration import set_hypothesis_home_dir

FUZZ_QUERY_TIMEOUT = "3"
"""Seconds: a generated query that runs long is stopped (an intended 503) without eating the budget."""

FUZZ_QUEUE_WAIT = "2"
"""Seconds a query waits for a worker before an intended 503, so a broken pool cannot stall the run."""


@pytest.fixture(scope="session", autouse=True)
def hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Hypothesis' own files (a cache of constants) go to a temporary directory, not the checkout."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))


@pytest.fixture(scope="module")
def fuzz_server(
    built_store: Path, project_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The endpoint on the real build with the repository's named queries, private to one module."""
    live = start_server(
        built_store,
        tmp_path_factory.mktemp("fuzz"),
        root=str(project_root),
        query_timeout=FUZZ_QUERY_TIMEOUT,
        queue_wait=FUZZ_QUEUE_WAIT,
    )
    yield live
    live.stop()


@pytest.fixture(scope="module")
def fuzz_port(fuzz_server: LiveServer) -> int:
    """The loopback port of :func:`fuzz_server`, for the raw socket client."""
    port = urlsplit(fuzz_server.base).port
    assert port is not None
    return port
