"""Integrity rules of ``queries/checks/*.rq``: SPARQL SELECT queries that must return no row.

Each check runs against the store built from the repository (union default graph, as readers query it), and
against a tiny in-memory dataset that breaks the rule, to prove it can fail: the rows it returns there are
exactly the ones listed, so the twin good data in the same dataset is not reported.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from ftgraph.store.reader import open_read_only

REPO = Path(__file__).resolve().parents[1]
CHECKS_DIR = REPO / "queries" / "checks"
CHECKS = sorted(CHECKS_DIR.glob("*.rq"))
PREFIX_BLOCK = (REPO / "docs" / "prefixes.ttl").read_text(encoding="utf-8")
PREFIXES = dict(re.findall(r"@prefix\s+([\w-]*):\s*<([^>]*)>\s*\.", PREFIX_BLOCK))
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))

Row = tuple[str | None, ...]


def show(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str | None:
    """``prefix:local`` for IRIs (prefixes of docs/prefixes.ttl), the lexical form for literals."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        for prefix, ns in _BY_LENGTH:
            if term.value.startswith(ns) and re.fullmatch(r"[\w-]+", term.value[len(ns) :]):
                return f"{prefix}:{term.value[len(ns) :]}"
        return f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def run(store: ox.Store, check: Path) -> list[Row]:
    """The rows of a check, each a tuple over its projected variables (None when unbound), sorted."""
    solutions = store.query(check.read_text(encoding="utf-8"), use_default_graph_as_union=True)
    assert isinstance(solutions, ox.QuerySolutions), f"{check.name} is not a SELECT query"
    variables = solutions.variables
    return sorted((tuple(show(s[v]) for v in variables) for s in solutions), key=repr)


# --- the checks themselves -------------------------------------------------------------------------


def test_checks_folder_is_not_empty() -> None:
    """Guard: no check file, no test."""
    assert CHECKS, f"no *.rq in {CHECKS_DIR}"


@pytest.mark.parametrize("check", CHECKS, ids=[c.stem for c in CHECKS])
def test_check_has_title_and_description(check: Path) -> None:
    """``# title: …`` then ``# description: …``, like the named queries."""
    lines = check.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# title: ") and len(lines[0]) > len("# title: ")
    assert lines[1].startswith("# description: ") and len(lines[1]) > len("# description: ")


@pytest.fixture(scope="module")
def real_store(built_store: Path) -> ox.Store:
    """The store built from the repository, opened read-only as readers do."""
    return open_read_only(built_store)


@pytest.mark.parametrize("check", CHECKS, ids=[c.stem for c in CHECKS])
def test_check_passes_on_the_real_store(check: Path, real_store: ox.Store) -> None:
    """The committed data breaks no integrity rule."""
    rows = run(real_store, check)
    assert rows == [], f"{check.name} ({_title(check)}):\n" + "\n".join(map(str, rows))


def _title(check: Path) -> str:
    return check.read_text(encoding="utf-8").splitlines()[0].removeprefix("# title: ")


# --- proof that each check can fail ----------------------------------------------------------------

SOURCE = """
GRAPH src:example-source {

organisation:example-org a ftg:Organisation ;
    rdfs:label "Organisation d'exemple"@fr .

src:example-source a ftg:SourceDocument ;
    rdfs:label "Article d'exemple"@fr ;
    dcterms:title "Article d'exemple"@fr ;
    dcterms:identifier "000_example" ;
    dcterms:date "2020-01-15"^^xsd:date .

}
"""
"""A described source stating one good organisation; most examples add to it."""

OTHER_SOURCE = """
GRAPH src:other-source {

src:other-source a ftg:SourceDocument ;
    rdfs:label "Autre article"@fr ;
    dcterms:title "Autre article"@fr ;
    dcterms:identifier "001_example" ;
    ftg:dateNote "No printed date."@en ;
    ftg:notAfter "2019-06-14"^^xsd:date .

}
"""

ROLE = """
GRAPH <https://w3id.org/ftgraph/graph/ontology> {

role:example-role a skos:Concept , org:Role ;
    skos:inScheme scheme:role .

}
"""

EXAMPLES: dict[str, tuple[str, list[Row]]] = {
    "altlabel-equals-label": (
        SOURCE
        + """
GRAPH src:example-source {
organisation:example-org skos:altLabel "Organisation d'exemple"@fr , "OrgEx"@fr .
}
""",
        [("organisation:example-org", "Organisation d'exemple")],
    ),
    "application-resulted-in-another-label": (
        SOURCE
        + """
GRAPH src:example-source {
application:good ftg:forLabel label:a ; ftg:resultedIn award:a .
application:wrong ftg:forLabel label:a ; ftg:resultedIn award:b .
award:a ftg:awardedLabel label:a .
award:b ftg:awardedLabel label:b .
}
""",
        [("application:wrong", "label:a", "award:b", "label:b")],
    ),
    "concept-broader-cycle": (
        """
GRAPH <https://w3id.org/ftgraph/graph/ontology> {
kind:a skos:broader kind:b .
kind:b skos:broader kind:a .
kind:c skos:broader kind:a .
}
""",
        [("kind:a",), ("kind:b",)],
    ),
    "dated-after-its-source": (
        SOURCE
        + OTHER_SOURCE
        + """
GRAPH src:example-source {
award:early a ftg:LabelAward ; ftg:date "2020"^^xsd:gYear .
award:late a ftg:LabelAward ; ftg:date "2020-02-01"^^xsd:date .
}
GRAPH src:other-source {
membership:late a ftg:Membership ; ftg:attestedOn "2019-07"^^xsd:gYearMonth .
membership:same-month a ftg:Membership ; ftg:attestedOn "2019-06"^^xsd:gYearMonth .
}
""",
        [
            ("award:late", "2020-02-01", "src:example-source", "2020-01-15"),
            ("membership:late", "2019-07", "src:other-source", "2019-06-14"),
        ],
    ),
    "entity-in-unrelated-classes": (
        """
GRAPH <https://w3id.org/ftgraph/graph/ontology> {
ftg:Accelerator rdfs:subClassOf ftg:Organisation .
ftg:Site rdfs:subClassOf ftg:Place .
ftg:Territory rdfs:subClassOf ftg:Place .
}
GRAPH src:example-source {
organisation:accelerator a ftg:Accelerator , ftg:Organisation .
place:both a ftg:Site , ftg:Territory , ftg:Place .
}
""",
        [("place:both", "ftg:Site", "ftg:Territory")],
    ),
    "entity-without-source": (
        SOURCE
        + """
GRAPH <https://w3id.org/ftgraph/graph/ontology> {
kind:example dcterms:source src:example-source , src:mistyped-source .
}
GRAPH <https://w3id.org/ftgraph/id/source/undescribed> {
organisation:ghost a ftg:Organisation .
}
""",
        [("organisation:ghost",), ("src:mistyped-source",)],
    ),
    "label-award-before-initiative": (
        SOURCE
        + """
GRAPH src:example-source {
award:before a ftg:LabelAward ; ftg:awardedLabel label:a ; ftg:date "2012"^^xsd:gYear .
award:same-year a ftg:LabelAward ; ftg:awardedLabel label:a ; ftg:date "2013-01-01"^^xsd:date .
label:a ftg:partOfInitiative project:initiative .
project:initiative ftg:date "2013"^^xsd:gYear .
}
""",
        [("award:before", "2012", "project:initiative", "2013")],
    ),
    "membership-without-member-of": (
        SOURCE
        + OTHER_SOURCE
        + """
GRAPH src:example-source {
membership:m a ftg:Membership ; ftg:member person:p ; ftg:organisation organisation:example-org .
person:p ftg:memberOf organisation:example-org .
}
GRAPH src:other-source {
membership:m a ftg:Membership ; ftg:member person:p ; ftg:organisation organisation:example-org .
}
""",
        [("membership:m", "person:p", "organisation:example-org", "src:other-source")],
    ),
    "membership-without-role": (
        SOURCE
        + ROLE
        + """
GRAPH src:example-source {
membership:good a ftg:Membership ; ftg:member person:a ; ftg:organisation organisation:example-org ;
    ftg:roleType role:example-role .
membership:no-role a ftg:Membership ; ftg:member person:b ; ftg:organisation organisation:example-org .
membership:untyped-role a ftg:Membership ; ftg:member person:c ; ftg:organisation organisation:example-org ;
    ftg:roleType kind:company .
person:a ftg:memberOf organisation:example-org .
person:d ftg:memberOf organisation:example-org .
}
""",
        [
            ("membership:no-role", "person:b", "organisation:example-org"),
            ("membership:untyped-role", "person:c", "organisation:example-org"),
            (None, "person:d", "organisation:example-org"),
        ],
    ),
    "observation-negative-value": (
        SOURCE
        + """
GRAPH src:example-source {
obs:negative a ftg:Observation ; ftg:value -5.5 .
obs:zero a ftg:Observation ; ftg:value 0.0 .
}
""",
        [("obs:negative", "-5.5")],
    ),
    "observation-percent-over-100": (
        SOURCE
        + """
GRAPH src:example-source {
obs:share a ftg:Observation ; ftg:unit unit:percent ; ftg:value 100.0 .
obs:count a ftg:Observation ; ftg:unit unit:percent ; ftg:value 150.5 .
obs:euros a ftg:Observation ; ftg:unit unit:euro ; ftg:value 150.5 .
}
""",
        [("obs:count", "150.5")],
    ),
    "observation-year-after-its-source": (
        SOURCE
        + OTHER_SOURCE
        + """
GRAPH src:other-source {
obs:measured a ftg:Observation ; ftg:refYear "2020"^^xsd:gYear .
obs:forecast a ftg:Observation ; ftg:refYear "2020"^^xsd:gYear ; ftg:forecast true .
obs:same-year a ftg:Observation ; ftg:refYear "2019"^^xsd:gYear .
}
""",
        [("obs:measured", "2020", "src:other-source", "2019")],
    ),
    "same-entity-different-french-labels": (
        SOURCE
        + OTHER_SOURCE
        + """
GRAPH src:other-source {
organisation:example-org rdfs:label "L'organisation d'exemple"@fr , "Example organisation"@en .
}
""",
        [
            (
                "organisation:example-org",
                "L'organisation d'exemple",
                "src:other-source",
                "Organisation d'exemple",
                "src:example-source",
            )
        ],
    ),
    "source-graph-without-description": (
        SOURCE
        + """
GRAPH src:undescribed {
organisation:example-org rdfs:label "Organisation d'exemple"@fr .
}
GRAPH <https://w3id.org/ftgraph/graph/meta> {
<https://w3id.org/ftgraph/dataset> a <http://rdfs.org/ns/void#Dataset> .
}
""",
        [("src:undescribed",)],
    ),
    "source-identifier-not-unique": (
        SOURCE
        + """
GRAPH src:copy {
src:copy a ftg:SourceDocument ; dcterms:title "Copie"@fr ; dcterms:identifier "000_example" .
}
""",
        [("000_example", "2")],
    ),
    "text-with-stray-whitespace": (
        SOURCE
        + """
GRAPH src:example-source {
organisation:spaced rdfs:label "Organisation "@fr ; skos:altLabel "Org  Ex"@fr ;
    ftg:evidence "ligne\\nsuivante"@fr ; dcterms:identifier "clean" .
}
""",
        [
            ("organisation:spaced", "ftg:evidence", "ligne\nsuivante"),
            ("organisation:spaced", "rdfs:label", "Organisation "),
            ("organisation:spaced", "skos:altLabel", "Org  Ex"),
        ],
    ),
}
"""Check name -> (TriG after the prefix block of docs/prefixes.ttl, the exact rows the check returns)."""


def test_every_check_has_a_failing_example() -> None:
    """Guard: a check without a failing example might never fire; an example without a check is stale."""
    assert sorted(EXAMPLES) == sorted(c.stem for c in CHECKS)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_check_can_fail(name: str) -> None:
    """On data that breaks the rule, the check returns exactly the offending rows."""
    trig, expected = EXAMPLES[name]
    store = ox.Store()
    store.load(PREFIX_BLOCK + trig, format=ox.RdfFormat.TRIG)
    assert run(store, CHECKS_DIR / f"{name}.rq") == sorted(expected, key=repr)
