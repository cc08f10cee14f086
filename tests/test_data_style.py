"""House style and hygiene of the hand-edited inputs: ``ontology/``, ``shapes/``, ``data/`` and ``queries/``.

- every Turtle/TriG file starts with the prefix block of ``docs/prefixes.ttl``, byte for byte;
- within a file, and within each ``GRAPH`` block, subjects are sorted (codepoint order of the subject as
  written: ``<iri>`` or ``prefix:local``) and separated by one blank line;
- every IRI outside ``https://w3id.org/ftgraph/`` is in a namespace of ``tests/vocabularies.txt``;
- every ``ftg:`` term used in ``data/``, ``shapes/`` and ``queries/`` is declared in ``ontology/``, and data uses
  classes as classes and properties as properties of the right kind;
- every triple of ``data/`` sits in a ``GRAPH`` named by a source that ``data/sources.trig`` declares.

Known layout problems of files owned by others are listed in ``KNOWN_LAYOUT_PROBLEMS``: tolerated, but any
other problem fails, and so does a listed problem once fixed (so the list shrinks).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import pyoxigraph as ox
import pytest

REPO = Path(__file__).resolve().parents[1]
PREFIX_BLOCK = (REPO / "docs" / "prefixes.ttl").read_bytes()
RDF_FILES = sorted(
    [
        *(REPO / "ontology").glob("*.ttl"),
        *(REPO / "shapes").glob("*.ttl"),
        *(REPO / "data").glob("*.trig"),
    ]
)
DATA_FILES = sorted((REPO / "data").glob("*.trig"))
QUERY_FILES = sorted((REPO / "queries").rglob("*.rq"))
VOCABULARIES = Path(__file__).resolve().parent / "vocabularies.txt"

FTGRAPH = "https://w3id.org/ftgraph/"
FTG = FTGRAPH + "ontology/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SH = "http://www.w3.org/ns/shacl#"

KNOWN_LAYOUT_PROBLEMS: frozenset[str] = frozenset()
"""Layout problems (``file: message``, line numbers dropped so edits above them do not matter) of files
others own, reported to the lead: tolerated until fixed, and then to be removed from here."""


def rel(path: Path) -> str:
    """Path relative to the repository, for ids and messages."""
    return path.relative_to(REPO).as_posix()


def _params(paths: list[Path]) -> list[object]:
    return [pytest.param(p, id=rel(p)) for p in paths]


def _format(fmt_path: Path) -> ox.RdfFormat:
    return ox.RdfFormat.TRIG if fmt_path.suffix == ".trig" else ox.RdfFormat.TURTLE


def value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph) -> str:
    """IRI, blank node id or lexical form of a term (RDF-star triples do not occur in the inputs)."""
    assert not isinstance(term, ox.Triple | ox.DefaultGraph), f"unexpected term {term}"
    return term.value


@cache
def quads(path: Path) -> tuple[ox.Quad, ...]:
    """The quads of one input file (Turtle parses into the default graph)."""
    return tuple(ox.parse(path=path, format=_format(path)))


# --- layout: a small scanner of top-level Turtle/TriG structure ------------------------------------


@dataclass(frozen=True)
class Statement:
    """One top-level ``subject … .`` block, with its 1-based first and last lines."""

    subject: str
    first: int
    last: int


@dataclass
class Block:
    """The file's top level, or one ``GRAPH name { … }`` block."""

    name: str | None
    open_line: int = 0
    close_line: int = 0
    statements: list[Statement] = field(default_factory=list)


class Scanner:
    """Finds statements and GRAPH blocks, skipping strings, IRIs and comments."""

    IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)

    def line(self, i: int) -> int:
        return self.text.count("\n", 0, i) + 1

    def skip_space(self, i: int) -> int:
        while i < self.n:
            if self.text[i].isspace():
                i += 1
            elif self.text[i] == "#":
                end = self.text.find("\n", i)
                i = self.n if end < 0 else end
            else:
                break
        return i

    def skip_string(self, i: int) -> int:
        for quote in ('"""', "'''"):
            if self.text.startswith(quote, i):
                j = i + 3
                while True:
                    k = self.text.find(quote, j)
                    if k < 0:
                        return self.n
                    if self.text[k - 1] != "\\":
                        return k + 3
                    j = k + 1
        quote = self.text[i]
        j = i + 1
        while j < self.n and self.text[j] != quote:
            j += 2 if self.text[j] == "\\" else 1
        return j + 1

    def token(self, i: int) -> tuple[str, int]:
        """The term starting at ``i`` (IRI, name, blank node ``[]``) and the index after it."""
        m = self.IRI.match(self.text, i)
        if m:
            return m.group(), m.end()
        if self.text[i] == "[":
            j = self.text.find("]", i)
            return self.text[i : j + 1], j + 1
        j = i
        while j < self.n and not self.text[j].isspace() and self.text[j] not in ";,{}()[]":
            j += 1
        return self.text[i:j], j

    def statement_end(self, i: int) -> int:
        """Index just after the ``.`` that ends the statement starting at ``i``."""
        depth = 0
        while i < self.n:
            c = self.text[i]
            if c in "\"'":
                i = self.skip_string(i)
                continue
            if c == "<":
                m = self.IRI.match(self.text, i)
                if m:
                    i = m.end()
                    continue
            if c == "#":
                i = self.skip_space(i)
                continue
            if c in "[(":
                depth += 1
            elif c in "])":
                depth -= 1
            elif c == "." and depth == 0 and (i + 1 == self.n or self.text[i + 1].isspace()):
                return i + 1
            i += 1
        return self.n

    def scan(self) -> tuple[list[Block], list[tuple[int, str]]]:
        """Blocks (top level first) and problems ``(line, message)`` found on the way.

        A GRAPH block appears at the top level as a statement ``GRAPH <name>`` spanning its lines.
        """
        top = Block(None)
        blocks, problems = [top], []
        current = top
        i = self.skip_space(0)
        while i < self.n:
            start_line = self.line(i)
            if re.match(r"@prefix\b|PREFIX\b", self.text[i:], re.IGNORECASE):
                end = self.text.find("\n", i)
                i = self.n if end < 0 else end
                if start_line > PREFIX_BLOCK.count(b"\n"):
                    problems.append((start_line, "prefix declared outside the shared prefix block"))
            elif self.text[i] == "}":
                if current is top:
                    problems.append((start_line, "unbalanced '}'"))
                else:
                    current.close_line = start_line
                    top.statements[-1] = replace(top.statements[-1], last=start_line)
                    current = top
                i += 1
            else:
                keyword = re.match(r"GRAPH\s+", self.text[i:], re.IGNORECASE)
                j = i + keyword.end() if keyword else i
                name, after = self.token(j)
                brace = self.skip_space(after)
                if keyword or (brace < self.n and self.text[brace] == "{"):
                    if current is not top:
                        problems.append((start_line, "GRAPH block inside a GRAPH block"))
                    current = Block(name, open_line=start_line)
                    blocks.append(current)
                    top.statements.append(Statement(f"GRAPH {name}", start_line, start_line))
                    i = brace + 1
                else:
                    end = self.statement_end(i)
                    current.statements.append(Statement(name, start_line, self.line(end - 1)))
                    i = end
            i = self.skip_space(i)
        if current is not top:
            problems.append((current.open_line, f"GRAPH {current.name} is not closed"))
        return blocks, problems


def _gap_problems(lines: list[str], first: int, last: int, what: str) -> Iterator[tuple[int, str]]:
    """Lines ``first..last`` (1-based, inclusive) between two items: one blank line, then only comments."""
    gap = lines[first - 1 : last]
    if not gap or gap[0] != "":
        yield first, f"{what}: expected one blank line"
        return
    for k, line in enumerate(gap[1:], start=first + 1):
        if line == "" and lines[k - 2] == "":
            yield k, f"{what}: more than one blank line"
        elif line and not line.startswith("#"):
            yield k, f"{what}: unexpected text between blocks"


def _order_problems(block: Block, where: str) -> Iterator[tuple[int, str]]:
    items = [s for s in block.statements if not s.subject.startswith("GRAPH ")]
    for a, b in itertools.pairwise(items):
        if not a.subject < b.subject:
            order = "repeated" if a.subject == b.subject else "out of order"
            yield b.first, f"subject {b.subject} {order} in {where} (after {a.subject})"


def layout_problems(path: Path, name: str | None = None) -> list[str]:
    """Everything wrong with the layout of one file, as ``file:line: message`` lines."""
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    problems: list[tuple[int, str]] = []
    if not path.read_bytes().startswith(PREFIX_BLOCK):
        problems.append((1, "does not start with the exact prefix block of docs/prefixes.ttl"))
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append((len(lines), "file must end with exactly one newline"))
    blocks, scan_problems = Scanner(text).scan()
    problems += scan_problems
    graph_names = [b.name for b in blocks if b.name is not None]
    for block in blocks:
        where = "file" if block.name is None else f"GRAPH {block.name}"
        if block.name is not None and graph_names.count(block.name) > 1:
            problems.append((block.open_line, f"{where} appears more than once in this file"))
        problems += _order_problems(block, where)
        previous = PREFIX_BLOCK.count(b"\n") if block.name is None else block.open_line
        for s in block.statements:
            problems += _gap_problems(lines, previous + 1, s.first - 1, f"before {s.subject}")
            if not s.subject.startswith("GRAPH "):
                blank = [k for k in range(s.first, s.last + 1) if lines[k - 1] == ""]
                problems += [(k, f"blank line inside the block of {s.subject}") for k in blank]
            previous = s.last
        if block.name is not None and block.close_line:
            if lines[block.close_line - 1] != "}":
                problems.append((block.close_line, "'}' of a GRAPH block stands alone on its line"))
            if lines[previous : block.close_line - 1] != [""]:
                problems.append((block.close_line, f"{where}: expected one blank line before '}}'"))
    return [f"{name or rel(path)}:{line}: {msg}" for line, msg in sorted(set(problems))]


@pytest.mark.parametrize("path", _params(RDF_FILES))
def test_file_starts_with_the_prefix_block(path: Path) -> None:
    """The shared prefix block, byte for byte, then a blank line; no other prefix declaration."""
    data = path.read_bytes()
    assert data.startswith(PREFIX_BLOCK), f"{rel(path)}: copy docs/prefixes.ttl verbatim at the top"
    assert data[len(PREFIX_BLOCK) : len(PREFIX_BLOCK) + 1] == b"\n", (
        f"{rel(path)}: blank line after prefixes"
    )


@pytest.mark.parametrize("path", _params(RDF_FILES))
def test_subjects_are_sorted_and_separated_by_one_blank_line(path: Path) -> None:
    """One block per subject, sorted, one blank line apart, in the file and in each GRAPH block."""
    problems = {re.sub(r":\d+: ", ": ", p, count=1) for p in layout_problems(path)}
    known = {k for k in KNOWN_LAYOUT_PROBLEMS if k.startswith(rel(path) + ":")}
    assert sorted(problems - known) == []
    assert sorted(known - problems) == [], "fixed: remove these lines from KNOWN_LAYOUT_PROBLEMS"


def test_layout_rules_catch_what_they_are_for(tmp_path: Path) -> None:
    """The layout scanner reports unsorted, glued and doubly spaced blocks (a checker of the checker)."""
    body = (
        "GRAPH src:b {\n\norganisation:b a ftg:Organisation .\n\n"
        'organisation:a a ftg:Organisation ;\n    rdfs:label "A . B"@fr .\n'
        "organisation:c a ftg:Organisation .\n\n\n"
        "organisation:d a ftg:Organisation .\n}\n"
    )
    path = tmp_path / "bad.trig"
    path.write_bytes(PREFIX_BLOCK + b"\n" + body.encode())
    problems = [p.split(": ", 1)[1] for p in layout_problems(path, "bad.trig")]
    assert problems == [
        "subject organisation:a out of order in GRAPH src:b (after organisation:b)",
        "before organisation:c: expected one blank line",
        "before organisation:d: more than one blank line",
        "GRAPH src:b: expected one blank line before '}'",
    ]


# --- vocabularies ----------------------------------------------------------------------------------


@cache
def allowed_namespaces() -> dict[str, str]:
    """Namespace -> comment, from ``tests/vocabularies.txt``."""
    out: dict[str, str] = {}
    for line in VOCABULARIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        namespace, _, comment = line.partition("  # ")
        out[namespace.strip()] = comment.strip()
    return out


def test_vocabulary_allow_list_is_well_formed() -> None:
    """One namespace per line, ending in ``/`` or ``#``, each with a comment saying what it is."""
    lines = [
        line
        for line in VOCABULARIES.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    bad = [line for line in lines if not re.fullmatch(r"https?://\S+[/#]  # \S.*", line)]
    assert bad == [], "write each line as '<namespace>  # what it is'"
    namespaces = [line.split()[0] for line in lines]
    assert len(namespaces) == len(set(namespaces)), "duplicate namespace"


def is_allowed(iri: str) -> bool:
    """``https://w3id.org/ftgraph/…`` or inside an allow-listed namespace."""
    return iri.startswith(FTGRAPH) or any(iri.startswith(ns) for ns in allowed_namespaces())


SPARQL_IRI = re.compile(r"<([^<>\"{}|^`\\\s]*)>")
SPARQL_PNAME = re.compile(r"(?<![\w?$:\-])([A-Za-z][\w\-]*)?:((?:[\w\-])+(?:\.[\w\-]+)*)")
SPARQL_PREFIX = re.compile(r"PREFIX\s+([\w\-]*):\s*<([^>]*)>", re.IGNORECASE)


def strip_sparql(text: str) -> str:
    """SPARQL text without comments and string literals (IRIs kept), so only terms remain."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        m = SPARQL_IRI.match(text, i) if c == "<" else None
        if m:
            out.append(m.group())
            i = m.end()
        elif c == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith(('"""', "'''"), i):
            end = text.find(text[i : i + 3], i + 3)
            i = n if end < 0 else end + 3
            out.append('""')
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j + 1
            out.append('""')
        else:
            out.append(c)
            i += 1
    return "".join(out)


def sparql_terms(text: str, prefixes: dict[str, str] | None = None) -> tuple[set[str], set[str]]:
    """Absolute IRIs a SPARQL text uses (``<…>`` and prefixed names) and the undeclared prefixes."""
    bare = strip_sparql(text)
    declared = dict(prefixes or {})
    declared.update(SPARQL_PREFIX.findall(bare))
    iris = {iri for iri in SPARQL_IRI.findall(bare) if ":" in iri}
    undeclared: set[str] = set()
    for prefix, local in SPARQL_PNAME.findall(SPARQL_IRI.sub(" ", bare)):
        if prefix in declared:
            iris.add(declared[prefix] + local)
        else:
            undeclared.add(prefix)
    return iris, undeclared


def _iris_of_quads(qs: tuple[ox.Quad, ...]) -> Iterator[str]:
    for q in qs:
        for term in (q.subject, q.predicate, q.object, q.graph_name):
            if isinstance(term, ox.NamedNode):
                yield term.value
            elif isinstance(term, ox.Literal):
                yield term.datatype.value
                if term.datatype.value == XSD + "anyURI":
                    yield term.value


@cache
def shacl_prefixes() -> dict[str, str]:
    """``sh:declare`` prefixes of ``shapes/`` (one file declares them, the others use them)."""
    qs = [q for p in RDF_FILES if p.parent.name == "shapes" for q in quads(p)]
    prefix = {q.subject: value(q.object) for q in qs if q.predicate.value == SH + "prefix"}
    namespace = {q.subject: value(q.object) for q in qs if q.predicate.value == SH + "namespace"}
    return {prefix[k]: namespace[k] for k in prefix.keys() & namespace.keys()}


def shacl_sparql_texts(qs: tuple[ox.Quad, ...]) -> list[str]:
    """SPARQL texts of SPARQL-based constraints and targets."""
    keys = {SH + "select", SH + "ask", SH + "construct"}
    return [
        q.object.value for q in qs if q.predicate.value in keys and isinstance(q.object, ox.Literal)
    ]


def used_iris(path: Path) -> set[str]:
    """Every absolute IRI a file uses, including declared prefixes and IRIs inside SPARQL strings."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".rq":
        iris, undeclared = sparql_terms(text)
        assert not undeclared, f"{rel(path)}: undeclared prefixes {sorted(undeclared)}"
        return iris
    qs = quads(path)
    iris = set(_iris_of_quads(qs))
    iris |= set(re.findall(r"@prefix\s+[\w\-]*:\s*<([^>]*)>", text))
    prefixes = shacl_prefixes()
    for sparql in shacl_sparql_texts(qs):
        found, undeclared = sparql_terms(sparql, prefixes)
        assert not undeclared, f"{rel(path)}: SPARQL uses undeclared prefixes {sorted(undeclared)}"
        iris |= found
    return iris


@pytest.mark.parametrize("path", _params(RDF_FILES + QUERY_FILES))
def test_every_external_iri_is_in_an_allowed_vocabulary(path: Path) -> None:
    """Catches ``https://schema.org/`` drift and namespace typos (``http://w3.org/ns/locn#``)."""
    assert sorted(i for i in used_iris(path) if not is_allowed(i)) == []


def test_the_allow_list_catches_drift() -> None:
    """A checker of the checker: https schema.org and a typo'd W3C namespace are refused."""
    assert not is_allowed("https://schema.org/Organization")
    assert not is_allowed("http://w3.org/ns/locn#Address")
    assert is_allowed("http://schema.org/Organization")
    iris, undeclared = sparql_terms(
        'PREFIX s: <https://schema.org/>\n# <http://not.an/iri>\nSELECT * { ?x s:name "a:b" ; q:p <urn:x:y> }'
    )
    assert iris == {"https://schema.org/", "https://schema.org/name", "urn:x:y"}
    assert undeclared == {"q"}


# --- ftg: terms ------------------------------------------------------------------------------------


@cache
def ontology_declarations() -> dict[str, set[str]]:
    """ftg: term -> the OWL types the ontology declares it with."""
    out: dict[str, set[str]] = {}
    for path in sorted((REPO / "ontology").glob("*.ttl")):
        for q in quads(path):
            if q.predicate.value == RDF_TYPE and value(q.subject).startswith(FTG):
                out.setdefault(value(q.subject), set()).add(value(q.object))
    return out


USE_FILES = [p for p in RDF_FILES if p.parent.name in ("data", "shapes")] + QUERY_FILES


@pytest.mark.parametrize("path", _params(USE_FILES))
def test_every_ftg_term_is_declared_in_the_ontology(path: Path) -> None:
    """A typo in a class or property name (``ftg:organiser`` vs ``ftg:organizer``) fails here."""
    used = {i for i in used_iris(path) if i.startswith(FTG) and i != FTG}
    assert sorted(used - ontology_declarations().keys()) == []


@pytest.mark.parametrize("path", _params(DATA_FILES))
def test_data_uses_ftg_terms_as_declared(path: Path) -> None:
    """Types are owl:Class; object properties point at resources and datatype properties at literals."""
    declared = ontology_declarations()
    problems = set()
    for q in quads(path):
        p, o = q.predicate.value, q.object
        typed = value(o) if p == RDF_TYPE and isinstance(o, ox.NamedNode) else ""
        if typed.startswith(FTG) and OWL + "Class" not in declared.get(typed, set()):
            problems.add(f"{typed} is used as a class")
        if p.startswith(FTG):
            kinds = declared.get(p, set())
            if OWL + "ObjectProperty" in kinds and isinstance(o, ox.Literal):
                problems.add(f"object property {p} has a literal value ({value(q.subject)})")
            elif OWL + "DatatypeProperty" in kinds and not isinstance(o, ox.Literal):
                problems.add(f"datatype property {p} has a resource value ({value(q.subject)})")
            elif not kinds & {OWL + "ObjectProperty", OWL + "DatatypeProperty"}:
                problems.add(f"{p} is used as a property")
    assert sorted(problems) == []


# --- every fact has a source -----------------------------------------------------------------------


@cache
def declared_sources() -> frozenset[str]:
    """Sources that ``data/sources.trig`` declares in their own graph."""
    return frozenset(
        value(q.subject)
        for q in quads(REPO / "data" / "sources.trig")
        if q.predicate.value == RDF_TYPE
        and q.object == ox.NamedNode(FTG + "SourceDocument")
        and q.graph_name == q.subject
    )


def test_sources_are_declared() -> None:
    """Guard for the test below: sources.trig declares at least one source."""
    assert declared_sources()


@pytest.mark.parametrize("path", _params(DATA_FILES))
def test_every_data_triple_is_in_a_declared_source_graph(path: Path) -> None:
    """No triple in the default graph (a fact without a source) or in a graph no source declares."""
    outside: dict[str, int] = {}
    for q in quads(path):
        g = q.graph_name
        name = g.value if isinstance(g, ox.NamedNode) else "default graph"
        if name not in declared_sources():
            outside[name] = outside.get(name, 0) + 1
    assert outside == {}, f"{rel(path)}: triples per undeclared graph"
