"""Twin valid and invalid fixtures for every shape of ``shapes/``, and checks of the checkers.

Each invalid fixture declares, in its header, the exact results it must produce::

    # Expect: <focus> | <result path or -> | <constraint component> | <source shape> [| <severity>]
    # Detail: the same fields, for a nested result (sh:detail) of a failed sh:node

Terms are prefixed names of ``docs/prefixes.ttl`` or ``<IRIs>``; ``_:`` stands for a blank-node focus,
``^p`` for an inverse path, and ``Parent[path]`` for the anonymous property shape of node shape ``Parent`` on
``path``. Severity defaults to ``sh:Violation``. The test compares multisets of (focus, path, component, shape,
severity), so a fixture cannot pass by failing for the wrong reason.

The shapes graph is ``shapes/*.ttl`` + ``ontology/*.ttl``; the data graph is the fixture + ``ontology/*.ttl`` (so
``sh:targetClass`` follows ``rdfs:subClassOf`` without inference). The data graph is an in-memory pyoxigraph
store, which pyshacl supports natively: SPARQL-based constraints then run in Oxigraph, about ten times faster
than in rdflib. ``test_sparql_constraints_agree_with_rdflib`` re-runs the fixtures that exercise SPARQL
constraints on an rdflib graph, the engine ``ftgraph validate`` uses, and requires the same results.

Guards: both folders are non-empty; every node shape and every property shape with a sh:message is the source
of some expected result; every constraint parameter of every reportable shape causes some expected result;
``shapes/`` passes pySHACL's meta-SHACL; the ontology passes ``ontology-meta-shapes.ttl``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from rdflib.namespace import RDF, SH
from rdflib.term import BNode, Node, URIRef

from ftgraph.shacl.report import format_violation
from ftgraph.shacl.validate import run_pyshacl, validate_root

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
VALID_DIR = HERE / "valid"
INVALID_DIR = HERE / "invalid"
VALID = sorted(VALID_DIR.glob("*.ttl"))
INVALID = sorted(INVALID_DIR.glob("*.ttl"))
SHAPE_FILES = sorted((REPO / "shapes").glob("*.ttl"))
ONTOLOGY_FILES = sorted((REPO / "ontology").glob("*.ttl"))
META_SHAPES = HERE / "ontology-meta-shapes.ttl"

FIXTURE_NAME = re.compile(r"[a-z]+(-[a-z0-9]+)+\.ttl")
FIXTURE_CLASSES = {
    "accelerator": "ftg:Accelerator",
    "application": "ftg:LabelApplication",
    "award": "ftg:LabelAward",
    "concept": "skos:Concept",
    "event": "ftg:Event",
    "label": "ftg:Label",
    "membership": "ftg:Membership",
    "observation": "ftg:Observation",
    "organisation": "ftg:Organisation",
    "person": "ftg:Person",
    "place": "ftg:Place",
    "post": "ftg:Post",
    "programme": "ftg:AcceleratorProgramme",
    "prize": "ftg:Prize",
    "project": "ftg:Project",
    "source": "ftg:SourceDocument",
}
"""First word of a fixture's file name -> the class whose shape it exercises."""

ANY_BLANK = "_:"
NO_PATH = "-"

KNOWN_DEFECTS: dict[str, str] = {}
"""Node shapes whose results carry a message about another rule; one line each, reported to the lead."""

FIXTURE_DEFECTS: dict[str, str] = {}
"""Fixtures that show a defect of ``shapes/`` (strict xfail until the shape is fixed); one line each."""


# --- terms -----------------------------------------------------------------------------------------


def _read_prefixes() -> dict[str, str]:
    text = (REPO / "docs" / "prefixes.ttl").read_text(encoding="utf-8")
    return dict(re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", text))


PREFIXES = _read_prefixes()
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def expand(token: str) -> str:
    """Full IRI of ``prefix:local`` or ``<iri>``; ``^`` (inverse), ``_:`` and ``-`` are kept as markers."""
    token = token.strip()
    if token in (ANY_BLANK, NO_PATH):
        return token
    if token.startswith("^"):
        return "^" + expand(token[1:])
    if token.startswith("<") and token.endswith(">"):
        return token[1:-1]
    shape = re.fullmatch(r"(.+?)\[(.+)\]", token)
    if shape:
        return f"{expand(shape[1])}[{expand(shape[2])}]"
    prefix, sep, local = token.partition(":")
    if not sep or prefix not in PREFIXES:
        raise ValueError(f"{token!r} is neither <iri> nor a prefixed name of docs/prefixes.ttl")
    return PREFIXES[prefix] + local


def compact(term: str) -> str:
    """Inverse of :func:`expand`, for readable failure messages."""
    if term in (ANY_BLANK, NO_PATH):
        return term
    if term.startswith("^"):
        return "^" + compact(term[1:])
    shape = re.fullmatch(r"(.+?)\[(.+)\]", term)
    if shape:
        return f"{compact(shape[1])}[{compact(shape[2])}]"
    for prefix, ns in _BY_LENGTH:
        if term.startswith(ns) and re.fullmatch(r"[\w-]+", term[len(ns) :]):
            return f"{prefix}:{term[len(ns) :]}"
    return f"<{term}>"


class Result(NamedTuple):
    """One validation result, as comparable strings (full IRIs)."""

    focus: str
    path: str
    component: str
    shape: str
    severity: str = str(SH.Violation)

    def __str__(self) -> str:
        fields = [self.focus, self.path, self.component, self.shape]
        if self.severity != str(SH.Violation):
            fields.append(self.severity)
        return " | ".join(compact(f) for f in fields)


def parse_result(line: str) -> Result:
    """``focus | path | component | shape [| severity]`` -> :class:`Result`."""
    fields = [f.strip() for f in line.split("|")]
    if len(fields) not in (4, 5):
        raise ValueError(f"expected 4 or 5 '|'-separated fields: {line!r}")
    return Result(*(expand(f) for f in fields))


# --- shapes and fixtures ---------------------------------------------------------------------------


@cache
def shapes_only() -> rdflib.Graph:
    """``shapes/*.ttl`` alone."""
    g = rdflib.Graph()
    for f in SHAPE_FILES:
        g.parse(f, format="turtle")
    return g


@cache
def shapes_graph() -> rdflib.Graph:
    """The shapes graph of every validation here: ``shapes/*.ttl`` + ``ontology/*.ttl``."""
    g = rdflib.Graph()
    for f in [*SHAPE_FILES, *ONTOLOGY_FILES]:
        g.parse(f, format="turtle")
    return g


@cache
def ontology_quads() -> tuple[ox.Quad, ...]:
    """``ontology/*.ttl`` as quads of the default graph."""
    return tuple(q for f in ONTOLOGY_FILES for q in ox.parse(path=f, format=ox.RdfFormat.TURTLE))


def shape_key(shape: Node, shapes: rdflib.Graph, report: rdflib.Graph | None = None) -> str:
    """A named shape's IRI; an anonymous property shape as ``<parent IRI>[<path>]``."""
    if isinstance(shape, URIRef):
        return str(shape)
    parent = next(iter(shapes.subjects(SH.property, shape)), None)
    path = shapes.value(shape, SH.path)
    parent_key = str(parent) if isinstance(parent, URIRef) else ANY_BLANK
    return f"{parent_key}[{path_key(path, shapes if report is None else report)}]"


def path_key(path: Node | None, graph: rdflib.Graph) -> str:
    """``-`` for no path, the IRI of a predicate path, ``^IRI`` for an inverse path."""
    if path is None:
        return NO_PATH
    if isinstance(path, URIRef):
        return str(path)
    inverse = graph.value(path, SH.inversePath)
    if isinstance(inverse, URIRef):
        return "^" + str(inverse)
    raise AssertionError(f"unsupported property path {path!r}: extend path_key()")


def _result(node: Node, report: rdflib.Graph, shapes: rdflib.Graph) -> Result:
    focus = report.value(node, SH.focusNode)
    shape = report.value(node, SH.sourceShape)
    assert focus is not None and shape is not None
    return Result(
        focus=ANY_BLANK if isinstance(focus, BNode) else str(focus),
        path=path_key(report.value(node, SH.resultPath), report),
        component=str(report.value(node, SH.sourceConstraintComponent)),
        shape=shape_key(shape, shapes),
        severity=str(report.value(node, SH.resultSeverity)),
    )


def _details(node: Node, report: rdflib.Graph) -> Iterator[Node]:
    for d in report.objects(node, SH.detail):
        yield d
        yield from _details(d, report)


@dataclass(frozen=True)
class Outcome:
    """What pyshacl reported for one fixture."""

    results: Counter[Result]
    details: Counter[Result]
    messages: dict[Result, list[str]]
    """Top-level result -> its sh:resultMessage values (first result of each key)."""


def outcome(report: rdflib.Graph) -> Outcome:
    """Top-level and nested results of a pyshacl report graph."""
    shapes = shapes_graph()
    top = list(report.objects(None, SH.result))
    results = Counter(_result(r, report, shapes) for r in top)
    details = Counter(_result(d, report, shapes) for r in top for d in _details(r, report))
    messages: dict[Result, list[str]] = {}
    for r in top:
        messages.setdefault(
            _result(r, report, shapes), sorted(map(str, report.objects(r, SH.resultMessage)))
        )
    return Outcome(results, details, messages)


def _pyshacl(data: Any, shacl: rdflib.Graph, use_shapes: list[str] | None = None) -> rdflib.Graph:
    """pyshacl exactly as ``ftgraph validate`` runs it; ``data`` is an rdflib Graph or a pyoxigraph Store."""
    return run_pyshacl(data, shacl, use_shapes=use_shapes)


def fixture_store(fixture: Path) -> ox.Store:
    """Fixture + ontology in the default graph of an in-memory pyoxigraph store."""
    store = ox.Store()
    store.extend(ontology_quads())
    store.extend(ox.parse(path=fixture, format=ox.RdfFormat.TURTLE))
    return store


def validate_with_oxigraph(fixture: Path, use_shapes: list[str] | None = None) -> Outcome:
    """Validate fixture + ontology (a pyoxigraph store) against shapes + ontology."""
    return outcome(_pyshacl(fixture_store(fixture), shapes_graph(), use_shapes))


@cache
def fixture_report(fixture: Path) -> rdflib.Graph:
    """pyshacl's report graph for fixture + ontology with every shape, cached per file (the SPARQL
    engine's parity test compares against it too)."""
    return _pyshacl(fixture_store(fixture), shapes_graph())


def validate_with_rdflib(fixture: Path, use_shapes: list[str] | None = None) -> Outcome:
    """The same validation on an rdflib graph, as ``ftgraph.shacl.validate`` runs it."""
    data = rdflib.Graph()
    for f in [*ONTOLOGY_FILES, fixture]:
        data.parse(f, format="turtle")
    return outcome(_pyshacl(data, shapes_graph(), use_shapes))


@cache
def validate_fixture(fixture: Path) -> Outcome:
    """:func:`validate_with_oxigraph` with every shape, cached per file (several tests read it)."""
    return outcome(fixture_report(fixture))


@dataclass(frozen=True)
class Header:
    """The leading comment block of a fixture."""

    first_line: str
    expect: Counter[Result]
    detail: Counter[Result]


@cache
def header(fixture: Path) -> Header:
    """``# Rule:`` line and the ``# Expect:`` / ``# Detail:`` declarations."""
    lines = fixture.read_text(encoding="utf-8").splitlines()
    expect: Counter[Result] = Counter()
    detail: Counter[Result] = Counter()
    for line in lines:
        if not line.startswith("#"):
            break
        kind, _, rest = line[1:].strip().partition(":")
        if kind == "Expect":
            expect[parse_result(rest)] += 1
        elif kind == "Detail":
            detail[parse_result(rest)] += 1
    return Header(lines[0] if lines else "", expect, detail)


def _show(results: Iterable[Result]) -> str:
    return "\n".join(f"    {r}" for r in sorted(results, key=str)) or "    (none)"


def _diff(kind: str, got: Counter[Result], want: Counter[Result]) -> str:
    return (
        f"unexpected {kind}:\n{_show((got - want).elements())}\n"
        f"missing {kind}:\n{_show((want - got).elements())}"
    )


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _fixture_params(paths: list[Path]) -> list[Any]:
    """One param per fixture, a strict xfail for those of :data:`FIXTURE_DEFECTS`."""
    return [
        pytest.param(
            p,
            id=p.stem,
            marks=[pytest.mark.xfail(reason=FIXTURE_DEFECTS[p.stem], strict=True)]
            if p.stem in FIXTURE_DEFECTS
            else [],
        )
        for p in paths
    ]


# --- the fixtures themselves -----------------------------------------------------------------------


def test_fixture_folders_are_not_empty() -> None:
    """Guard: an empty folder would make every parametrised test below vanish silently."""
    assert VALID, f"no fixtures in {VALID_DIR}"
    assert INVALID, f"no fixtures in {INVALID_DIR}"


@pytest.mark.parametrize("fixture", VALID + INVALID, ids=_ids(VALID + INVALID))
def test_fixture_is_well_formed(fixture: Path) -> None:
    """``<class>-<property>-<defect>.ttl``, a ``# Rule:`` first line, and expectations only when invalid."""
    assert FIXTURE_NAME.fullmatch(fixture.name), (
        f"{fixture.name}: name is not <class>-<property>-<defect>.ttl"
    )
    assert fixture.name.split("-")[0] in FIXTURE_CLASSES, f"{fixture.name}: unknown class word"
    h = header(fixture)
    assert h.first_line.startswith("# Rule: "), f"{fixture.name}: first line must be '# Rule: …'"
    if fixture.parent == VALID_DIR:
        assert not h.expect and not h.detail, f"{fixture.name}: a valid fixture expects no result"
    else:
        assert h.expect, f"{fixture.name}: an invalid fixture declares its results with '# Expect:'"


@pytest.mark.parametrize("fixture", _fixture_params(VALID))
def test_valid_fixture_conforms(fixture: Path) -> None:
    """A valid fixture produces no result at all (an Info belongs in an invalid fixture, with its severity)."""
    got = validate_fixture(fixture)
    assert not got.results, f"{fixture.name} should conform:\n{_show(got.results.elements())}"


@pytest.mark.parametrize("fixture", _fixture_params(INVALID))
def test_invalid_fixture_gives_exactly_its_expected_results(fixture: Path) -> None:
    """The results are exactly the ``# Expect:`` lines, and nested results exactly the ``# Detail:`` lines."""
    want = header(fixture)
    got = validate_fixture(fixture)
    assert got.results == want.expect, (
        f"{fixture.name}: {_diff('results', got.results, want.expect)}"
    )
    assert got.details == want.detail, (
        f"{fixture.name}: {_diff('details', got.details, want.detail)}"
    )


SPARQL_COMPONENT = str(SH.SPARQLConstraintComponent)
SPARQL_FIXTURES = [
    f for f in INVALID if any(r.component == SPARQL_COMPONENT for r in header(f).expect)
]


@pytest.mark.parametrize("fixture", SPARQL_FIXTURES, ids=_ids(SPARQL_FIXTURES))
def test_sparql_constraints_agree_with_rdflib(fixture: Path) -> None:
    """Oxigraph (used here for speed) and rdflib (used by ``ftgraph validate``) agree on SPARQL constraints.

    Both runs use pyshacl's ``use_shapes`` with the node shapes holding the SPARQL constraints, because rdflib
    re-parses each SPARQL query per focus node, which is slow over the ~60 concepts of the ontology. Note that
    ``use_shapes`` also skips named property shapes and sh:node, so only the node shapes' own constraints and
    anonymous property shapes are compared here; the full comparison is the fixture test above.
    """
    shapes = sorted({r.shape for r in header(fixture).expect if r.component == SPARQL_COMPONENT})
    fast = validate_with_oxigraph(fixture, shapes)
    slow = validate_with_rdflib(fixture, shapes)
    assert fast.results, "the SPARQL constraint did not fire"
    assert fast.results == slow.results, _diff(
        "results (oxigraph vs rdflib)", fast.results, slow.results
    )
    assert fast.details == slow.details, _diff(
        "details (oxigraph vs rdflib)", fast.details, slow.details
    )


def test_sparql_fixtures_exist() -> None:
    """Guard for the test above: each SPARQL-based constraint has fixtures."""
    assert len(SPARQL_FIXTURES) >= sum(1 for _ in shapes_only().subject_objects(SH.sparql))


# --- coverage: no shape that no fixture can make fail ----------------------------------------------

CONSTRAINT_PARAMETERS: dict[URIRef, str] = {
    SH.minCount: "MinCount",
    SH.maxCount: "MaxCount",
    SH["class"]: "Class",
    SH.datatype: "Datatype",
    SH.nodeKind: "NodeKind",
    SH.pattern: "Pattern",
    SH.languageIn: "LanguageIn",
    SH.uniqueLang: "UniqueLang",
    SH.minLength: "MinLength",
    SH.maxLength: "MaxLength",
    SH.minInclusive: "MinInclusive",
    SH.maxInclusive: "MaxInclusive",
    SH.minExclusive: "MinExclusive",
    SH.maxExclusive: "MaxExclusive",
    SH.lessThan: "LessThan",
    SH.lessThanOrEquals: "LessThanOrEquals",
    SH.equals: "Equals",
    SH.disjoint: "Disjoint",
    SH.hasValue: "HasValue",
    SH["in"]: "In",
    SH.node: "Node",
    SH["not"]: "Not",
    SH["and"]: "And",
    SH["or"]: "Or",
    SH.xone: "Xone",
    SH.qualifiedMinCount: "QualifiedMinCount",
    SH.qualifiedMaxCount: "QualifiedMaxCount",
    SH.closed: "Closed",
    SH.sparql: "SPARQL",
}
"""Constraint parameter -> the local name (before ``ConstraintComponent``) of its component."""


def reportable_shapes() -> dict[str, Node]:
    """Shapes whose results reach a report: node shapes, and the property shapes they list."""
    g = shapes_only()
    out: dict[str, Node] = {}
    for node_shape in g.subjects(RDF.type, SH.NodeShape):
        out[shape_key(node_shape, g)] = node_shape
        for prop in g.objects(node_shape, SH.property):
            out[shape_key(prop, g)] = prop
    for prop in g.subjects(RDF.type, SH.PropertyShape):
        out[shape_key(prop, g)] = prop
    return out


def expected_everywhere() -> list[Result]:
    """Every ``# Expect:`` and ``# Detail:`` result of every invalid fixture."""
    return [r for f in INVALID for c in (header(f).expect, header(f).detail) for r in c.elements()]


def test_anonymous_property_shapes_are_unambiguous() -> None:
    """``Parent[path]`` names one property shape (else the fixtures could not tell them apart)."""
    g = shapes_only()
    keys = Counter(
        shape_key(p, g)
        for s in g.subjects(RDF.type, SH.NodeShape)
        for p in g.objects(s, SH.property)
        if isinstance(p, BNode)
    )
    assert [k for k, n in keys.items() if n > 1] == []


def test_every_shape_has_an_invalid_fixture() -> None:
    """Each node shape, and each property shape with a sh:message, is the source of an expected result.

    A node shape counts as exercised when it or one of its property shapes is (a node shape with only
    property shapes, like ftgsh:AcceleratorShape, is never itself a result's source).
    """
    g = shapes_only()
    sources = {r.shape for r in expected_everywhere()}
    missing = []
    for node_shape in g.subjects(RDF.type, SH.NodeShape):
        keys = {shape_key(node_shape, g)} | {
            shape_key(p, g) for p in g.objects(node_shape, SH.property)
        }
        if not keys & sources:
            missing.append(shape_key(node_shape, g))
    for key, shape in reportable_shapes().items():
        if g.value(shape, SH.message) is not None and key not in sources:
            missing.append(key)
    assert sorted(map(compact, missing)) == []


def test_every_constraint_has_an_invalid_fixture() -> None:
    """Each constraint of each reportable shape is the cause of at least one expected result."""
    g = shapes_only()
    covered = {(r.shape, r.component) for r in expected_everywhere()}
    missing = []
    for key, shape in reportable_shapes().items():
        for parameter, component in CONSTRAINT_PARAMETERS.items():
            if (shape, parameter, None) in g and (
                parameter != SH.uniqueLang or g.value(shape, parameter)
            ):
                component_iri = str(SH[f"{component}ConstraintComponent"])
                if (key, component_iri) not in covered:
                    missing.append(f"{compact(key)} {component}")
    assert sorted(missing) == []


def test_each_fixture_expectation_names_an_existing_shape() -> None:
    """Typos in ``# Expect:`` lines show up here rather than as a puzzling diff."""
    known = set(reportable_shapes())
    unknown = sorted(
        {compact(r.shape) for r in expected_everywhere()} - {compact(k) for k in known}
    )
    assert unknown == []


def _node_shapes_with_targets() -> list[str]:
    g = shapes_only()
    return sorted(
        compact(str(s))
        for s in g.subjects(RDF.type, SH.NodeShape)
        if any(g.objects(s, p) for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf))
    )


@pytest.mark.parametrize(
    "node_shape",
    [
        pytest.param(s, marks=pytest.mark.xfail(reason=KNOWN_DEFECTS[s], strict=True))
        if s in KNOWN_DEFECTS
        else s
        for s in _node_shapes_with_targets()
    ],
)
def test_results_of_a_node_shape_carry_one_message(node_shape: str) -> None:
    """A node-level result (IRI pattern, sh:or, SPARQL…) says one thing: the message of the rule it breaks."""
    shape = expand(node_shape)
    mixed = {
        str(r): messages
        for f in INVALID
        for r, messages in validate_fixture(f).messages.items()
        if r.shape == shape and len(messages) != 1
    }
    assert mixed == {}


# --- checking the checkers --------------------------------------------------------------------------


def test_shapes_pass_meta_shacl() -> None:
    """pySHACL's SHACL-for-SHACL accepts ``shapes/`` (it raises on a malformed shapes graph)."""
    conforms, _report, text = pyshacl.validate(
        rdflib.Graph(), shacl_graph=shapes_only(), meta_shacl=True, advanced=True, inference="none"
    )
    assert conforms, text


def test_meta_shapes_pass_meta_shacl() -> None:
    """The ontology meta-shapes of this folder are well-formed SHACL too."""
    meta = rdflib.Graph().parse(META_SHAPES, format="turtle")
    conforms, _report, text = pyshacl.validate(
        rdflib.Graph(), shacl_graph=meta, meta_shacl=True, inference="none"
    )
    assert conforms, text


def _meta_results(data: rdflib.Graph) -> set[tuple[str, str, str]]:
    meta = rdflib.Graph().parse(META_SHAPES, format="turtle")
    _conforms, report, _text = pyshacl.validate(data, shacl_graph=meta, inference="none")
    assert isinstance(report, rdflib.Graph)
    return {
        (
            compact(str(report.value(r, SH.focusNode))),
            compact(str(report.value(r, SH.sourceConstraintComponent))),
            compact(shape_key(report.value(r, SH.sourceShape), meta)),  # type: ignore[arg-type]
        )
        for r in report.objects(None, SH.result)
    }


def test_ontology_passes_meta_shapes() -> None:
    """Every ftg: class and property has labels @en and @fr, a comment and rdfs:isDefinedBy the ontology;
    every concept has preferred labels @en and @fr and a definition."""
    data = rdflib.Graph()
    for f in ONTOLOGY_FILES:
        data.parse(f, format="turtle")
    assert sorted(_meta_results(data)) == []


META_PREFIXES = "\n".join(f"@prefix {p}: <{ns}> ." for p, ns in PREFIXES.items())


@pytest.mark.parametrize(
    ("turtle", "expected"),
    [
        pytest.param(
            'ftg:Example a owl:Class ; rdfs:label "example"@en ; rdfs:comment "An example."@en ; '
            "rdfs:isDefinedBy <https://w3id.org/ftgraph/ontology> .",
            (
                "ftg:Example",
                "sh:QualifiedMinCountConstraintComponent",
                "<urn:example:meta:FrenchLabel>",
            ),
            id="class-label-missing-fr",
        ),
        pytest.param(
            'ftg:example a owl:ObjectProperty ; rdfs:label "example"@en , "exemple"@fr ; '
            "rdfs:isDefinedBy <https://w3id.org/ftgraph/ontology> .",
            ("ftg:example", "sh:MinCountConstraintComponent", "<urn:example:meta:Comment>"),
            id="property-comment-missing",
        ),
        pytest.param(
            'ftg:example a owl:DatatypeProperty ; rdfs:label "example"@en , "exemple"@fr ; '
            'rdfs:comment "An example."@en ; rdfs:isDefinedBy <http://schema.org/> .',
            ("ftg:example", "sh:HasValueConstraintComponent", "<urn:example:meta:DefinedBy>"),
            id="property-defined-elsewhere",
        ),
        pytest.param(
            'kind:example a skos:Concept ; skos:prefLabel "example"@en , "exemple"@fr .',
            (
                "kind:example",
                "sh:MinCountConstraintComponent",
                "<urn:example:meta:ConceptShape>[skos:definition]",
            ),
            id="concept-definition-missing",
        ),
    ],
)
def test_meta_shapes_can_fail(turtle: str, expected: tuple[str, str, str]) -> None:
    """Each meta-shape catches the defect it is for, and only that one."""
    data = rdflib.Graph().parse(data=f"{META_PREFIXES}\n{turtle}", format="turtle")
    assert _meta_results(data) == {expected}


def test_real_data_conforms() -> None:
    """The committed data conforms to the shapes, through the same entry point as ``ftgraph validate``."""
    report = validate_root(REPO)
    violations = [format_violation(v) for v in report.violations if v.severity == "Violation"]
    assert report.conforms, "\n".join(violations)
