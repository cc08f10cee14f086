"""Reading a built store: its build record, read-only opening, and the leases that keep a served
version from being pruned."""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from ftgraph.config import BUILD_INFO_FILE

if TYPE_CHECKING:
    # Readers (endpoint workers, `ftgraph query`) never pay for rdflib; only builders do.
    pass


@dataclass(frozen=True)
class BuildInfo:
    """What ``ftgraph-build.json`` records about the store a symlink points at."""

    version: str
    built_at: str
    quads: int
    graphs: int
    path: Path
    """Resolved version directory holding the store."""


def read_build_info(store_path: Path) -> BuildInfo | None:
    """Read the build record through the symlink; None when there is no complete store yet."""
    info_file = Path(store_path) / BUILD_INFO_FILE
    try:
        raw: dict[str, Any] = json.loads(info_file.read_text(encoding="utf-8"))
        return BuildInfo(
            version=str(raw["version"]),
            built_at=str(raw["built_at"]),
            quads=int(raw["quads"]),
            graphs=int(raw["graphs"]),
            path=Path(store_path).resolve(),
        )
    except (OSError, ValueError, KeyError, TypeError):
        # Missing, dangling or unreadable record: treat as "no complete store".
        return None


def open_read_only(store_path: Path) -> ox.Store:
    """Open the current version read-only, so any number of readers can share it with a builder."""
    return ox.Store.read_only(str(Path(store_path).resolve()))


LEASE_FILE = "ftgraph-lease"
"""In each version directory: servers hold a shared ``flock`` on it, and pruning skips a version
whose lock it cannot take exclusively, so a rebuild never deletes a version being served."""


class Lease:
    """A reader's shared lock on one version directory; pruning leaves the directory alone."""

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        """The resolved version directory, stable whatever the symlink points to later."""
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (idempotent); the version may be pruned by the next build."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def resolve_version(store_path: Path) -> Path:
    """The real directory the store symlink points at now (the store itself if it is a directory)."""
    return Path(store_path).resolve(strict=True)


def acquire_lease(store_path: Path) -> Lease:
    """Lease the version the store points at now, retrying if a build pruned it meanwhile.

    A read-only store directory without a lease file gets a lease without a lock: nothing can
    build (and prune) there either.
    """
    for _ in range(10):
        target = resolve_version(store_path)
        try:
            fd = os.open(target / LEASE_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            continue  # pruned between resolve and open
        except OSError:
            if not target.is_dir():
                continue
            return Lease(target, None)
        fcntl.flock(fd, fcntl.LOCK_SH)
        if os.fstat(fd).st_nlink > 0:  # a prune that won the race unlinked the file
            return Lease(target, fd)
        os.close(fd)
    raise OSError(f"store {store_path} keeps changing; could not lease a version")


def is_leased(version_path: Path) -> bool:
    """True while a server holds a lease on it (its lease file is locked shared)."""
    try:
        fd = os.open(version_path / LEASE_FILE, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
