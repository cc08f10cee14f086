"""Shared fixtures: the repository root, a store built once per session, controlled mini roots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ftgraph.store.build import build
from ftgraph.store.reader import BuildInfo

if TYPE_CHECKING:
    from endpoint.live import LiveServer

REPO_ROOT = Path(__file__).resolve().parents[1]
MINI = Path(__file__).resolve().parent / "fixtures" / "mini"


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The checkout under test (holds ontology/, data/, shapes/, queries/)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def built_store(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Store symlink built from the real repository inputs, once per session; open it read-only."""
    store = tmp_path_factory.mktemp("built") / "store"
    build(project_root, store)
    return store


@pytest.fixture(scope="session")
def real_server(
    built_store: Path, project_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One live endpoint (uvicorn subprocess, default settings) on :func:`built_store`, shared by every
    package that tests the real data over HTTP: endpoint, linked data, API, UI."""
    from endpoint.live import start_server

    live = start_server(built_store, tmp_path_factory.mktemp("real"), root=str(project_root))
    yield live
    live.stop()


@pytest.fixture(scope="session")
def built_store_info(built_store: Path) -> BuildInfo:
    """The build record of :func:`built_store`."""
    from ftgraph.store.reader import read_build_info

    info = read_build_info(built_store)
    assert info is not None
    return info


@pytest.fixture()
def mini_root(tmp_path: Path) -> Path:
    """A private, editable copy of tests/fixtures/mini (tests may break it at will)."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    return root


@pytest.fixture(scope="session")
def mini_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Store built once from the pristine mini fixture (read-only use)."""
    store = tmp_path_factory.mktemp("mini-built") / "store"
    build(MINI, store)
    return store


CLI = [sys.executable, "-m", "ftgraph.cli"]
"""How tests start the real console script (same interpreter, no PATH assumptions)."""


def _run_cli(
    *args: str | os.PathLike[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    cmd: Sequence[str] = [*CLI, *map(str, args)]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.fixture(scope="session")
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli("build", "--root", root)``: run ``ftgraph`` as a real subprocess, capturing text."""
    return _run_cli


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--update-golden`` rewrites tests/golden/*.srj from the current answers (review the diff)."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden answers of the named queries",
    )
