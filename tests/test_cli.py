"""The ``ftgraph`` console script as users run it: real subprocesses, real stores, exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import rdflib

from ftgraph.sparql.local import LocalQueryError, run_query
from ftgraph.store.reader import open_read_only

Cli = Callable[..., subprocess.CompletedProcess[str]]

ACME = "https://w3id.org/ftgraph/id/organisation/acme"
SELECT = "SELECT ?o WHERE { ?o a <http://xmlns.com/foaf/0.1/Organization> } ORDER BY ?o"
LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
CONSTRUCT = f"CONSTRUCT {{ ?o {LABEL} ?n }} WHERE {{ ?o {LABEL} ?n }}"


def test_validate_ok(cli: Cli, mini_root: Path) -> None:
    r = cli("validate", "--root", mini_root)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"4 files, \d+ triples: conforms\n", r.stdout)


def test_validate_reads_root_from_environment(cli: Cli, mini_root: Path, tmp_path: Path) -> None:
    r = cli("validate", env={"FTGRAPH_ROOT": str(mini_root)}, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "4 files" in r.stdout


def test_validate_failure_exits_1_naming_the_focus_node(cli: Cli, mini_root: Path) -> None:
    path = mini_root / "data" / "organisations.trig"
    path.write_text(path.read_text().replace('ftg:name "Beta Labs" .', 'ftg:sector "x" .'))
    r = cli("validate", "--root", ".", cwd=mini_root)
    assert r.returncode == 1
    first, last = r.stdout.splitlines()
    assert first.startswith("data/organisations.trig:19: Violation: ")
    assert "<https://w3id.org/ftgraph/id/organisation/beta-labs> ftg:name:" in first
    assert "does not conform (1 violation)" in last


def test_syntax_errors_exit_2_with_file_line_column(cli: Cli, mini_root: Path) -> None:
    path = mini_root / "ontology" / "ftg.ttl"
    text = path.read_text().replace("ftg:Company a owl:Class ;", "ftg:Company a owl:Class ;;;)")
    path.write_text(text)
    for args in (("validate",), ("build", "--store", "../store")):
        r = cli(*args, "--root", ".", cwd=mini_root)
        assert r.returncode == 2, r
        assert r.stderr == "ontology/ftg.ttl:18:28: ) is not a valid predicate\n"
    assert not (mini_root.parent / "store").exists()


def test_trig_syntax_error_and_sourceless_triple_exit_2(cli: Cli, mini_root: Path) -> None:
    path = mini_root / "data" / "sources.trig"
    original = path.read_text()
    path.write_text(original.replace('"Acme raises funds"@en', '"Acme raises funds"@'))
    r = cli("validate", "--root", ".", cwd=mini_root)
    assert r.returncode == 2
    assert re.match(r"data/sources\.trig:14:\d+: ", r.stderr), r.stderr
    path.write_text(original + '\nsrc:launch-2024 dcterms:title "Sans source"@fr .\n')
    r = cli("validate", "--root", ".", cwd=mini_root)
    assert r.returncode == 2
    assert r.stderr.startswith("data/sources.trig:18:1: triple outside any GRAPH block"), r.stderr


def test_build_then_query(cli: Cli, mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    base = ("--root", mini_root, "--store", store)
    r = cli("build", *base)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("built ")
    r = cli("build", *base)
    assert r.returncode == 0 and r.stdout.startswith("up to date: ")

    r = cli("query", SELECT, *base)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["results"]["bindings"]
    assert rows[0]["o"]["value"] == ACME
    r = cli("query", CONSTRUCT, "-f", "nt", *base)
    assert f'<{ACME}> {LABEL} "Acme" .' in r.stdout.splitlines()

    r = cli("query", "SELECT ?x WHERE { ?x", *base)
    assert r.returncode == 2
    assert r.stderr.startswith("ftgraph: query: ") and "1:" in r.stderr
    r = cli("query", CONSTRUCT, "--format", "csv", *base)
    assert r.returncode == 2 and "is for SELECT/ASK" in r.stderr
    r = cli("query", SELECT, "--format", "yaml", *base)
    assert r.returncode == 2


def query_bytes(store: Path, query: str, fmt: str | None) -> tuple[str, bytes]:
    out = io.BytesIO()
    kind = run_query(open_read_only(store), query, out, fmt)
    return kind, out.getvalue()


# rdflib's own JSON-LD parser warns about its internals; not ours to fix.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_result_formats(mini_store: Path) -> None:
    kind, body = query_bytes(mini_store, SELECT, None)
    assert kind == "solutions" and json.loads(body)["head"]["vars"] == ["o"]
    assert query_bytes(mini_store, SELECT, "csv")[1].decode().splitlines()[:2] == ["o", ACME]
    assert query_bytes(mini_store, SELECT, "tsv")[1].decode().splitlines()[:2] == [
        "?o",
        f"<{ACME}>",
    ]
    assert b"sparql-results" in query_bytes(mini_store, SELECT, "xml")[1]
    kind, body = query_bytes(mini_store, "ASK { ?s ?p ?o }", None)
    assert kind == "boolean" and json.loads(body)["boolean"] is True
    for fmt, parser in (
        (None, "turtle"),
        ("ttl", "turtle"),
        ("nt", "nt"),
        ("xml", "xml"),
        ("jsonld", "json-ld"),
    ):
        kind, body = query_bytes(mini_store, CONSTRUCT, fmt)
        assert kind == "graph"
        g = rdflib.Graph().parse(data=body, format=parser)
        assert (rdflib.URIRef(ACME), rdflib.RDFS.label, rdflib.Literal("Acme")) in g
    with pytest.raises(LocalQueryError, match="expected"):
        query_bytes(mini_store, "SELECT ?x WHERE { ?x", None)


def test_query_from_file_named_query_stdin_and_env_store(
    cli: Cli, mini_root: Path, mini_store: Path, tmp_path: Path
) -> None:
    rq = tmp_path / "orgs.rq"
    rq.write_text("# title: organisations\n" + SELECT + "\n")
    (mini_root / "queries").mkdir()
    (mini_root / "queries" / "orgs.rq").write_text(SELECT)
    env = {"FTGRAPH_STORE": str(mini_store), "FTGRAPH_ROOT": str(mini_root)}
    for arg in (str(rq), "orgs", "orgs.rq"):
        r = cli("query", arg, "-f", "csv", env=env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.splitlines()[1] == ACME
    # A flag overrides the environment.
    r = cli("query", SELECT, "-f", "csv", "--store", tmp_path / "other", env=env)
    assert r.returncode == 0
    assert (tmp_path / "other").is_symlink(), "query builds a missing store on first use"
    r = subprocess.run(
        [sys.executable, "-m", "ftgraph.cli", "query", "-", "-f", "csv"],
        input=SELECT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    assert r.stdout.splitlines()[1] == ACME


def test_build_of_invalid_data_exits_1_and_keeps_store(
    cli: Cli, mini_root: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    assert cli("build", "--root", mini_root, "--store", store).returncode == 0
    target = store.resolve()
    path = mini_root / "data" / "organisations.trig"
    path.write_text(path.read_text().replace('ftg:name "Beta Labs" .', 'ftg:sector "x" .'))
    r = cli("build", "--root", mini_root, "--store", store)
    assert r.returncode == 1
    assert "beta-labs" in r.stdout
    assert "left unchanged" in r.stderr
    r = cli("query", "ASK {}", "--root", mini_root, "--store", tmp_path / "new")
    assert r.returncode == 1, "query builds on first use, and refuses invalid data the same way"
    assert not (tmp_path / "new").exists()
    assert store.resolve() == target


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli().returncode == 2
    assert cli("frobnicate").returncode == 2
    assert cli("serve", "--port", "notaport").returncode == 2
    r = cli("serve", "--help")
    assert r.returncode == 0
    flags = "--host --port --store --workers --query-timeout --max-query-bytes --cors-origins"
    for flag in (*flags.split(), "--service-allow", "--result-cache-mb", "--log-level", "--root"):
        assert flag in r.stdout


def test_result_cache_size_from_flag_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--result-cache-mb`` mirrors ``FTGRAPH_RESULT_CACHE_MB``; 0 turns the cache off."""
    from ftgraph.cli import build_parser, settings_from_args
    from ftgraph.config import Settings
    from ftgraph.web.caches import _result_cache

    assert Settings().result_cache_mb == 64.0
    monkeypatch.setenv("FTGRAPH_RESULT_CACHE_MB", "0.5")
    settings = settings_from_args(build_parser().parse_args(["serve"]))
    assert settings.result_cache_mb == 0.5
    cache = _result_cache(settings)
    assert cache is not None and cache.max_bytes == 512 * 1024
    off = settings_from_args(build_parser().parse_args(["serve", "--result-cache-mb", "0"]))
    assert off.result_cache_mb == 0.0
    assert _result_cache(off) is None
