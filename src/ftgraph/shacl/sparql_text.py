"""SPARQL-based constraints (``sh:sparql``): their ``SELECT`` joined with the focus nodes, and their
messages with ``{?var}`` filled in. Text rewriting, kept apart so its regexes are tested on their own."""

from __future__ import annotations

import re

import pyoxigraph as ox

from ftgraph.syntax import OPAQUE

Term = ox.NamedNode | ox.BlankNode | ox.Literal


def format_message(message: str, bound: dict[str, Term]) -> str:
    """``{?var}`` and ``{$var}`` replaced by the lexical form of the binding (as pyshacl does)."""
    for var, value in bound.items():
        lexical = value.value
        message = re.sub(r"\{[?$]" + re.escape(var) + r"\}", lambda _m: lexical, message)  # noqa: B023
    return message


_AGGREGATE = re.compile(r"\b(COUNT|SUM|MIN|MAX|AVG|SAMPLE|GROUP_CONCAT)\s*\(", re.IGNORECASE)


def join_with_focus(select: str, focus: str) -> str | None:
    """The query with the focus set joined into its WHERE group, when that equals pre-binding ``$this``.

    It does when ``$this`` is projected and the body is one group whose only inner braces open
    (NOT) EXISTS, with no MINUS, sub-select or SERVICE, and any aggregation groups by ``$this``.
    Otherwise None: the caller pre-binds ``$this`` node by node (exact, slower).
    """
    bare = OPAQUE.sub(lambda m: " " * len(m.group(0)), select)
    upper = bare.upper()
    if len(re.findall(r"\bSELECT\b", upper)) != 1 or re.search(
        r"\b(MINUS|SERVICE|VALUES|BIND)\b", upper
    ):
        return None
    head_end = bare.find("{")
    if head_end < 0 or (
        not re.search(r"[?$]this\b", bare[:head_end]) and "*" not in bare[:head_end]
    ):
        return None
    close = _matching_brace(bare, head_end)
    if close < 0:
        return None
    body = bare[head_end + 1 : close]
    for m in re.finditer(r"\{", body):
        if not re.search(r"\bEXISTS\s*$", body[: m.start()], re.IGNORECASE):
            return None
    tail = upper[close + 1 :]
    if _AGGREGATE.search(upper) or "GROUP BY" in tail or "HAVING" in tail:
        group = re.search(r"GROUP\s+BY(.*?)(HAVING|ORDER|LIMIT|OFFSET|$)", tail, re.DOTALL)
        if group is None or not re.search(r"[?$]THIS\b", group.group(1)):
            return None
    if re.search(r"\b(LIMIT|OFFSET)\b", tail):
        return None
    return select[: head_end + 1] + f" {focus} " + select[head_end + 1 :]


def _matching_brace(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1
