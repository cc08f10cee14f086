"""The wheel carries its own copy of the graph, so an installed ftgraph works outside a checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_bundles_ontology_data_shapes_queries(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("ftgraph-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder in ("ontology", "data", "shapes", "queries"):
        expected = {
            f"ftgraph/_bundled/{p.relative_to(ROOT).as_posix()}"
            for p in (ROOT / folder).glob("*.*")
        }
        assert expected and expected <= names, folder
