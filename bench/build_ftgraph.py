"""``ftgraph build`` of a generated root, with SHACL validation of the curated part only.

pyshacl over a million-triple rdflib graph does not finish in useful time, so the benchmark build
runs the real :func:`ftgraph.store.build.build` (parse, derive, bulk load, union default graph, VoID,
atomic symlink swap) with ``validate`` narrowed to the curated files (``data/`` minus
``data/synthetic-*``), as the issue's build target says. Prints one JSON line: seconds per phase.

Usage: python bench/build_ftgraph.py ROOT STORE
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ftgraph.graph.derive
import ftgraph.graph.sources
import ftgraph.shacl.validate
import ftgraph.store.build

PHASES: dict[str, float] = {}


def _timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            PHASES[name] = PHASES.get(name, 0.0) + time.perf_counter() - t

    return wrapper


def curated_only(inputs: ftgraph.graph.sources.Inputs, derived: Any, **options: Any) -> Any:
    """Validate the curated files (and what derives from them), not the synthetic ones."""
    data = [f for f in inputs.data if not Path(f.relpath).name.startswith("synthetic-")]
    curated = dataclasses.replace(inputs, data=data)
    cur_derived = ftgraph.graph.derive.derive(
        (q for f in curated.ontology for q in f.quads), (q for f in curated.data for q in f.quads)
    )
    return _validate(curated, cur_derived, **options)


_validate = _timed("validate_curated", ftgraph.shacl.validate.validate)


def main() -> int:
    root, store = Path(sys.argv[1]), Path(sys.argv[2])
    ftgraph.shacl.validate.validate = curated_only  # type: ignore[assignment]
    ftgraph.graph.sources.load_inputs = _timed("parse", ftgraph.graph.sources.load_inputs)
    ftgraph.graph.derive.derive = _timed("derive", ftgraph.graph.derive.derive)
    ftgraph.store.build._load = _timed("load", ftgraph.store.build._load)
    t = time.perf_counter()
    result = ftgraph.store.build.build(root, store, force=True)
    total = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    report = result.report
    print(
        json.dumps(
            {
                "seconds": round(total, 3),
                "phases": {k: round(v, 3) for k, v in PHASES.items()},
                "load_phases": {k: round(v, 3) for k, v in result.phases.items()},
                "quads": result.info.quads,
                "conforms": report.conforms if report else None,
                "peak_rss": rss,
                "path": str(result.info.path),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
