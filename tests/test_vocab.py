"""The one prefix registry (:data:`ftgraph.vocab.ALL_PREFIXES`) agrees with the data files' prefix block."""

from __future__ import annotations

import re
from pathlib import Path

from ftgraph.vocab import ALL_PREFIXES

REPO = Path(__file__).resolve().parents[1]


def test_every_prefix_of_the_data_files_is_in_the_registry() -> None:
    """``docs/prefixes.ttl`` (the block every data file starts with) declares nothing the server lacks."""
    block = (REPO / "docs" / "prefixes.ttl").read_text(encoding="utf-8")
    declared = dict(re.findall(r"^@prefix\s+([\w-]*):\s*<([^>]+)>", block, re.M))
    assert declared
    assert {k: ALL_PREFIXES.get(k) for k in declared} == declared
