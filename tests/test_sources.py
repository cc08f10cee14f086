"""Input discovery, parsing, source-graph discipline and dataset versions."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from ftgraph.graph.sources import (
    InputError,
    dataset_version,
    find_inputs,
    load_inputs,
    scan_trig,
    syntax_error_position,
)
from ftgraph.vocab import ONTOLOGY_GRAPH, SOURCE

HEADER = f"@prefix ftg: <https://w3id.org/ftgraph/ontology/> .\n@prefix src: <{SOURCE}> .\n"


def test_mini_inputs_parse_into_their_graphs(mini_root: Path) -> None:
    inputs = load_inputs(mini_root)
    assert [f.relpath for f in inputs.ontology] == ["ontology/ftg.ttl"]
    assert [f.relpath for f in inputs.data] == ["data/organisations.trig", "data/sources.trig"]
    assert [f.relpath for f in inputs.shapes] == ["shapes/shapes.ttl"]
    assert {q.graph_name for f in inputs.ontology for q in f.quads} == {
        ox.NamedNode(ONTOLOGY_GRAPH)
    }
    graphs = {q.graph_name for q in inputs.dataset_quads()} - {ox.NamedNode(ONTOLOGY_GRAPH)}
    assert graphs == {ox.NamedNode(SOURCE + "launch-2024"), ox.NamedNode(SOURCE + "funding-2025")}
    assert inputs.triple_count() == sum(1 for _ in inputs.dataset_quads())
    assert inputs.data[0].prefixes["organisation"] == "https://w3id.org/ftgraph/id/organisation/"


def test_other_files_are_not_inputs(mini_root: Path) -> None:
    (mini_root / "data" / "notes.md").write_text("not rdf")
    (mini_root / "ontology" / "draft.ttl.txt").write_text("not rdf either")
    found = find_inputs(mini_root)
    assert [p.name for p in found["data"]] == ["organisations.trig", "sources.trig"]
    assert [p.name for p in found["ontology"]] == ["ftg.ttl"]


@pytest.mark.parametrize(
    ("relpath", "bad_line", "line", "column"),
    [
        ("ontology/ftg.ttl", 'ftg:Broken a owl:Class ; rdfs:label "unterminated .', 24, 52),
        ("data/organisations.trig", "GRAPH src:launch-2024 { organisation:x ftg:name }", 24, 49),
        ("data/sources.trig", "src:x { src:x nope:title 1 . }", 18, 15),
        ("shapes/shapes.ttl", "ftgsh:X a sh:NodeShape ;; sh:targetClass .", 37, 42),
    ],
)
def test_syntax_error_is_located(
    mini_root: Path, relpath: str, bad_line: str, line: int, column: int
) -> None:
    path = mini_root / relpath
    lines = path.read_text().splitlines()
    lines += [""] * (line - 1 - len(lines))
    lines.insert(line - 1, bad_line)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        load_inputs(mini_root)
    err = info.value
    assert err.path == path
    assert err.line == line
    assert err.column == column
    assert str(err).endswith(f"{relpath}:{line}:{column}: {err.message}")
    assert "Parser error" not in err.message


def test_invalid_utf8_is_an_input_error(mini_root: Path) -> None:
    path = mini_root / "data" / "sources.trig"
    path.write_bytes(path.read_bytes() + b'src:x { src:x ftg:name "caf\xe9" . }\n')
    with pytest.raises(InputError) as info:
        load_inputs(mini_root)
    assert (info.value.line, info.value.column) == (17, 28)
    assert "UTF-8" in info.value.message


def test_triple_in_default_graph_is_refused_with_its_line(mini_root: Path) -> None:
    path = mini_root / "data" / "extra.trig"
    path.write_text(
        HEADER
        + 'GRAPH src:launch-2024 { src:launch-2024 ftg:name "ok" . }\n'
        + "# a comment { with a brace\n"
        + '  src:launch-2024 ftg:name "no source" .\n'
    )
    with pytest.raises(InputError) as info:
        load_inputs(mini_root)
    assert (info.value.line, info.value.column) == (5, 3)
    assert "outside any GRAPH block" in info.value.message
    assert str(info.value).endswith(info.value.message)
    assert "extra.trig:5:3: " in str(info.value)


def test_unnamed_block_is_the_default_graph(mini_root: Path) -> None:
    path = mini_root / "data" / "extra.trig"
    path.write_text(HEADER + '{\n  src:a ftg:name "x" .\n}\n')
    with pytest.raises(InputError) as info:
        load_inputs(mini_root)
    assert info.value.line == 4


@pytest.mark.parametrize(
    "label",
    [
        "<https://example.org/elsewhere>",
        "ftg:Graph",
        f"<{SOURCE}>",
        "<https://w3id.org/ftgraph/graph/meta>",
    ],
)
def test_graph_outside_source_namespace_is_refused(mini_root: Path, label: str) -> None:
    path = mini_root / "data" / "extra.trig"
    path.write_text(
        HEADER
        + 'src:ok { src:ok ftg:name "fine" . }\n\n'
        + f'GRAPH {label} {{\n  src:ok ftg:name "x" .\n}}\n'
    )
    with pytest.raises(InputError) as info:
        load_inputs(mini_root)
    assert info.value.line == 5
    assert "not a source article" in info.value.message


def test_scan_trig_skips_braces_in_strings_and_iris() -> None:
    text = (
        HEADER
        + 'src:a { src:a ftg:name "}" , """{\n}""" ; ftg:x <https://e.org/{x}> . }\n'
        + "src:b {}\n"
    )
    items = scan_trig(text)
    assert [(i.kind, i.label) for i in items] == [("graph", "src:a"), ("graph", "src:b")]


def test_syntax_error_position_falls_back_to_message() -> None:
    err = SyntaxError(
        "Parser error at line 4 between columns 16 and 20: A dot is expected (line 4)"
    )
    assert syntax_error_position(err) == (4, 16, "A dot is expected")
    err = SyntaxError("Parser error between line 3 column 11 and line 4 column 1: Unexpected end")
    assert syntax_error_position(err) == (3, 11, "Unexpected end")
    assert syntax_error_position(SyntaxError("mystery")) == (0, 0, "mystery")


def test_version_tracks_paths_and_bytes(mini_root: Path) -> None:
    v1 = dataset_version(mini_root)
    assert v1 == load_inputs(mini_root).version
    assert len(v1) == 64
    assert dataset_version(mini_root) == v1
    (mini_root / "data" / "notes.md").write_text("ignored")
    assert dataset_version(mini_root) == v1
    src = mini_root / "data" / "sources.trig"
    src.write_text(src.read_text() + "\n")
    v2 = dataset_version(mini_root)
    assert v2 != v1
    src.rename(mini_root / "data" / "sources2.trig")
    assert dataset_version(mini_root) not in {v1, v2}
