"""The SPARQL engine (SHACL compiled to SPARQL on pyoxigraph) against pyshacl, the reference.

Differential tests on real stores: every fixture of this folder, the curated project, built on-disk stores,
a tiny graph exercising the components ``shapes/`` does not use yet, and the command line. Results are
compared as multisets of (focus, path, shape, component, severity, message).
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import SH
from test_shapes import (
    INVALID,
    REPO,
    VALID,
    fixture_report,
    fixture_store,
    shapes_graph,
    shapes_only,
)

from ftgraph.graph.sources import load_inputs
from ftgraph.shacl.report import Violation, raw_results, render
from ftgraph.shacl.shapes import (
    SUPPORTED_PARAMETERS,
    Shapes,
    UnsupportedShapeError,
    check_supported,
)
from ftgraph.shacl.sparql import evaluate
from ftgraph.shacl.validate import run_pyshacl, validate, validate_store
from ftgraph.shacl.validate import shapes_graph as project_shapes_graph
from ftgraph.store.build import build
from ftgraph.store.reader import open_read_only

Key = tuple[str, str | None, str, str, str, str]


def keys(violations: Iterable[Violation]) -> Counter[Key]:
    """What both engines must agree on, with multiplicity (blank-node ids, which differ between two
    parses of one file, as ``_:``)."""
    return Counter(
        (
            v.focus_node if ":" in v.focus_node else "_:",
            v.result_path,
            v.source_shape,
            v.constraint_component,
            v.severity,
            v.message,
        )
        for v in violations
    )


def pyshacl_violations(data: ox.Store | rdflib.Graph, shapes: rdflib.Graph) -> list[Violation]:
    report = run_pyshacl(data, shapes)
    return render(raw_results(report), report, shapes, [])


@pytest.mark.parametrize("fixture", VALID + INVALID, ids=[p.stem for p in VALID + INVALID])
def test_fixture_parity_with_pyshacl(fixture: Path) -> None:
    """Each fixture (+ ontology) gives exactly pyshacl's results, rendered the same way."""
    report = fixture_report(fixture)
    want = keys(render(raw_results(report), report, shapes_graph(), []))
    got = keys(validate_store(fixture_store(fixture), shapes_graph(), []))
    assert got == want, f"only SPARQL engine: {got - want}\nonly pyshacl: {want - got}"
    if fixture in INVALID:
        assert got, "an invalid fixture must produce results"


def test_project_parity_with_pyshacl() -> None:
    """The curated root: same report (lines, locations, order) from both engines; today 8 infos (the minister article 000 names without a ministry is one)."""
    inputs = load_inputs(REPO)
    fast = validate(inputs, engine="sparql")
    slow = validate(inputs, engine="pyshacl")
    assert fast == slow
    assert fast.conforms
    assert [v.severity for v in fast.violations] == ["Info"] * 8


def test_every_parameter_of_shapes_is_supported() -> None:
    """Every ``sh:`` constraint parameter used in ``shapes/`` is one the SPARQL engine evaluates."""
    g = shapes_only()
    check_supported(Shapes(g))  # raises on anything it would not run
    structural = {
        SH.path, SH.property, SH.message, SH.severity, SH.targetClass, SH.inversePath,
        SH.prefixes, SH.declare, SH.prefix, SH.namespace, SH.select, SH.deactivated,
    }  # fmt: skip
    used = {p for p in g.predicates(None, None) if str(p).startswith(str(SH))} - structural
    assert used - SUPPORTED_PARAMETERS == set()
    assert {SH.xone, SH.qualifiedValueShape, SH.sparql, SH.lessThanOrEquals} <= used


PREFIXES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
"""


@pytest.mark.parametrize(
    ("parameter", "shape"),
    [
        ("sh:equals", "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; sh:equals ex:q ] ."),
        ("sh:closed", "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:closed true ."),
        ("sh:disjoint", "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:or ( [ sh:path ex:p ; sh:disjoint ex:q ] ) ."),
    ],
)  # fmt: skip
def test_unsupported_component_is_refused_by_name(parameter: str, shape: str) -> None:
    """A parameter the compiler does not implement fails loudly, even nested in sh:or; never skipped."""
    shapes = rdflib.Graph().parse(data=PREFIXES + shape, format="turtle")
    store = ox.Store()
    store.add(
        ox.Quad(
            ox.NamedNode("http://example.org/a"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal("x"),
        )
    )
    with pytest.raises(UnsupportedShapeError, match=parameter):
        evaluate(store, shapes)


EXTRA_SHAPES = PREFIXES + """
ex:Targets a sh:NodeShape ; sh:targetNode ex:a ; sh:targetSubjectsOf ex:q ;
    sh:message "targets"@en ;
    sh:property [ sh:path ( ex:p ex:p ) ; sh:minCount 2 ; sh:message "seq"@en ] ,
        [ sh:path [ sh:alternativePath ( ex:p ex:q ) ] ; sh:maxCount 2 ; sh:message "alt"@en ] ,
        [ sh:path [ sh:zeroOrMorePath ex:p ] ; sh:nodeKind sh:BlankNodeOrIRI ; sh:message "star"@en ] ,
        [ sh:path ex:n ; sh:in ( 1 2 ) ; sh:lessThan ex:m ; sh:maxInclusive 5 ; sh:minExclusive 0 ;
          sh:message "numbers"@en ] ,
        [ sh:path ex:s ; sh:minLength 3 ; sh:pattern "^a" ; sh:flags "i" ; sh:message "strings"@en ] ,
        [ sh:path ex:p ; sh:qualifiedValueShape [ sh:path ex:q ; sh:minCount 1 ] ; sh:qualifiedMaxCount 0 ;
          sh:message "qualified"@en ] ,
        [ sh:path ex:p ; sh:not [ sh:class ex:C ] ; sh:message "not"@en ] ,
        [ sh:path ex:p ; sh:and ( [ sh:nodeKind sh:IRI ] [ sh:path ex:q ; sh:maxCount 0 ] ) ; sh:message "and"@en ] ,
        [ sh:path ex:p ; sh:class ex:C ; sh:deactivated true ; sh:message "off"@en ] ;
    sh:sparql [
        sh:message "nested filter {?value}"@en ;
        sh:select "SELECT $this ?value WHERE { { ?value <http://example.org/q> ?o FILTER (?o = $this) } }"
    ] .
ex:C a rdfs:Class .
ex:D rdfs:subClassOf ex:C .
ex:Implicit a rdfs:Class , sh:NodeShape ; sh:property [ sh:path ex:s ; sh:datatype xsd:string ; sh:message "implicit"@en ] .
"""  # fmt: skip

EXTRA_DATA = PREFIXES + """
ex:a ex:p ex:b , ex:c , _:x ; ex:q ex:b ; ex:n 3 , 7 , 0 ; ex:m 4 ; ex:s "abc" , "Ax" , "b" .
ex:b a ex:D ; ex:p ex:c ; ex:q ex:a .
ex:c ex:p ex:a ; ex:s 1 .
ex:e a ex:Implicit ; ex:s "ok" , 2 ; ex:q "lit" .
"""  # fmt: skip


def test_components_beyond_shapes_folder_match_pyshacl() -> None:
    """Targets, complex paths, sh:in/not/and, qualifiedMaxCount, flags, sh:deactivated, implicit class
    targets and a SPARQL constraint whose inner FILTER needs ``$this`` pre-bound
    node by node (a join would leave it unbound there) agree with pyshacl too."""
    shapes = rdflib.Graph().parse(data=EXTRA_SHAPES, format="turtle")
    store = ox.Store()
    store.extend(ox.parse(EXTRA_DATA, format=ox.RdfFormat.TURTLE))
    want = keys(pyshacl_violations(store, shapes))
    got = keys(validate_store(store, shapes, []))
    assert got == want, f"only SPARQL engine: {got - want}\nonly pyshacl: {want - got}"
    components = {k[3] for k in got}
    assert len(components) >= 12, components


def test_ill_typed_literals_fail_sh_datatype_in_both_engines() -> None:
    """Lexical forms that are not of their datatype are violations of sh:datatype."""
    shapes = rdflib.Graph().parse(
        data=PREFIXES
        + 'ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:i ; sh:message "typed"@en ;'
        + ' sh:property [ sh:path ex:i ; sh:datatype xsd:integer ; sh:message "i" ] ,'
        + ' [ sh:path ex:d ; sh:datatype xsd:date ; sh:message "d" ] ,'
        + ' [ sh:path ex:l ; sh:datatype xsd:string ; sh:message "l" ] .',
        format="turtle",
    )
    store = ox.Store()
    store.extend(
        ox.parse(
            PREFIXES
            + 'ex:a ex:i "abc"^^xsd:integer , 5 ; ex:d "2014-13-01"^^xsd:date , "2014-01-01"^^xsd:date ;'
            + ' ex:l "fr"@fr , "plain" .',
            format=ox.RdfFormat.TURTLE,
        )
    )
    got = keys(validate_store(store, shapes, []))
    assert got == keys(pyshacl_violations(store, shapes))
    assert sum(got.values()) == 3


def test_validate_store_on_a_built_project_store(built_store: Path) -> None:
    """The on-disk store's default graph (data + ontology + derived, deduplicated) gives validate()'s report."""
    inputs = load_inputs(REPO)
    store = open_read_only(built_store)
    got = validate_store(store, project_shapes_graph(inputs), inputs.files)
    assert got == validate(inputs).violations
    assert len(got) == 8


def test_validate_store_on_a_built_mini_store(mini_root: Path, tmp_path: Path) -> None:
    """Same on a small root whose store holds a warning (a build refuses violations)."""
    (mini_root / "shapes" / "advice.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix ftg: <https://w3id.org/ftgraph/ontology/> .\n"
        "<https://w3id.org/ftgraph/shapes/Advice> a sh:NodeShape ; sh:targetClass ftg:Organisation ;\n"
        "  sh:property [ sh:path ftg:founder ; sh:maxCount 0 ; sh:severity sh:Warning ;\n"
        '                sh:message "no founders"@en ] .\n'
    )
    build(mini_root, tmp_path / "store")
    inputs = load_inputs(mini_root)
    got = validate_store(
        open_read_only(tmp_path / "store"), project_shapes_graph(inputs), inputs.files
    )
    assert got == validate(inputs).violations == validate(inputs, engine="pyshacl").violations
    assert [(v.severity, v.message) for v in got] == [("Warning", "no founders")]
    assert got[0].location is not None


Cli = Callable[..., subprocess.CompletedProcess[str]]


def test_cli_engines_print_the_same_report(cli: Cli) -> None:
    """``ftgraph validate`` (SPARQL engine by default) and ``--engine pyshacl`` agree line for line."""
    default = cli("validate", "--root", REPO)
    reference = cli("validate", "--root", REPO, "--engine", "pyshacl")
    assert default.returncode == reference.returncode == 0, default.stderr + reference.stderr
    assert default.stdout == reference.stdout
    assert default.stdout.count(": Info: ") == 8


def test_cli_engine_from_environment_is_checked(cli: Cli, mini_root: Path) -> None:
    """``FTGRAPH_VALIDATE_ENGINE`` is read (a bad value is a usage error), and a good one works."""
    bad = cli("validate", "--root", mini_root, env={"FTGRAPH_VALIDATE_ENGINE": "jena"})
    assert bad.returncode == 2 and "validate_engine" in bad.stderr
    ok = cli("validate", "--root", mini_root, env={"FTGRAPH_VALIDATE_ENGINE": "pyshacl"})
    assert ok.returncode == 0, ok.stderr
