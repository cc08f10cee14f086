"""Named queries: the ``queries/*.rq`` files, their header comments and typed parameters.

Parameters are bound as RDF terms (pyoxigraph ``substitutions``), never pasted into the query text, so a quote or a
``}`` in a value cannot change the query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyoxigraph as ox

_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
PARAM_TYPES: dict[str, dict[str, Any]] = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "language": {"type": "string", "pattern": _LANG.pattern},
    "integer": {"type": "integer"},
    "date": {"type": "string", "format": "date"},
}
"""The one registry of parameter types, each with its JSON Schema (for the OpenAPI document);
:meth:`Parameter.bind` is what validates a value."""
TIMEOUT_PARAM = "timeout"
"""The REST API's deadline parameter (seconds), as on ``/sparql``."""
RESERVED_PARAMS = (TIMEOUT_PARAM,)
"""Query-string names the REST API keeps for itself, so no query may declare them."""
_XSD = "http://www.w3.org/2001/XMLSchema#"
_PARAM = re.compile(
    r"^(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)\s+(?P<example>\S+)\s+—\s+(?P<text>.+)$"
)


class ParameterError(ValueError):
    """A parameter value that does not fit its declared type."""


@dataclass(frozen=True)
class Parameter:
    """One ``# param: name type example — text`` header line."""

    name: str
    type: str
    example: str
    text: str

    def bind(self, raw: str) -> ox.NamedNode | ox.Literal:
        """Turn a raw string into the RDF term for this parameter.

        >>> Parameter("n", "integer", "1", "").bind("42")
        <Literal value=42 datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#integer>>
        """
        if self.type == "iri":
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", raw):
                raise ParameterError(f"{self.name}: not an absolute IRI: {raw!r}")
            try:
                return ox.NamedNode(raw)
            except ValueError as err:
                raise ParameterError(f"{self.name}: not an absolute IRI: {raw!r} ({err})") from err
        if self.type == "string":
            return ox.Literal(raw)
        if self.type == "language":
            if not _LANG.match(raw):
                raise ParameterError(f"{self.name}: not a BCP 47 language tag: {raw!r}")
            return ox.Literal(raw.lower())
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d+", raw):
                raise ParameterError(f"{self.name}: not an integer: {raw!r}")
            return ox.Literal(str(int(raw)), datatype=ox.NamedNode(_XSD + "integer"))
        if self.type == "date":
            try:
                date.fromisoformat(raw)
            except ValueError as err:
                raise ParameterError(f"{self.name}: not an ISO date (YYYY-MM-DD): {raw!r}") from err
            return ox.Literal(raw, datatype=ox.NamedNode(_XSD + "date"))
        raise ParameterError(f"{self.name}: unknown parameter type {self.type!r}")

    def example_json(self) -> str | int:
        """The example as JSON would carry it (an integer for ``integer``), for OpenAPI."""
        return int(self.example) if self.type == "integer" else self.example

    def example_sparql(self) -> str:
        """The example bound as the API binds it, in SPARQL syntax (integers stay plain)."""
        term = self.bind(self.example)
        if isinstance(term, ox.Literal) and term.datatype.value == _XSD + "integer":
            return term.value
        return str(term)


@dataclass(frozen=True)
class NamedQuery:
    """A query file with its header: title, description and parameters."""

    name: str
    title: str
    description: str
    text: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def substitutions(self, values: dict[str, str]) -> dict[ox.Variable, ox.NamedNode | ox.Literal]:
        """Bind the given raw values (a missing one is left unbound); unknown names are an error."""
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ParameterError(f"unknown parameter(s): {', '.join(unknown)}")
        return {ox.Variable(n): known[n].bind(v) for n, v in values.items()}

    def examples(self) -> dict[str, str]:
        """The example value of every parameter, as written in the header."""
        return {p.name: p.example for p in self.parameters}


def parse_named_query(path: Path) -> NamedQuery:
    """Read one ``.rq`` file; its leading ``# key: value`` comments are the header."""
    text = path.read_text(encoding="utf-8")
    title = description = ""
    params: list[Parameter] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, _, value = line[1:].strip().partition(":")
        value = value.strip()
        if key == "title":
            title = value
        elif key == "description":
            description = value
        elif key == "param":
            match = _PARAM.match(value)
            if match is None or match["type"] not in PARAM_TYPES:
                raise ValueError(
                    f"{path}: bad param line {line!r}: use '# param: name type example — text'"
                )
            if match["name"] in RESERVED_PARAMS:
                raise ValueError(
                    f"{path}: parameter name {match['name']!r} is reserved by the API; rename it"
                )
            params.append(Parameter(match["name"], match["type"], match["example"], match["text"]))
    if not title:
        raise ValueError(f"{path}: missing '# title:' header")
    return NamedQuery(path.stem, title, description, text, tuple(params))


def load_named_queries(root: Path) -> dict[str, NamedQuery]:
    """Every ``queries/*.rq`` under ``root`` (not the integrity checks in ``queries/checks/``), by name."""
    return {p.stem: parse_named_query(p) for p in sorted((root / "queries").glob("*.rq"))}
