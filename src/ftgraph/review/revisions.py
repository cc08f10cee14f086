"""The two sides of a diff as input roots: a git revision (extracted with ``git archive``), a
folder, or the working tree."""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

INPUT_DIRS = ("ontology", "data", "shapes", "queries")
"""What a build reads; the rest of a revision is not extracted."""

WORKING_TREE = "working tree"


class RevisionError(Exception):
    """A side names neither a folder nor a revision of the repository holding the root."""


@dataclass(frozen=True)
class Side:
    """One side of a diff: what the user named, and the root holding its inputs."""

    label: str
    root: Path


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120
    )


def resolve(spec: str | None, root: Path, scratch: Path) -> Side:
    """``spec`` as a root: None is the working tree (``root`` itself), a folder is itself, anything
    else a git revision of the repository ``root`` is in, extracted under ``scratch``."""
    if spec is None:
        return Side(WORKING_TREE, root)
    folder = Path(spec)
    if folder.is_dir():
        return Side(spec, folder)
    prefix = _git(root, "rev-parse", "--show-prefix")
    if prefix.returncode != 0:
        raise RevisionError(f"{spec!r} is not a folder, and {root} is not in a git repository")
    # --end-of-options: a revision named like an option (``--output=…``) is a name, never an option.
    commit = _git(
        root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{spec}^{{commit}}"
    )
    if commit.returncode != 0:
        raise RevisionError(
            f"{spec!r} is neither a folder nor a revision of the repository at {root}"
        )
    sha = commit.stdout.decode().strip()
    inside = prefix.stdout.decode().strip()
    listed = _git(root, "ls-tree", "--name-only", sha, "--", *(inside + d for d in INPUT_DIRS))
    present = listed.stdout.decode().splitlines()
    target = scratch / sha[:12]
    target.mkdir(parents=True, exist_ok=True)
    if present:
        archive = _git(root, "archive", "--format=tar", sha, "--", *present)
        if archive.returncode != 0:
            raise RevisionError(f"git archive {spec}: {archive.stderr.decode().strip()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(target, filter="data")
    return Side(f"{spec} ({sha[:12]})" if spec != sha else sha[:12], target / inside)
