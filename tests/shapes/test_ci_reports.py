"""``ftgraph validate --format json|sarif|junit|github`` on a broken copy of the data (issue 12).

SARIF is checked against the OASIS SARIF 2.1.0 JSON schema (a copy under ``tests/shapes/sarif/``, from
oasis-tcs/sarif-spec ``sarif-2.1/schema/sarif-schema-2.1.0.json``).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from ftgraph.shacl.ci_reports import REPORT_FORMATS, to_github
from ftgraph.shacl.report import ValidationReport, Violation

SCHEMA = json.loads((Path(__file__).parent / "sarif" / "sarif-schema-2.1.0.json").read_text())
BROKEN_FILE = "data/organisations.trig"
Cli = Callable[..., subprocess.CompletedProcess[str]]


def break_data(root: Path) -> int:
    """Beta Labs loses its name (a sh:minCount violation); the line number of its subject."""
    path = root / BROKEN_FILE
    text = path.read_text()
    path.write_text(text.replace('ftg:name "Beta Labs" .', 'ftg:sector "x" .'))
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if "organisation:beta-labs a " in line)


def text_location(cli: Cli, root: Path) -> str:
    r = cli("validate", "--root", ".", cwd=root)
    assert r.returncode == 1, r.stdout + r.stderr
    match = re.match(r"(\S+:\d+): Violation: ", r.stdout)
    assert match, r.stdout
    return match.group(1)


def test_sarif_is_schema_valid_and_points_at_the_broken_line(cli: Cli, mini_root: Path) -> None:
    line = break_data(mini_root)
    r = cli("validate", "--root", ".", "--format", "sarif", cwd=mini_root)
    assert r.returncode == 1, r.stderr
    log = json.loads(r.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    (result,) = [x for x in run["results"] if x["level"] == "error"]
    place = result["locations"][0]["physicalLocation"]
    assert place["artifactLocation"]["uri"] == BROKEN_FILE
    assert place["region"]["startLine"] == line
    assert f"{BROKEN_FILE}:{line}" == text_location(cli, mini_root)
    rule = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["id"] == result["ruleId"] and "MinCount" in rule["id"]
    assert rule["helpUri"] == "https://www.w3.org/TR/shacl/#MinCountConstraintComponent"


def test_sarif_of_conforming_data_has_no_results(cli: Cli, mini_root: Path) -> None:
    r = cli("validate", "--root", ".", "--format", "sarif", cwd=mini_root)
    assert r.returncode == 0, r.stderr
    log = json.loads(r.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert [x for x in log["runs"][0]["results"] if x["level"] == "error"] == []


def test_a_syntax_error_is_a_located_result_and_exit_2(cli: Cli, mini_root: Path) -> None:
    path = mini_root / "data" / "sources.trig"
    path.write_text(path.read_text().replace('"Acme raises funds"@en', '"Acme raises funds"@'))
    r = cli("validate", "--root", ".", "--format", "sarif", cwd=mini_root)
    assert r.returncode == 2
    log = json.loads(r.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    place = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert (place["artifactLocation"]["uri"], place["region"]["startLine"]) == (
        "data/sources.trig",
        14,
    )
    assert r.stderr.startswith("data/sources.trig:14:")


def test_junit_has_a_failed_case_per_violation(cli: Cli, mini_root: Path) -> None:
    line = break_data(mini_root)
    r = cli("validate", "--root", ".", "--format", "junit", cwd=mini_root)
    assert r.returncode == 1
    suite = ET.fromstring(r.stdout).find("testsuite")
    assert suite is not None
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert len(failed) == int(suite.get("failures", "-1")) == 1
    assert (failed[0].get("file"), failed[0].get("line")) == (BROKEN_FILE, str(line))
    assert "MinCount" in (failed[0].find("failure").get("type") or "")  # type: ignore[union-attr]


def test_junit_of_conforming_data_is_one_passing_case(cli: Cli, mini_root: Path) -> None:
    r = cli("validate", "--root", ".", "--format", "junit", cwd=mini_root)
    assert r.returncode == 0
    suite = ET.fromstring(r.stdout).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert len(list(suite.iter("testcase"))) >= 1


def test_github_annotations(cli: Cli, mini_root: Path) -> None:
    line = break_data(mini_root)
    r = cli("validate", "--root", ".", "--format", "github", cwd=mini_root)
    assert r.returncode == 1
    errors = [x for x in r.stdout.splitlines() if x.startswith("::error ")]
    assert len(errors) == 1
    assert errors[0].startswith(f"::error file={BROKEN_FILE},line={line},title=")
    assert "beta-labs" in errors[0].split("::", 2)[2]
    assert r.stdout.splitlines()[-1].endswith("does not conform (1 violation)")


def test_the_hook_gets_annotations_from_the_environment(cli: Cli, mini_root: Path) -> None:
    """``FTGRAPH_VALIDATE_FORMAT=github``: the pre-commit hook's plain ``ftgraph validate`` annotates;
    the flag still wins over the variable."""
    line = break_data(mini_root)
    env = {"FTGRAPH_VALIDATE_FORMAT": "github"}
    r = cli("validate", "--root", ".", env=env, cwd=mini_root)
    assert r.returncode == 1
    assert f"::error file={BROKEN_FILE},line={line}," in r.stdout
    text = cli("validate", "--root", ".", "--format", "text", env=env, cwd=mini_root)
    assert "::error" not in text.stdout
    assert f"{BROKEN_FILE}:{line}: Violation" in text.stdout


def test_json_report(cli: Cli, mini_root: Path) -> None:
    line = break_data(mini_root)
    r = cli("validate", "--root", ".", "--format", "json", cwd=mini_root)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["conforms"] is False
    (v,) = [x for x in doc["results"] if x["severity"] == "Violation"]
    assert (v["file"], v["line"]) == (BROKEN_FILE, line)


def test_an_unknown_format_is_a_usage_error(cli: Cli, mini_root: Path) -> None:
    r = cli("validate", "--root", ".", "--format", "yaml", cwd=mini_root)
    assert r.returncode == 2 and all(name in r.stderr for name in REPORT_FORMATS)


def test_help_names_every_format(cli: Cli) -> None:
    r = cli("validate", "--help")
    assert all(name in r.stdout for name in REPORT_FORMATS)


@pytest.mark.parametrize(("raw", "escaped"), [("a,b:c", "a%2Cb%3Ac"), ("50%", "50%25")])
def test_github_escapes_properties_and_messages(raw: str, escaped: str) -> None:
    """GitHub's workflow-command escaping: ``%``, CR, LF everywhere; ``:`` and ``,`` in properties."""
    v = Violation("http://e/x", None, f"line one\n{raw}", raw, "Warning", "sh:C", f"{raw}.ttl:3")
    out = to_github(ValidationReport(False, [v])).splitlines()[0]
    assert out.startswith(f"::warning file={escaped}.ttl,line=3,title={escaped} / sh%3AC::")
    assert out.endswith("line one%0A" + raw.replace("%", "%25"))
