"""Progress of ``ftgraph build`` and ``ftgraph validate`` (issue 14): one line per phase off a
terminal, rich bars on one (driven here through a real pseudo-terminal); stdout stays the result."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from conftest import CLI

Cli = Callable[..., CompletedProcess[str]]

BUILD_PHASES = [
    "parse", "derive", "merge", "shapes", "bulk_load", "void", "dumps", "search", "meta", "optimize", "record",
]  # fmt: skip
LINE = re.compile(r"^(build|validate): (\w+) \d+\.\d s(?:, ([\d,]+) (\w+) \(([\d,.]+)/s\))?$")


def test_build_off_a_terminal_prints_one_line_per_phase(
    cli: Cli, mini_root: Path, tmp_path: Path
) -> None:
    done = cli("build", "--root", mini_root, "--store", tmp_path / "store")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("built ")  # the result, alone on stdout
    matches = [LINE.match(line) for line in done.stderr.splitlines()]
    assert all(matches), done.stderr
    assert [m[2] for m in matches if m] == BUILD_PHASES
    load = next(m for m in matches if m and m[2] == "bulk_load")
    assert load[4] == "quads" and int(load[3].replace(",", "")) > 0


def test_validate_counts_its_shapes(cli: Cli, mini_root: Path) -> None:
    done = cli("validate", "--root", mini_root, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip().startswith("{")  # the report, alone on stdout
    shapes = [m for m in map(LINE.match, done.stderr.splitlines()) if m and m[2] == "shapes"]
    assert len(shapes) == 1 and shapes[0][4] == "shapes" and int(shapes[0][3]) >= 1


def test_a_failure_prints_no_line_for_the_phase_it_stopped(cli: Cli, mini_root: Path) -> None:
    (mini_root / "data" / "sources.trig").write_text("GRAPH <x> { oops")
    done = cli("validate", "--root", mini_root)
    assert done.returncode == 2
    assert not any(line.startswith("validate: ") for line in done.stderr.splitlines()), done.stderr


def test_on_a_terminal_the_phases_are_bars(mini_root: Path, tmp_path: Path) -> None:
    """stderr a pseudo-terminal: rich draws (escape sequences), and each finished phase is ticked."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [
            *CLI,
            "build",
            "--root",
            str(mini_root),
            "--store",
            str(tmp_path / "s"),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "COLUMNS": "160", "TERM": "xterm-256color"},
    )
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
    os.close(controller)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert out.startswith(b"built ")
    text = seen.decode("utf-8", "replace")
    assert "\x1b[" in text  # drawn, not printed line by line
    assert "build: bulk_load" in text and "build: optimize" in text
    assert "✓" in text
