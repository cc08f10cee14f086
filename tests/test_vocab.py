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


def test_one_lexer_for_strings_iris_and_comments() -> None:
    """``ftgraph.syntax`` is the only place that spells a string literal's regex (issue 10)."""
    from pathlib import Path

    from ftgraph.syntax import OPAQUE, STRING_LITERAL

    src = Path(__file__).resolve().parents[1] / "src" / "ftgraph"
    long_string = r"""(?:[^"\\]|\\.|"(?!""))"""  # the body of a long "-string pattern, as spelled
    spelled = [
        p.relative_to(src).as_posix()
        for p in sorted(src.rglob("*.py"))
        if long_string in p.read_text(encoding="utf-8")
    ]
    assert spelled == ["syntax.py"]
    text = "'''a'b''' \"x\\\"y\" 'not\nclosed' <http://e/x.y> # c { }"
    assert [m.group() for m in OPAQUE.finditer(text)][:4] == [
        "'''a'b'''",
        '"x\\"y"',
        "<http://e/x.y>",
        "# c { }",
    ]
    assert STRING_LITERAL.fullmatch("'not\nclosed'") is None
