"""Rebuilding while serving (issue 9, finding 5): the live version survives, and the new one is served.

A server holds a lease on the version it serves, so a build never prunes it; on SIGHUP, or when it
sees the store symlink change, it starts workers on the new version, drains the old ones and
answers with the new version's ETags.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from endpoint.live import LiveServer, start_server
from ftgraph.store.build import build, versions_dir

QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def edit(root: Path, n: int) -> None:
    """A new dataset version (the inputs' hash changes) with the same, valid data."""
    path = root / "data" / "sources.trig"
    path.write_text(path.read_text() + f"\n# edit {n}\n")


def _version(server: LiveServer) -> str:
    return str(server.health()["version"])


def _wait_version(server: LiveServer, version: str) -> None:
    for _ in range(400):
        if _version(server) == version:
            return
        time.sleep(0.025)
    raise AssertionError(f"still serving {_version(server)}, not {version}")


@pytest.fixture
def sighup_only(mini_root: Path, tmp_path: Path) -> Iterator[tuple[Path, Path, LiveServer]]:
    store = tmp_path / "store"
    build(mini_root, store)
    live = start_server(store, tmp_path, reload_interval="0")
    yield mini_root, store, live
    live.stop()


def test_builds_never_prune_the_version_a_server_has_open(
    sighup_only: tuple[Path, Path, LiveServer],
) -> None:
    root, store, server = sighup_only
    served = store.resolve()
    first = _version(server)
    for n in range(3):  # more builds than the versions a build keeps
        edit(root, n)
        build(root, store)
    assert served.is_dir(), "a build deleted the version a server serves"
    assert _version(server) == first  # no SIGHUP, no watching: still the leased version
    pids = server.idle_workers()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)  # replacements must open the leased version again
    new = server.idle_workers()
    assert not new & pids
    r = httpx.get(server.sparql, params={"query": QUERY}, timeout=30)
    assert r.status_code == 200, r.text
    assert "Traceback" not in server.log_text()


def test_sighup_serves_the_new_version_and_releases_the_old(
    sighup_only: tuple[Path, Path, LiveServer],
) -> None:
    root, store, server = sighup_only
    old_dir = store.resolve()
    before = httpx.get(server.sparql, params={"query": QUERY}, timeout=30)
    old_pids = server.idle_workers()
    edit(root, 1)
    new_version = build(root, store).info.version
    server.proc.send_signal(signal.SIGHUP)
    _wait_version(server, new_version)
    after = httpx.get(server.sparql, params={"query": QUERY}, timeout=30)
    assert after.status_code == 200
    assert after.headers["etag"] != before.headers["etag"]
    assert server.idle_workers().isdisjoint(old_pids)  # workers on the new version
    # Once drained, the old version is no longer leased: the next builds may prune it.
    for _ in range(400):
        edit(root, 2 + _ % 2)
        build(root, store, force=True)
        if not old_dir.exists():
            break
        time.sleep(0.05)
    assert not old_dir.exists(), sorted(p.name for p in versions_dir(store).iterdir())


def test_a_new_build_is_picked_up_by_watching_the_symlink(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    build(mini_root, store)
    server = start_server(store, tmp_path, reload_interval="0.2")
    try:
        edit(mini_root, 1)
        new_version = build(mini_root, store).info.version
        _wait_version(server, new_version)
        r = httpx.get(server.sparql, params={"query": QUERY}, timeout=30)
        assert r.status_code == 200
        assert server.health()["workers"] == 2
    finally:
        server.stop()
