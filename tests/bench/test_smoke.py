"""Smoke test of the benchmark harness: ``bench/run.py --scale 10k --smoke`` runs end to end.

Benchmarks are never part of the test suite; this only keeps the harness from rotting. Peers that
need extra installs (``oxigraph``, ``rdflib-endpoint``, ``wrk``) are skipped by the harness when
absent, so CI runs ftgraph and in-process pyoxigraph with the asyncio load generator.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_harness_runs_at_10k(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--scale", "10k", "--smoke"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-4000:] + proc.stdout[-2000:]
    table = proc.stdout
    assert "| mix c8 |" in table and "| point c1 |" in table, table
    assert "| q:tech-champions |" in table or "q:tech-champions" in table, table
    results = json.loads((REPO / "bench" / "out" / "10k" / "results.json").read_text())
    ftgraph_runs = [per["ftgraph"] for per in results["loads"].values()]
    assert ftgraph_runs and all(r["bad"] == 0 and r["requests"] > 0 for r in ftgraph_runs)
    assert results["inproc"]["queries"], results.get("inproc")
    assert results["timeout"]["stopped_after"] < 5
