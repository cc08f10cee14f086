"""Each constraint of one shape, at one focus set, compiled to a SPARQL query, and its rows turned
into results (:class:`Context`); the :class:`Runner` (``shacl.sparql.Evaluator``) runs the queries.

The SHACL semantics and the deliberate choices are described in :mod:`ftgraph.shacl.sparql`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import pyoxigraph as ox
import rdflib
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from ftgraph.graph.select import select
from ftgraph.shacl.report import RawResult, to_rdflib
from ftgraph.shacl.shapes import (
    CASTABLE,
    NODE_KINDS,
    Shapes,
    UnsupportedShapeError,
    local_name,
    sparql_string,
    sparql_term,
)
from ftgraph.shacl.sparql_text import format_message, join_with_focus

Term = ox.NamedNode | ox.BlankNode | ox.Literal


@dataclass(frozen=True)
class Focus:
    """A group pattern binding ``?this`` to each candidate focus node once (a sub-select)."""

    pattern: str


@dataclass(frozen=True)
class Result:
    owner: Term
    """The focus node (of the shape being evaluated) this result makes non-conforming; for a nested
    result of a failed sh:node (pyshacl's sh:detail, listed too) that is the outer focus node."""
    raw: RawResult


class Context:
    """One shape at one focus set: builds its queries and results."""

    def __init__(self, ev: Runner, shape: Node, focus: Focus) -> None:
        self.ev = ev
        self.s = ev.shapes
        self.shape = shape
        self.focus = focus
        self.where = self.s.name(shape)
        self.path = self.s.value(shape, SH.path)
        self.severity = self.s.value(shape, SH.severity) or SH.Violation
        self.messages = [str(m) for m in self.s.values(shape, SH.message)]
        self.values = ev.value_nodes(shape, focus)

    def result(
        self,
        focus: Term,
        component: str,
        value: Term | None,
        default: str,
        path: Node | None = None,
        messages: list[str] | None = None,
    ) -> Result:
        msgs = self.messages if messages is None else messages
        return Result(
            focus,
            RawResult(
                focus=to_rdflib(focus),
                path=self.path if path is None else path,
                shape=self.shape,
                component=SH[f"{component}ConstraintComponent"],
                severity=self.severity,
                message=rdflib.Literal(msgs[0] if msgs else default),
                value=to_rdflib(value) if value is not None else None,
            ),
        )

    def _rows(self, query: str) -> Iterator[ox.QuerySolution]:
        try:
            yield from self.ev.rows(query)
        except SyntaxError as err:  # a bug of the compiler or a bad sh:pattern: say which shape
            raise UnsupportedShapeError(f"{self.where}: cannot compile ({err}):\n{query}") from err

    # -- components on each value node --

    def value_filter(self, pred: Node, param: Node) -> list[Result]:
        ok, component, default = self._value_condition(pred, param)
        query = (
            f"SELECT DISTINCT ?this ?value WHERE {{ {self.values} FILTER(!COALESCE({ok}, false)) }}"
        )
        return [
            self.result(row["this"], component, row["value"], default) for row in self._rows(query)
        ]

    def _value_condition(self, pred: Node, param: Node) -> tuple[str, str, str]:
        """(SPARQL condition a conforming ``?value`` meets, component name, default message)."""
        where = self.where
        if pred == SH["class"]:
            cls = sparql_term(param, where)
            return (
                f"EXISTS {{ ?value <{RDF.type}>/<{RDFS.subClassOf}>* {cls} }}",
                "Class",
                f"Value does not have class {cls}",
            )
        if pred == SH.datatype:
            return (
                _datatype_condition(param, where),
                "Datatype",
                f"Value is not Literal with datatype <{param}>",
            )
        if pred == SH.nodeKind:
            if param not in NODE_KINDS:
                raise UnsupportedShapeError(f"{where}: unknown sh:nodeKind {param}")
            return NODE_KINDS[param], "NodeKind", f"Value is not of Node Kind <{param}>"
        if pred == SH.pattern:
            flags = self.s.value(self.shape, SH.flags)
            args = sparql_string(str(param)) + (
                f", {sparql_string(str(flags))}" if flags is not None else ""
            )
            return (
                f"(!isBlank(?value) && REGEX(STR(?value), {args}))",
                "Pattern",
                f"Value does not match pattern {param!s}",
            )
        if pred == SH.languageIn:
            ranges = [str(x) for x in self.s.items(param)]
            matches = " || ".join(f"langMatches(LANG(?value), {sparql_string(r)})" for r in ranges)
            return (
                f'(isLiteral(?value) && LANG(?value) != "" && ({matches or "false"}))',
                "LanguageIn",
                f"String language is not in {ranges}",
            )
        if pred in (SH.minLength, SH.maxLength):
            op = ">=" if pred == SH.minLength else "<="
            name = "MinLength" if pred == SH.minLength else "MaxLength"
            return (
                f"(!isBlank(?value) && STRLEN(STR(?value)) {op} {_int(param)})",
                name,
                f"String length not {op} {param}",
            )
        bounds: dict[Node, tuple[str, str]] = {
            SH.minInclusive: (">=", "MinInclusive"),
            SH.maxInclusive: ("<=", "MaxInclusive"),
            SH.minExclusive: (">", "MinExclusive"),
            SH.maxExclusive: ("<", "MaxExclusive"),
        }
        if pred in bounds:
            op, name = bounds[pred]
            bound = sparql_term(param, where)
            return f"(?value {op} {bound})", name, f"Value is not {op} {param}"
        if pred == SH["in"]:
            members = [sparql_term(x, where) for x in self.s.items(param)]
            tests = " || ".join(f"sameTerm(?value, {m})" for m in members)
            return f"({tests or 'false'})", "In", f"Value not in list {members}"
        raise UnsupportedShapeError(f"{where}: {local_name(pred)}")  # pragma: no cover - guarded

    # -- components on each focus node --

    def per_focus(self, pred: Node, param: Node) -> list[Result]:
        path = self.s.path(self.path, self.where) if self.path is not None else ""
        focus = self.focus.pattern
        if pred == SH.minCount:
            n = _int(param)
            if n <= 0:
                return []
            if n == 1:
                query = f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ ?this {path} ?v }} }}"
            else:
                query = (
                    f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?v }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) < {n})"
                )
            default = f"Less than {n} values on {self._on()}"
            return [self.result(r["this"], "MinCount", None, default) for r in self._rows(query)]
        if pred == SH.maxCount:
            n = _int(param)
            query = (
                f"SELECT ?this WHERE {{ {focus} ?this {path} ?v }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) > {n})"
            )
            default = f"More than {n} values on {self._on()}"
            return [self.result(r["this"], "MaxCount", None, default) for r in self._rows(query)]
        if pred == SH.hasValue:
            v = sparql_term(param, self.where)
            test = f"?this {path} {v}" if path else f"FILTER(sameTerm(?this, {v}))"
            query = f"SELECT ?this WHERE {{ {focus} FILTER NOT EXISTS {{ {test} }} }}"
            default = f"Node {self._on()} does not contain a value in the set: [{v}]"
            return [self.result(r["this"], "HasValue", None, default) for r in self._rows(query)]
        if pred == SH.uniqueLang:
            if not (isinstance(param, rdflib.Literal) and param.toPython() is True):
                return []
            query = (
                f"SELECT DISTINCT ?this ?lang WHERE {{ {focus} ?this {path} ?a . ?this {path} ?b . "
                'FILTER(isLiteral(?a) && isLiteral(?b) && LANG(?a) != "" && !sameTerm(?a, ?b) '
                "&& LCASE(LANG(?a)) = LCASE(LANG(?b))) BIND(LCASE(LANG(?a)) AS ?lang) }"
            )
            return [
                self.result(
                    r["this"], "UniqueLang", None, "More than one String shares the same Language"
                )
                for r in self._rows(query)
            ]
        raise UnsupportedShapeError(
            f"{self.where}: {local_name(pred)}"
        )  # pragma: no cover - guarded

    def _on(self) -> str:
        return f"focus node->{self.path}" if self.path is not None else "focus node"

    def pairs(self, pred: Node, param: Node) -> list[Result]:
        other = sparql_term(param, self.where)
        op, name = ("<=", "LessThanOrEquals") if pred == SH.lessThanOrEquals else ("<", "LessThan")
        query = (
            f"SELECT DISTINCT ?this ?value ?other WHERE {{ {self.values} ?this {other} ?other . "
            f"FILTER(!COALESCE(?value {op} ?other, false)) }}"
        )
        default = f"Value of focus node->{other} {op} value"
        return [self.result(r["this"], name, r["value"], default) for r in self._rows(query)]

    # -- nested shapes --

    def nested(self) -> list[Result]:
        s = self.s
        pairs: dict[Term, list[Term]] = {}
        if self.path is None:
            query = f"SELECT ?this WHERE {{ {self.focus.pattern} }}"
            for row in self._rows(query):
                pairs[row["this"]] = [row["this"]]
        else:
            path = s.path(self.path, self.where)
            query = (
                f"SELECT DISTINCT ?this ?value WHERE {{ {self.focus.pattern} "
                f"OPTIONAL {{ ?this {path} ?value }} }}"
            )
            for row in self._rows(query):
                vals = pairs.setdefault(row["this"], [])
                if row["value"] is not None:
                    vals.append(row["value"])
        inner = self.ev.value_focus(self.shape, self.focus)

        def bad(member: Node) -> frozenset[Term]:
            return self.ev.nonconforming(member, inner)

        out: list[Result] = []
        for pred, name in ((SH["or"], "Or"), (SH.xone, "Xone"), (SH["and"], "And")):
            for lst in s.values(self.shape, pred):
                members = s.items(lst)
                failing_sets = [bad(m) for m in members]
                for focus, vals in pairs.items():
                    for v in vals:
                        conforming = sum(v not in f for f in failing_sets)
                        wrong = {
                            "Or": conforming == 0,
                            "Xone": conforming != 1,
                            "And": conforming != len(members),
                        }[name]
                        if wrong:
                            out.append(
                                self.result(
                                    focus, name, v, f"Node does not conform to sh:{name.lower()}"
                                )
                            )
        for member in s.values(self.shape, SH["not"]):
            failing = bad(member)
            for focus, vals in pairs.items():
                out += [
                    self.result(focus, "Not", v, "Node must not conform to the shape")
                    for v in vals
                    if v not in failing
                ]
        for node_shape in s.values(self.shape, SH.node):
            by_owner: dict[Term, list[Result]] = {}
            for r in self.ev.nested_results(node_shape, inner):
                by_owner.setdefault(r.owner, []).append(r)
            default = "Value does not conform to Shape. See details for more information."
            for focus, vals in pairs.items():
                for v in vals:
                    if v in by_owner:
                        out.append(self.result(focus, "Node", v, default))
                        out += [Result(focus, d.raw) for d in by_owner[v]]
        for qshape in s.values(self.shape, SH.qualifiedValueShape):
            failing = bad(qshape)
            low = s.value(self.shape, SH.qualifiedMinCount)
            high = s.value(self.shape, SH.qualifiedMaxCount)
            for focus, vals in pairs.items():
                n = sum(v not in failing for v in vals)
                if low is not None and n < _int(low):
                    out.append(
                        self.result(
                            focus,
                            "QualifiedMinCount",
                            None,
                            f"Focus node does not conform to shape MinCount {low}",
                        )
                    )
                if high is not None and n > _int(high):
                    out.append(
                        self.result(
                            focus,
                            "QualifiedMaxCount",
                            None,
                            f"Focus node does not conform to shape MaxCount {high}",
                        )
                    )
        return out

    # -- SPARQL-based constraints --

    def sparql(self, constraint: Node) -> list[Result]:
        s = self.s
        if s.is_true(constraint, SH.deactivated):
            return []
        select = str(s.value(constraint, SH.select))
        if self.path is not None:
            select = re.sub(r"\$PATH\b", s.path(self.path, self.where), select)
        prologue = "".join(
            f"PREFIX {decl_prefix}: <{decl_ns}>\n"
            for decl_prefix, decl_ns in _declared_prefixes(s, constraint)
        )
        messages = [str(x) for x in s.values(constraint, SH.message)]
        messages += [m for m in self.messages if m not in messages]
        rows: list[dict[str, Term]] = []
        joined = join_with_focus(select, self.focus.pattern)
        try:
            if joined is not None:
                rows.extend(_solutions(self.ev.store, prologue + joined))
            else:
                for frow in self._rows(f"SELECT ?this WHERE {{ {self.focus.pattern} }}"):
                    focus = frow["this"]
                    subst = {ox.Variable("this"): focus}
                    for bound in _solutions(self.ev.store, prologue + select, substitutions=subst):
                        bound.setdefault("this", focus)
                        rows.append(bound)
        except SyntaxError as err:
            raise UnsupportedShapeError(
                f"{self.where}: SPARQL constraint does not parse: {err}"
            ) from err
        out: list[Result] = []
        seen: set[tuple[tuple[str, Term], ...]] = set()
        for bound in rows:
            key = tuple(sorted(bound.items(), key=lambda kv: kv[0]))
            if key in seen:
                continue
            seen.add(key)
            if "failure" in bound:
                raise RuntimeError(f"{self.where}: the SPARQL constraint reported ?failure")
            focus = bound["this"]
            value = bound.get("value", focus if self.path is None else None)
            path_term = bound.get("path")
            formatted = [format_message(m, bound) for m in messages]
            out.append(
                self.result(
                    focus,
                    "SPARQL",
                    value,
                    "SPARQL constraint violated",
                    path=to_rdflib(path_term) if path_term is not None else None,
                    messages=formatted,
                )
            )
        return out


class Runner(Protocol):
    """What a :class:`Context` needs from the evaluator: the shapes, the store, nested shapes."""

    shapes: Shapes
    store: ox.Store

    def rows(self, query: str) -> Iterator[ox.QuerySolution]: ...

    def value_nodes(self, shape: Node, focus: Focus) -> str: ...

    def value_focus(self, shape: Node, focus: Focus) -> Focus: ...

    def nested_results(self, shape: Node, focus: Focus) -> list[Result]: ...

    def nonconforming(self, shape: Node, focus: Focus) -> frozenset[Term]: ...


def _int(node: Node) -> int:
    """An integer parameter (sh:minCount, sh:maxLength…) of the shapes graph."""
    return int(str(node))


def _datatype_condition(datatype: Node, where: str) -> str:
    """SPARQL condition: ``?value`` is a well-formed literal of ``datatype``."""
    if datatype == RDF.langString:
        return '(isLiteral(?value) && LANG(?value) != "")'
    if datatype == RDFS.Literal:
        return "isLiteral(?value)"
    dt = sparql_term(datatype, where)
    ok = f'(isLiteral(?value) && LANG(?value) = "" && DATATYPE(?value) = {dt})'
    if datatype in CASTABLE:
        ok = f"({ok} && isLiteral({dt}(?value)))"
    return ok


def _declared_prefixes(shapes: Shapes, constraint: Node) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for owner in shapes.values(constraint, SH.prefixes):
        for decl in shapes.values(owner, SH.declare):
            prefix = shapes.value(decl, SH.prefix)
            ns = shapes.value(decl, SH.namespace)
            if prefix is None or ns is None:
                raise UnsupportedShapeError(f"sh:declare {decl} lacks sh:prefix or sh:namespace")
            out.append((str(prefix), str(ns)))
    return out


def _solutions(store: ox.Store, query: str, **kwargs: Any) -> Iterator[dict[str, Term]]:
    """Each solution as {variable name: bound term}, unbound variables left out."""
    result = select(store, query, **kwargs)
    names = [v.value for v in result.variables]
    for row in result:
        out: dict[str, Term] = {}
        for name in names:
            value = row[name]
            if value is not None:
                assert not isinstance(value, ox.Triple)
                out[name] = value
        yield out
