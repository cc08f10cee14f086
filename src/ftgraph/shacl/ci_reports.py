"""A validation report in the forms CI tools read: JSON, SARIF 2.1.0, JUnit XML, GitHub annotations.

Each is a plain function of a :class:`~ftgraph.shacl.report.ValidationReport`; the text form stays
:func:`~ftgraph.shacl.report.format_report`. Results keep the ``file:line`` of the data they concern.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from xml.etree import ElementTree as ET

from ftgraph import __version__
from ftgraph.graph.sources import InputError, display_path
from ftgraph.shacl.report import ValidationReport, Violation, format_report, summary

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SARIF_VERSION = "2.1.0"
SHACL_SPEC = "https://www.w3.org/TR/shacl/"
INFORMATION_URI = "https://w3id.org/ftgraph/"
_LEVEL = {"Violation": "error", "Warning": "warning", "Info": "note"}
"""SARIF 2.1.0 §3.27.10 ``level`` of each SHACL severity."""
_COMMAND = {"Violation": "error", "Warning": "warning", "Info": "notice"}
"""GitHub workflow command of each SHACL severity."""


def _where(v: Violation) -> tuple[str, int] | None:
    """``(file, line)`` of a result, when it was located in the inputs."""
    if v.location is None:
        return None
    file, _, line = v.location.rpartition(":")
    return (file, int(line)) if file and line.isdigit() else None


def rule_id(v: Violation) -> str:
    """One rule per shape constraint: the shape and its constraint component."""
    return f"{v.source_shape} / {v.constraint_component}"


def _component_anchor(component: str) -> str:
    """The SHACL spec's section of a core component (``sh:MinCountConstraintComponent`` → …#MinCount…)."""
    local = component.rpartition(":")[2].rpartition("#")[2].strip("<>")
    return SHACL_SPEC + "#" + local if local.endswith("ConstraintComponent") else SHACL_SPEC


def _text_line(v: Violation) -> str:
    if not v.focus_node:
        return v.message
    path = f" {v.result_path}" if v.result_path else ""
    return f"<{v.focus_node}>{path}: {v.message}"


# --- JSON ------------------------------------------------------------------------------------


def to_json(report: ValidationReport) -> str:
    """The report as one JSON document (results with ``file`` and ``line`` split out)."""
    results = []
    for v in report.violations:
        where = _where(v)
        results.append(
            {
                **asdict(v),
                "file": where[0] if where else None,
                "line": where[1] if where else None,
                "rule": rule_id(v),
            }
        )
    doc = {
        "conforms": report.conforms,
        "files": report.files,
        "triples": report.triples,
        "summary": summary(report),
        "results": results,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2)


# --- SARIF 2.1.0 -----------------------------------------------------------------------------


def to_sarif(report: ValidationReport) -> str:
    """A SARIF 2.1.0 log: one run, a rule per shape constraint, a region (file, line) per result.

    Paths are relative to the validated root (``%SRCROOT%``), which GitHub code scanning maps to the
    repository when the root is its top.
    """
    rules: dict[str, int] = {}
    rule_objects: list[dict[str, object]] = []
    results: list[dict[str, object]] = []
    for v in report.violations:
        rid = rule_id(v)
        if rid not in rules:
            rules[rid] = len(rule_objects)
            rule_objects.append(
                {
                    "id": rid,
                    "name": v.constraint_component.rpartition(":")[2] or v.constraint_component,
                    "shortDescription": {"text": f"{v.constraint_component} of {v.source_shape}"},
                    "helpUri": _component_anchor(v.constraint_component),
                    "defaultConfiguration": {"level": _LEVEL.get(v.severity, "warning")},
                    "properties": {"shape": v.source_shape, "component": v.constraint_component},
                }
            )
        result: dict[str, object] = {
            "ruleId": rid,
            "ruleIndex": rules[rid],
            "level": _LEVEL.get(v.severity, "warning"),
            "message": {"text": _text_line(v)},
            "properties": {"focusNode": v.focus_node, "resultPath": v.result_path},
        }
        where = _where(v)
        if where is not None:
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": where[0], "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": where[1]},
                    },
                    "logicalLocations": [{"fullyQualifiedName": v.focus_node, "kind": "resource"}],
                }
            ]
        results.append(result)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "ftgraph validate",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rule_objects,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": "./"}},
                "results": results,
                "invocations": [{"executionSuccessful": True}],
                "properties": {"conforms": report.conforms, "summary": summary(report)},
            }
        ],
    }
    return json.dumps(log, ensure_ascii=False, indent=2)


# --- JUnit XML -------------------------------------------------------------------------------


def to_junit(report: ValidationReport) -> str:
    """JUnit XML (GitLab, Jenkins): a violation is a failed test case, a warning or info a passing one.

    A conforming report without results is one passing case, so the suite is never empty.
    """
    failures = sum(v.severity == "Violation" for v in report.violations)
    suites = ET.Element("testsuites", name="ftgraph validate")
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="ftgraph validate",
        tests=str(max(1, len(report.violations))),
        failures=str(failures),
        errors="0",
        skipped="0",
    )
    for v in report.violations:
        file, line = _where(v) or ("", 0)
        case = ET.SubElement(
            suite,
            "testcase",
            classname=v.source_shape,
            name=f"{v.focus_node} {v.result_path or ''}".strip(),
            file=file,
            line=str(line) if line else "",
        )
        text = f"{v.location or '(no location)'}: {v.severity}: {_text_line(v)} [{rule_id(v)}]"
        if v.severity == "Violation":
            ET.SubElement(
                case, "failure", message=v.message, type=v.constraint_component
            ).text = text
        else:
            ET.SubElement(case, "system-out").text = text
    if not report.violations:
        ET.SubElement(suite, "testcase", classname="ftgraph validate", name="conforms")
    ET.SubElement(suite, "system-out").text = summary(report)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


# --- GitHub workflow commands ----------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(report: ValidationReport) -> str:
    """``::error file=…,line=…,title=…::message`` per result (pull-request annotations), then the summary."""
    lines = []
    for v in report.violations:
        props = []
        where = _where(v)
        if where is not None:
            props += [f"file={_escape_property(where[0])}", f"line={where[1]}"]
        props.append(f"title={_escape_property(rule_id(v))}")
        command = _COMMAND.get(v.severity, "warning")
        lines.append(f"::{command} {','.join(props)}::{_escape_data(_text_line(v))}")
    lines.append(summary(report))
    return "\n".join(lines)


def input_error_report(err: InputError) -> ValidationReport:
    """An input that does not parse, as a non-conforming report, so CI tools show it at its line."""
    v = Violation(
        focus_node="",
        result_path=None,
        message=f"column {err.column}: {err.message}",
        source_shape="input syntax",
        severity="Violation",
        constraint_component="syntax error",
        location=f"{display_path(err.path)}:{err.line}",
    )
    return ValidationReport(conforms=False, violations=[v], files=1)


REPORT_FORMATS: dict[str, Callable[[ValidationReport], str]] = {
    "text": format_report,
    "json": to_json,
    "sarif": to_sarif,
    "junit": to_junit,
    "github": to_github,
}
"""``ftgraph validate --format``: each name and its renderer."""
