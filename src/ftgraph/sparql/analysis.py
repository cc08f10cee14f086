"""SERVICE allowlist: pyoxigraph runs SERVICE calls itself, so we vet them before evaluation.

A small SPARQL tokenizer (strings, comments, IRIs, prefixed names, variables, keywords) finds the
``SERVICE`` keywords and resolves their targets with the query's own PREFIX/BASE declarations. A
``SERVICE`` keyword cannot hide in a token we skip: IRIs hold no whitespace or braces, and strings
and comments are lexed as the SPARQL grammar defines them. Anything unresolvable is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from ftgraph.syntax import COMMENT, IRIREF, STRING

_PN_CHARS = r"\w\u00B7\u00C0-\uFFFF"
_LOCAL_ESC = r"\\[_~.\-!$&'()*+,;=/?#@%]"
_TOKEN = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<comment>{COMMENT})
  | (?P<string>{STRING})
  | (?P<iri>{IRIREF})
  | (?P<var>[?$][{_PN_CHARS}]+)
  | (?P<pname>(?:[A-Za-z\u00C0-\uFFFF][{_PN_CHARS}.\-]*)?:
        (?:(?:[{_PN_CHARS}:\-]|%[0-9A-Fa-f]{{2}}|{_LOCAL_ESC})
           (?:[{_PN_CHARS}.:\-]|%[0-9A-Fa-f]{{2}}|{_LOCAL_ESC})*)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_QUICK = re.compile(r"service|from", re.IGNORECASE)


@dataclass(frozen=True)
class QueryFacts:
    """What the endpoint must know about a query's text before handing it to a worker."""

    has_from: bool
    """FROM / FROM NAMED present: the query names its dataset, so no union default graph."""
    services: tuple[str | None, ...]
    """Target of each SERVICE clause; None when it is a variable or cannot be resolved."""


class QueryRefused(Exception):
    """A query the server will not evaluate, whatever the data (answered with 400)."""


class ServiceRefused(QueryRefused):
    """A SERVICE call to an endpoint outside the allowlist (answered with 400)."""


class QueryTooComplex(QueryRefused):
    """A query shaped so that the engine's recursive parser would overflow its stack."""


MAX_NESTING = 128
"""Brackets ``{ ( [`` open at once. pyoxigraph 0.5.13 crashed (SIGSEGV) from about 700 nested
``FILTER(EXISTS {`` levels (1,400 brackets), 900 nested function calls, 2,200 nested groups."""

MAX_OPERATORS = 2000
"""Operator characters (``+ - * / ! & | = < >``) in the query; a single ``1+1+…`` chain crashed
from 6,800 terms, ``&&`` from 9,300, ``!!…`` from 9,300."""

MAX_CLAUSES = 1000
"""Pattern keywords (BIND, OPTIONAL, MINUS, UNION, FILTER, GRAPH, SERVICE, EXISTS, SELECT) in the
query: 2,600 BINDs, MINUSes or nested OPTIONALs in a row crashed."""

MAX_DESCRIBE_TERMS = 1000
"""Resources named by one DESCRIBE: 2,600 crashed."""

_CLAUSES = frozenset(
    {"BIND", "OPTIONAL", "MINUS", "UNION", "FILTER", "GRAPH", "SERVICE", "EXISTS", "SELECT"}
)
_OPERATOR_CHARS = "+-*/!&|=<>"
_SAFE_SIZE = 4096
"""Shorter queries within the bracket and operator counts cannot reach any limit: not tokenized."""


def check_complexity(text: str) -> None:
    """Refuse, before any worker sees it, a query the parser could not survive.

    A linear scan of the tokens (strings, IRIs and comments do not count). The limits are far
    beyond the W3C SPARQL 1.1 test suites and real queries (tests hold both).

    Raises:
        QueryTooComplex: naming the limit that was passed.
    """
    brackets = text.count("{") + text.count("(") + text.count("[")
    operators = sum(text.count(c) for c in _OPERATOR_CHARS)
    if len(text) <= _SAFE_SIZE and brackets <= MAX_NESTING and operators <= MAX_OPERATORS:
        return
    depth = deepest = ops = clauses = described = 0
    in_describe = False
    for kind, value in _tokens(text):
        if kind == "other":
            if value in "{([":
                depth += 1
                deepest = max(deepest, depth)
                in_describe = False
            elif value in "})]":
                depth -= 1
            elif value in _OPERATOR_CHARS:
                ops += 1
        elif kind == "word":
            word = value.upper()
            if word in _CLAUSES:
                clauses += 1
            in_describe = word == "DESCRIBE" or (in_describe and word not in ("WHERE", "FROM"))
        elif in_describe and kind in ("iri", "pname", "var"):
            described += 1
    for what, n, limit in (
        ("nesting depth of { ( [", deepest, MAX_NESTING),
        ("number of operators", ops, MAX_OPERATORS),
        ("number of pattern clauses", clauses, MAX_CLAUSES),
        ("number of DESCRIBE resources", described, MAX_DESCRIBE_TERMS),
    ):
        if n > limit:
            raise QueryTooComplex(
                f"query refused: its {what} is {n}, over the limit of {limit} this server "
                "evaluates safely"
            )


def _tokens(text: str) -> list[tuple[str, str]]:
    """Significant tokens (kind, text) of a query; whitespace and comments dropped."""
    out: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup or "other"
        if kind not in ("ws", "comment"):
            out.append((kind, m.group()))
    return out


def _expand(pname: str, prefixes: dict[str, str]) -> str | None:
    """Full IRI of a prefixed name, or None for an undeclared prefix."""
    prefix, _, local = pname.rstrip(".").partition(":")
    if prefix not in prefixes:
        return None
    return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)


def analyze_query(text: str, base_iri: str | None = None) -> QueryFacts:
    """Find FROM clauses and SERVICE targets of a query (cheap when neither word appears), after
    :func:`check_complexity`.

    Raises:
        QueryTooComplex: see :func:`check_complexity`.

    >>> analyze_query("PREFIX e: <http://x/> SELECT * { SERVICE e:s { ?a ?b ?c } }").services
    ('http://x/s',)
    >>> analyze_query("SELECT * { ?s ?p 'SERVICE <http://x/>' } # SERVICE").services
    ()
    """
    if len(text) <= 8192:  # repeated short queries: tokenize once
        return _analyze(text, base_iri)
    return _analyze.__wrapped__(text, base_iri)


@lru_cache(maxsize=1024)
def _analyze(text: str, base_iri: str | None) -> QueryFacts:
    check_complexity(text)
    if not _QUICK.search(text):
        return QueryFacts(False, ())
    toks = _tokens(text)
    prefixes: dict[str, str] = {}
    base: str | None = base_iri
    has_from = False
    services: list[str | None] = []
    i = 0
    n = len(toks)
    while i < n:
        kind, value = toks[i]
        word = value.upper() if kind == "word" else ""
        if word == "PREFIX" and i + 2 < n and toks[i + 1][0] == "pname" and toks[i + 2][0] == "iri":
            iri = toks[i + 2][1][1:-1]
            prefixes[toks[i + 1][1][:-1]] = urljoin(base, iri) if base else iri
            i += 3
            continue
        if word == "BASE" and i + 1 < n and toks[i + 1][0] == "iri":
            iri = toks[i + 1][1][1:-1]
            base = urljoin(base, iri) if base else iri
            i += 2
            continue
        if word == "FROM":
            has_from = True
        elif word == "SERVICE":
            j = i + 1
            if j < n and toks[j][0] == "word" and toks[j][1].upper() == "SILENT":
                j += 1
            target: str | None = None
            if j < n and toks[j][0] == "iri":
                iri = toks[j][1][1:-1]
                target = urljoin(base, iri) if base else iri
            elif j < n and toks[j][0] == "pname":
                target = _expand(toks[j][1], prefixes)
            services.append(target)
        i += 1
    return QueryFacts(has_from, tuple(services))


def parse_allowlist(value: str) -> frozenset[str]:
    """Endpoint IRIs from ``FTGRAPH_SERVICE_ALLOW`` (comma or whitespace separated)."""
    return frozenset(v for v in re.split(r"[\s,]+", value) if v)


def check_services(facts: QueryFacts, allow: frozenset[str]) -> None:
    """Refuse the query unless every SERVICE target is a fixed IRI on the allowlist.

    Raises:
        ServiceRefused: with a message naming the offending target.
    """
    for target in facts.services:
        if target is None:
            raise ServiceRefused(
                "SERVICE with a variable or unresolvable endpoint is not allowed on this server"
            )
        if target not in allow:
            raise ServiceRefused(
                f"SERVICE <{target}> is not allowed on this server"
                + ("" if allow else " (no federation targets are configured)")
            )
