"""Builds that fail or race with servers (issue 9, findings 5 and 9).

A server's lease keeps its version from being pruned; a build on a full disk says so in one line
with its own exit code, removes what it wrote, and leaves the previous store serving.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from ftgraph.cli import EXIT_STORAGE
from ftgraph.store.build import build, versions_dir
from ftgraph.store.reader import acquire_lease, read_build_info, resolve_version


def edit(root: Path, n: int) -> None:
    path = root / "data" / "sources.trig"
    path.write_text(path.read_text() + f"\n# edit {n}\n")


def test_a_leased_version_survives_any_number_of_builds(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    build(mini_root, store)
    lease = acquire_lease(store)
    assert lease.path == resolve_version(store)
    for n in range(3):
        edit(mini_root, n)
        build(mini_root, store)
    assert lease.path.is_dir()
    assert len(ox.Store.read_only(str(lease.path))) > 0
    lease.release()
    lease.release()  # idempotent
    edit(mini_root, 9)
    build(mini_root, store)
    assert not lease.path.exists()


def test_a_lease_held_by_another_process_protects_too(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    build(mini_root, store)
    served = resolve_version(store)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys
                from ftgraph.store.reader import acquire_lease
                lease = acquire_lease({str(store)!r})
                print("leased", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"leased\n"
        for n in range(3):
            edit(mini_root, n)
            build(mini_root, store)
        assert served.is_dir()
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.close()
        holder.stdout.close()
        holder.wait(10)
    edit(mini_root, 9)
    build(mini_root, store)
    assert not served.exists()


def test_orphans_of_killed_builds_are_removed_by_the_next_build(
    mini_root: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    build(mini_root, store)
    orphan = versions_dir(store) / "0123456789ab-20260101T000000.000000Z"
    orphan.mkdir()
    (orphan / "000001.sst").write_bytes(b"x" * 1000)
    edit(mini_root, 1)
    build(mini_root, store)
    assert not orphan.exists()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 6 MB tmpfs (root can mount one; elsewhere the test cannot run)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_the_build_in_one_line_and_keeps_the_store(
    mini_root: Path, small_disk: Path
) -> None:
    store = small_disk / "store"
    before = build(mini_root, store).info
    free = shutil.disk_usage(small_disk).free
    (small_disk / "filler").write_bytes(b"\0" * (free - 64 * 1024))
    edit(mini_root, 1)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ftgraph.cli",
            "build",
            "--root",
            str(mini_root),
            "--store",
            str(store),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_STORAGE, done.stderr
    # The phases that finished (one line each, off a terminal), then one line for the failure.
    *phases, error = done.stderr.strip().splitlines()
    assert all(line.startswith("build: ") for line in phases), done.stderr
    assert str(versions_dir(store)) in error and "free" in error
    assert "Traceback" not in done.stderr
    after = read_build_info(store)
    assert after is not None and after.path == before.path
    assert len(ox.Store.read_only(str(before.path))) > 0
    assert [p for p in versions_dir(store).iterdir()] == [before.path]
