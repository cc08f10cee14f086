"""A :class:`~ftgraph.review.diff.GraphDiff` as text for the terminal, Markdown for a pull
request (GitHub renders its tables) or JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pyoxigraph as ox

from ftgraph.formats import NTRIPLES
from ftgraph.review.diff import ArticleChange, GraphDiff, QueryChange
from ftgraph.shacl.report import Violation
from ftgraph.vocab import ALL_PREFIXES, compact

SHOWN = 50
"""Statements per article, rows per query and results shown by text and Markdown (JSON has all)."""


def term(t: object, labels: dict[str, str]) -> str:
    """A term as a reader wants it: a prefixed name (with its label), a literal in Turtle style."""
    if isinstance(t, ox.NamedNode):
        name = compact(t.value, ALL_PREFIXES)
        short = name if name != t.value else f"<{t.value}>"
        label = labels.get(t.value)
        return f'{short} "{label}"' if label else short
    if isinstance(t, ox.Literal):
        text = json.dumps(t.value, ensure_ascii=False)
        if t.language:
            return f"{text}@{t.language}"
        if t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            dt = compact(t.datatype.value, ALL_PREFIXES)
            return f"{text}^^{dt if dt != t.datatype.value else '<' + dt + '>'}"
        return text
    return str(t)


def _row_term(nt: str) -> str:
    """A query cell (N-Triples, or "" unbound) as :func:`term` writes it, without labels: the
    query's own columns name things."""
    if not nt:
        return ""
    parsed = next(iter(ox.parse(f"<urn:s> <urn:p> {nt} .".encode(), format=NTRIPLES.rdf)))
    return term(parsed.object, {})


def _graph_name(change: ArticleChange, labels: dict[str, str]) -> str:
    if isinstance(change.graph, ox.DefaultGraph):
        return "default graph"
    name = (
        term(ox.NamedNode(change.graph.value), {})
        if isinstance(change.graph, ox.NamedNode)
        else str(change.graph)
    )
    return f'{name} "{change.title}"' if change.title else name


def _counts(d: GraphDiff) -> list[tuple[str, int, int]]:
    return [
        ("stated quads", d.stated_added, d.stated_removed),
        ("derived quads", d.derived_added, d.derived_removed),
        (
            "named query rows",
            sum(len(q.added) for q in d.queries),
            sum(len(q.removed) for q in d.queries),
        ),
        ("validation results", len(d.appeared), len(d.disappeared)),
    ]


def _more(total: int) -> str:
    return f"… and {total - SHOWN} more (--format json has them all)" if total > SHOWN else ""


def _violation(v: Violation) -> str:
    where = f" ({v.location})" if v.location else ""
    path = f" {compact(v.result_path, ALL_PREFIXES)}" if v.result_path else ""
    return f"{v.severity} {compact(v.focus_node, ALL_PREFIXES)}{path}: {v.message}{where}"


# --------------------------------------------------------------------------------------------
# text
# --------------------------------------------------------------------------------------------


def _text_stated(change: ArticleChange, labels: dict[str, str]) -> list[str]:
    out = ["", _graph_name(change, labels)]
    lines: list[str] = []
    for e in change.entities:
        lines.append(f"  {term(e.entity, labels)}")
        for sign, quads in (("-", e.removed), ("+", e.added)):
            lines += [f"    {sign} {term(x.predicate, {})} {term(x.object, labels)}" for x in quads]
    out += lines[:SHOWN]
    if more := _more(len(lines)):
        out.append(f"  {more}")
    return out


def _text_query(q: QueryChange, labels: dict[str, str]) -> list[str]:
    out = [f"  {q.name} ({q.title}): +{len(q.added)} -{len(q.removed)} rows"]
    if q.error:
        out.append(f"    {q.error}")
    lines = []
    for sign, rows in (("-", q.removed), ("+", q.added)):
        for row in rows:
            cells = " ".join(
                f"?{v}={_row_term(c)}" for v, c in zip(q.variables, row, strict=False) if c
            )
            lines.append(f"    {sign} {cells}")
    out += lines[:SHOWN]
    if more := _more(len(lines)):
        out.append(f"    {more}")
    return out


def to_text(d: GraphDiff) -> str:
    """For the terminal: one line per statement, row or result, ``+`` added and ``-`` removed."""
    out = [f"ftgraph diff {d.a} -> {d.b}"]
    out.append("  ".join(f"{name}: +{plus} -{minus}" for name, plus, minus in _counts(d)))
    if not d.differences:
        out.append("no differences in the built graph, the named queries' answers or validation")
        return "\n".join(out) + "\n"
    for change in d.stated:
        out += _text_stated(change, d.labels)
    if d.derived:
        out += ["", f"derived at build time: +{d.derived_added} -{d.derived_removed}"]
        out += [f"  {term(c.predicate, {})}  +{c.added} -{c.removed}" for c in d.derived]
    if d.queries:
        out += ["", "named queries whose answers change:"]
        for q in d.queries:
            out += _text_query(q, d.labels)
    if d.appeared or d.disappeared:
        out += ["", "validation results:"]
        for sign, results in (("+", d.appeared), ("-", d.disappeared)):
            out += [f"  {sign} {_violation(v)}" for v in results[:SHOWN]]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# Markdown (GitHub-flavoured tables)
# --------------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    """A table cell: pipes escaped, no line breaks, code-free so labels with backticks stay."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def to_markdown(d: GraphDiff) -> str:
    """For a pull-request comment or a job summary."""
    out = [f"### ftgraph diff: `{d.a}` → `{d.b}`", ""]
    out += _table(("", "added", "removed"), ((name, str(p), str(m)) for name, p, m in _counts(d)))
    if not d.differences:
        out += ["", "No differences in the built graph, the named queries' answers or validation."]
        return "\n".join(out) + "\n"
    if d.stated:
        out += ["", "#### Statements, by article and entity"]
        for change in d.stated:
            rows: list[tuple[str, str, str, str]] = []
            for e in change.entities:
                for sign, quads in (("-", e.removed), ("+", e.added)):
                    rows += [
                        (
                            sign,
                            term(e.entity, d.labels),
                            term(q.predicate, {}),
                            term(q.object, d.labels),
                        )
                        for q in quads
                    ]
            out += ["", f"**{_cell(_graph_name(change, d.labels))}**", ""]
            out += _table(("", "entity", "property", "value"), rows[:SHOWN])
            if more := _more(len(rows)):
                out += ["", more]
    if d.derived:
        out += ["", f"#### Derived at build time (+{d.derived_added} -{d.derived_removed})", ""]
        out += _table(
            ("property", "added", "removed"),
            ((term(c.predicate, {}), str(c.added), str(c.removed)) for c in d.derived),
        )
    if d.queries:
        out += ["", "#### Named queries whose answers change"]
        for q in d.queries:
            out += [
                "",
                f"**`{q.name}`**: {_cell(q.title)} (+{len(q.added)} -{len(q.removed)} rows)",
            ]
            if q.error:
                out += ["", f"_{_cell(q.error)}_"]
            rows2 = [("-", *r) for r in q.removed] + [("+", *r) for r in q.added]
            shown = [[sign, *(_row_term(c) for c in cells)] for sign, *cells in rows2[:SHOWN]]
            if q.variables and shown:
                out += ["", *_table(("", *(f"?{v}" for v in q.variables)), shown)]
            if more := _more(len(rows2)):
                out += ["", more]
    if d.appeared or d.disappeared:
        out += ["", "#### Validation results", ""]
        results = [("+", v) for v in d.appeared] + [("-", v) for v in d.disappeared]
        out += _table(
            ("", "severity", "focus", "path", "message", "where"),
            (
                (
                    sign,
                    v.severity,
                    compact(v.focus_node, ALL_PREFIXES),
                    compact(v.result_path, ALL_PREFIXES) if v.result_path else "",
                    v.message,
                    v.location or "",
                )
                for sign, v in results[:SHOWN]
            ),
        )
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def _quad(q: ox.Quad) -> dict[str, str]:
    return {"subject": str(q.subject), "predicate": str(q.predicate), "object": str(q.object)}


def _violation_json(v: Violation) -> dict[str, Any]:
    return {
        "severity": v.severity,
        "focus": v.focus_node,
        "path": v.result_path,
        "message": v.message,
        "shape": v.source_shape,
        "component": v.constraint_component,
        "location": v.location,
    }


def _query_json(q: QueryChange) -> dict[str, Any]:
    return {
        "name": q.name,
        "title": q.title,
        "variables": q.variables,
        "added": [dict(zip(q.variables, r, strict=True)) for r in q.added],
        "removed": [dict(zip(q.variables, r, strict=True)) for r in q.removed],
        "error": q.error,
    }


def to_json(d: GraphDiff) -> str:
    """Everything, terms in N-Triples syntax, labels by IRI."""
    body = {
        "a": {"revision": d.a, "version": d.version_a},
        "b": {"revision": d.b, "version": d.version_b},
        "differences": d.differences,
        "stated": {
            "added": d.stated_added,
            "removed": d.stated_removed,
            "graphs": [
                {
                    "graph": None if isinstance(c.graph, ox.DefaultGraph) else c.graph.value,
                    "title": c.title,
                    "entities": [
                        {
                            "entity": str(e.entity),
                            "label": e.label,
                            "added": [_quad(q) for q in e.added],
                            "removed": [_quad(q) for q in e.removed],
                        }
                        for e in c.entities
                    ],
                }
                for c in d.stated
            ],
        },
        "derived": {
            "added": d.derived_added,
            "removed": d.derived_removed,
            "by_property": [
                {"property": c.predicate.value, "added": c.added, "removed": c.removed}
                for c in d.derived
            ],
        },
        "queries": [_query_json(q) for q in d.queries],
        "validation": {
            "appeared": [_violation_json(v) for v in d.appeared],
            "disappeared": [_violation_json(v) for v in d.disappeared],
        },
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


RENDERERS: dict[str, Callable[[GraphDiff], str]] = {
    "text": to_text,
    "markdown": to_markdown,
    "json": to_json,
}
"""``ftgraph diff --format`` values."""
