"""SHACL validation over the merged graph, and report lines pointing at data lines."""

from __future__ import annotations

import re
from pathlib import Path

from ftgraph.graph.sources import load_inputs
from ftgraph.shacl.report import (
    ValidationReport,
    Violation,
    format_report,
    format_violation,
    locate,
)
from ftgraph.shacl.validate import validate_root

ACME = "https://w3id.org/ftgraph/id/organisation/acme"
BETA = "https://w3id.org/ftgraph/id/organisation/beta-labs"


def test_mini_conforms(mini_root: Path) -> None:
    report = validate_root(mini_root)
    assert report.conforms, format_report(report)
    assert report.violations == []
    assert format_report(report) == f"4 files, {report.triples} triples: conforms"


def test_missing_name_is_reported_at_the_focus_node_line(mini_root: Path) -> None:
    path = mini_root / "data" / "organisations.trig"
    path.write_text(path.read_text().replace('ftg:name "Beta Labs" .', 'ftg:sector "x" .'))
    report = validate_root(mini_root)
    assert not report.conforms
    [v] = report.violations
    assert v.focus_node == BETA
    assert v.result_path == "ftg:name"
    assert v.severity == "Violation"
    assert v.message == "An organisation needs a name"
    assert v.source_shape == "ftgsh:OrganisationShape (property ftg:name)"
    assert v.constraint_component == "sh:MinCountConstraintComponent"
    assert v.location is not None and v.location.endswith("data/organisations.trig:19")
    lines = format_report(report).splitlines()
    assert lines[0] == (
        f"{v.location}: Violation: <{BETA}> ftg:name: An organisation needs a name "
        "[ftgsh:OrganisationShape (property ftg:name), sh:MinCountConstraintComponent]"
    )
    assert re.fullmatch(r"4 files, \d+ triples: does not conform \(1 violation\)", lines[-1])


def test_references_across_articles_are_checked_on_the_merged_graph(mini_root: Path) -> None:
    path = mini_root / "data" / "organisations.trig"
    text = path.read_text()
    # Jane is described by the other article only: still a ftg:Person for the sh:class check.
    moved = text.replace(
        '    person:jane-doe a ftg:Person ;\n        ftg:name "Jane Doe" .\n', ""
    ).replace(
        "GRAPH src:funding-2025 {\n",
        'GRAPH src:funding-2025 {\n    person:jane-doe a ftg:Person ; ftg:name "Jane Doe" .\n',
    )
    assert moved != text
    path.write_text(moved)
    assert validate_root(mini_root).conforms
    # Described nowhere: the founder is not a person.
    path.write_text(moved.replace('person:jane-doe a ftg:Person ; ftg:name "Jane Doe" .\n', ""))
    report = validate_root(mini_root)
    assert [(v.focus_node, v.result_path, v.constraint_component) for v in report.violations] == [
        (ACME, "ftg:founder", "sh:ClassConstraintComponent")
    ]


def test_sparql_constraints_run_and_see_derived_mentions(mini_root: Path) -> None:
    # An organisation declared only in the ontology is mentioned by no article.
    onto = mini_root / "ontology" / "ftg.ttl"
    onto.write_text(
        onto.read_text()
        + "\n<https://w3id.org/ftgraph/id/organisation/ghost> a ftg:Organisation ;\n"
        + '    ftg:name "Ghost" .\n'
    )
    report = validate_root(mini_root)
    assert [(v.focus_node, v.message) for v in report.violations] == [
        (
            "https://w3id.org/ftgraph/id/organisation/ghost",
            "Entity is not stated by any source article",
        )
    ]
    [v] = report.violations
    assert v.constraint_component == "sh:SPARQLConstraintComponent"
    assert v.location is not None and v.location.endswith("ontology/ftg.ttl:31")


def test_warnings_do_not_break_conformance(mini_root: Path) -> None:
    (mini_root / "shapes" / "advice.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix ftg: <https://w3id.org/ftgraph/ontology/> .\n"
        "<https://w3id.org/ftgraph/shapes/Advice> a sh:NodeShape ; sh:targetClass ftg:Person ;\n"
        "  sh:property [ sh:path ftg:memberOf ; sh:maxCount 0 ; sh:severity sh:Warning ] .\n"
    )
    report = validate_root(mini_root)
    assert report.conforms
    assert [v.severity for v in report.violations] == ["Warning"]
    assert format_report(report).endswith(": conforms (1 warning)")


def test_locate_matches_whole_names_only(mini_root: Path) -> None:
    path = mini_root / "data" / "organisations.trig"
    path.write_text(
        "# organisation:acme-2 and organisation:acme in a comment\n"
        + path.read_text()
        + 'GRAPH src:launch-2024 { organisation:acme-2 ftg:name "Acme 2" . }\n'
        + f'GRAPH src:launch-2024 {{ <{ACME}-3> ftg:name "Acme 3" . }}\n'
    )
    files = load_inputs(mini_root).files
    assert (locate(ACME, files) or "").endswith("organisations.trig:9")
    assert (locate(ACME + "-2", files) or "").endswith("organisations.trig:23")
    assert (locate(ACME + "-3", files) or "").endswith("organisations.trig:24")
    assert locate("https://w3id.org/ftgraph/id/organisation/nowhere", files) is None
    # Data files are searched before the ontology.
    assert (locate("https://w3id.org/ftgraph/ontology/Startup", files) or "").endswith(
        "organisations.trig:9"
    )


def test_format_violation_without_location_or_path() -> None:
    v = Violation(ACME, None, "bad", "ftgsh:S", "Info", "sh:SPARQLConstraintComponent", None)
    assert format_violation(v) == f"Info: <{ACME}>: bad [ftgsh:S, sh:SPARQLConstraintComponent]"
    report = ValidationReport(True, [v], 3, 10)
    assert format_report(report).splitlines()[-1] == "3 files, 10 triples: conforms (1 info)"
