"""The SERVICE tokenizer: finds every SERVICE target, ignores the word elsewhere."""

from __future__ import annotations

import pytest

from ftgraph.sparql.analysis import ServiceRefused, analyze_query, check_services, parse_allowlist

ALLOW = parse_allowlist("http://a.example/sparql, http://b.example/sparql")


@pytest.mark.parametrize(
    ("query", "targets"),
    [
        (
            "SELECT * { SERVICE <http://a.example/sparql> { ?s ?p ?o } }",
            ("http://a.example/sparql",),
        ),
        ("select * { service silent <http://x/> {} }", ("http://x/",)),
        (
            "PREFIX e: <http://a.example/> SELECT * { SERVICE e:sparql {} }",
            ("http://a.example/sparql",),
        ),
        ("BASE <http://a.example/> SELECT * { SERVICE <sparql> {} }", ("http://a.example/sparql",)),
        ("SELECT * { SERVICE ?x {} }", (None,)),
        ("SELECT * { SERVICE u:x {} }", (None,)),
        ("SELECT * { ?s ?p '''SERVICE <http://x/> {}''' }", ()),
        ('SELECT * { ?s ?p "a \\" SERVICE <http://x/>" }', ()),
        ("SELECT * { ?s <http://x/SERVICE> ?service } # SERVICE <http://x/>", ()),
        ("SELECT * { ?s ex:SERVICE ?o }", ()),
        ("SELECT * {?a ?b ?c FILTER(?a<?b)SERVICE<http://x/>{}}", ("http://x/",)),
    ],
)
def test_service_targets(query: str, targets: tuple[str | None, ...]) -> None:
    """Targets are resolved with PREFIX/BASE; strings, comments, IRIs and names are skipped."""
    assert analyze_query(query).services == targets


def test_from_detection() -> None:
    """FROM turns off the union default graph; the word inside a string does not."""
    assert analyze_query("SELECT * FROM <http://g/> { ?s ?p ?o }").has_from
    assert not analyze_query("SELECT * { ?s ?p 'from' }").has_from


def test_allowlist() -> None:
    """Only listed endpoints pass; variables never do."""
    check_services(analyze_query("SELECT * { SERVICE <http://b.example/sparql> {} }"), ALLOW)
    for q in ("SELECT * { SERVICE <http://c.example/sparql> {} }", "SELECT * { SERVICE ?e {} }"):
        with pytest.raises(ServiceRefused):
            check_services(analyze_query(q), ALLOW)
