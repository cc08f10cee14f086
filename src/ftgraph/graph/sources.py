"""Find and parse the committed inputs (ontology, data, shapes) and fingerprint them.

Every error points at ``file:line:column`` so a contributor fixes a typo without a traceback.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from ftgraph import __version__
from ftgraph.formats import TRIG, TURTLE, Format
from ftgraph.syntax import STRING_LITERAL
from ftgraph.vocab import ONTOLOGY_GRAPH, SOURCE

Kind = Literal["ontology", "data", "shapes"]

INPUT_GLOBS: dict[Kind, str] = {
    "ontology": "ontology/*.ttl",
    "data": "data/*.trig",
    "shapes": "shapes/*.ttl",
}
"""Where each kind of input lives under the root; anything else there is not an input."""


def display_path(path: Path) -> str:
    """Path relative to the working directory when below it, so editors can jump to it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


class InputError(Exception):
    """An input file that cannot be used, located precisely enough to fix it."""

    def __init__(self, path: Path, line: int, column: int, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class SourceFile:
    """One parsed input file; keeps its text so later stages can point back at lines."""

    path: Path
    relpath: str
    kind: Kind
    data: bytes
    quads: Sequence[ox.Quad]
    prefixes: dict[str, str]

    @property
    def text(self) -> str:
        """Decoded text (parsing already proved it is UTF-8)."""
        return self.data.decode("utf-8")


@dataclass(frozen=True)
class Inputs:
    """Everything under a root that a build or a validation reads, parsed once."""

    root: Path
    ontology: list[SourceFile] = field(default_factory=list)
    data: list[SourceFile] = field(default_factory=list)
    shapes: list[SourceFile] = field(default_factory=list)
    version: str = ""
    """Dataset version (see :func:`compute_version`), computed over the bytes that were parsed."""

    @property
    def files(self) -> list[SourceFile]:
        """All input files in a stable order."""
        return [*self.ontology, *self.data, *self.shapes]

    def dataset_quads(self) -> Iterator[ox.Quad]:
        """Quads that go into the store: ontology graph and source graphs (shapes stay out)."""
        for f in (*self.ontology, *self.data):
            yield from f.quads

    def triple_count(self) -> int:
        """Number of stated quads in ontology and data files."""
        return sum(len(f.quads) for f in (*self.ontology, *self.data))


def find_inputs(root: Path) -> dict[Kind, list[Path]]:
    """Input files per kind, sorted so versions and error order do not depend on the filesystem."""
    return {kind: sorted(Path(root).glob(pattern)) for kind, pattern in INPUT_GLOBS.items()}


def compute_version(files: Sequence[tuple[str, bytes]]) -> str:
    """sha256 over sorted relative paths, bytes and the ftgraph version: same inputs, same store."""
    h = hashlib.sha256()
    h.update(f"ftgraph {__version__}\n".encode())
    for rel, data in sorted(files):
        h.update(f"{rel}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def dataset_version(root: Path) -> str:
    """Version of the inputs currently on disk under ``root`` (cheap: no parsing)."""
    root = Path(root)
    files = [
        (p.relative_to(root).as_posix(), p.read_bytes())
        for paths in find_inputs(root).values()
        for p in paths
    ]
    return compute_version(files)


# --- syntax errors -----------------------------------------------------------------------------

_POSITION = re.compile(r"line (\d+)(?: between columns (\d+) and \d+| column (\d+))")
_PREFIX = re.compile(r"^Parser error (?:at|between) [^:]*?: ")
_SUFFIX = re.compile(r" \(line \d+\)$")


def syntax_error_position(err: SyntaxError) -> tuple[int, int, str]:
    """(line, column, message) of a pyoxigraph parse error, whatever shape its message takes."""
    raw = str(err.args[0]) if err.args else str(err)
    line = err.lineno if isinstance(err.lineno, int) and err.lineno > 0 else None
    column = err.offset if isinstance(err.offset, int) and err.offset > 0 else None
    if line is None:
        m = _POSITION.search(raw)
        if m:
            line = int(m.group(1))
            column = int(m.group(2) or m.group(3))
    message = _SUFFIX.sub("", _PREFIX.sub("", raw)).strip() or "syntax error"
    return line or 0, column or 0, message


def _rdflib_position(data: bytes, fmt: str) -> tuple[int, int, str] | None:
    """Second opinion from rdflib, used only when pyoxigraph gave no usable position."""
    import rdflib

    try:
        rdflib.Dataset().parse(data=data, format=fmt)
    except Exception as exc:
        text = str(exc)
        m = re.search(r"line (\d+)", text)
        if m:
            return int(m.group(1)), 1, text.strip().splitlines()[0] if text.strip() else text
    return None


def _parse(path: Path, data: bytes, fmt: Format) -> tuple[list[ox.Quad], dict[str, str]]:
    """Parse with pyoxigraph; blank nodes renamed so two files never share one by accident."""
    parser = ox.parse(data, format=fmt.rdf, rename_blank_nodes=True)
    try:
        quads = list(parser)
    except SyntaxError as err:
        line, column, message = syntax_error_position(err)
        if line == 0:
            fallback = _rdflib_position(data, fmt.name)  # rdflib names them alike
            if fallback is not None:
                line, column, _ = fallback
        raise InputError(path, line, column, message) from err
    return quads, dict(parser.prefixes)


# --- locating statements in TriG text ---------------------------------------------------------


@dataclass(frozen=True)
class TopLevelItem:
    """A top-level TriG statement: a graph block (with its label) or a default-graph triple."""

    kind: Literal["graph", "default"]
    label: str | None
    offset: int


_WS = re.compile(r"(?:\s+|#[^\n]*)+")
_DIRECTIVE_AT = re.compile(r"@(?:prefix|base)\b[^<]*<[^>]*>\s*\.", re.IGNORECASE)
_DIRECTIVE_SPARQL = re.compile(r"(?:PREFIX|BASE)\s[^<]*<[^>]*>", re.IGNORECASE)
_GRAPH_KW = re.compile(r"GRAPH(?=\s)", re.IGNORECASE)
_LABEL = re.compile(r"<[^>]*>|\[\s*\]|[^\s{}]+")


def _skip_opaque(text: str, pos: int) -> int | None:
    """Offset after the string, IRI or comment starting at ``pos`` (their braces and dots are not syntax),
    or None when ``pos`` starts none of them."""
    c = text[pos]
    n = len(text)
    if c in "\"'":
        m = STRING_LITERAL.match(text, pos)
        return m.end() if m else pos + 1
    if c == "<":
        # `<` starts an IRI: TriG has no comparison operators outside of them.
        end = text.find(">", pos)
        return end + 1 if end != -1 else n
    if c == "#":
        end = text.find("\n", pos)
        return end if end != -1 else n
    return None


def _skip_block(text: str, pos: int) -> int:
    """Offset just after the ``}`` closing the block whose ``{`` precedes ``pos``."""
    depth = 1
    n = len(text)
    while pos < n and depth:
        after = _skip_opaque(text, pos)
        if after is not None:
            pos = after
            continue
        c = text[pos]
        if c == "{" and not text.startswith("{|", pos):
            depth += 1
        elif c == "}" and not (pos > 0 and text[pos - 1] == "|"):
            depth -= 1
        pos += 1
    return pos


def _skip_statement(text: str, pos: int) -> int:
    """Offset after the ``.`` ending a default-graph triple starting at ``pos``."""
    n = len(text)
    while pos < n:
        after = _skip_opaque(text, pos)
        if after is not None:
            pos = after
            continue
        if text[pos] == "." and (pos + 1 >= n or text[pos + 1].isspace() or text[pos + 1] == "#"):
            return pos + 1
        pos += 1
    return pos


def scan_trig(text: str) -> list[TopLevelItem]:
    """Top-level structure of a TriG document (syntax already checked by the parser)."""
    items: list[TopLevelItem] = []
    pos, n = 0, len(text)
    while True:
        m = _WS.match(text, pos)
        if m:
            pos = m.end()
        if pos >= n:
            return items
        for directive in (_DIRECTIVE_AT, _DIRECTIVE_SPARQL):
            m = directive.match(text, pos)
            if m:
                pos = m.end()
                break
        else:
            start = pos
            if text[pos] == "{":
                inner = _WS.match(text, pos + 1)
                first = inner.end() if inner else pos + 1
                items.append(TopLevelItem("default", None, first))
                pos = _skip_block(text, pos + 1)
                continue
            g = _GRAPH_KW.match(text, pos)
            if g:
                pos = g.end()
                m = _WS.match(text, pos)
                if m:
                    pos = m.end()
            label = _LABEL.match(text, pos)
            after = label.end() if label else pos
            m = _WS.match(text, after)
            brace = m.end() if m else after
            if label and brace < n and text[brace] == "{":
                items.append(TopLevelItem("graph", label.group(0), start))
                pos = _skip_block(text, brace + 1)
            else:
                items.append(TopLevelItem("default", None, start))
                pos = _skip_statement(text, start)


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    starts = [0, *(m.end() for m in re.finditer("\n", text))]
    i = bisect.bisect_right(starts, offset) - 1
    return i + 1, offset - starts[i] + 1


def _resolve_label(label: str, prefixes: dict[str, str]) -> str | None:
    """IRI written by a graph label token (``<iri>`` or ``prefix:local``)."""
    if label.startswith("<") and label.endswith(">"):
        return label[1:-1]
    if ":" in label:
        prefix, local = label.split(":", 1)
        if prefix in prefixes:
            return prefixes[prefix] + re.sub(r"\\(.)", r"\1", local)
    return None


def is_source_graph(graph: ox.NamedNode | ox.BlankNode | ox.DefaultGraph) -> bool:
    """True for ``…/id/source/<slug>`` graph names, the only graphs a data file may fill."""
    return (
        isinstance(graph, ox.NamedNode)
        and graph.value.startswith(SOURCE)
        and len(graph.value) > len(SOURCE)
    )


def _check_source_graphs(
    path: Path, text: str, quads: Sequence[ox.Quad], prefixes: dict[str, str]
) -> None:
    """Refuse facts without a source: default-graph triples and graphs outside ``…/id/source/``."""
    bad = next((q for q in quads if not is_source_graph(q.graph_name)), None)
    if bad is None:
        return
    items = scan_trig(text)
    if isinstance(bad.graph_name, ox.DefaultGraph):
        offset = next((i.offset for i in items if i.kind == "default"), 0)
        line, column = line_column(text, offset)
        raise InputError(
            path,
            line,
            column,
            "triple outside any GRAPH block: every fact must sit in "
            f"GRAPH <{SOURCE}…> {{ … }} naming its source article",
        )
    name = bad.graph_name
    shown = f"<{name.value}>" if isinstance(name, ox.NamedNode) else str(name)
    offset = 0
    for item in items:
        if item.kind != "graph" or item.label is None:
            continue
        iri = _resolve_label(item.label, prefixes)
        if (isinstance(name, ox.NamedNode) and iri == name.value) or (
            isinstance(name, ox.BlankNode) and iri is None
        ):
            offset = item.offset
            break
    line, column = line_column(text, offset)
    raise InputError(
        path,
        line,
        column,
        f"graph {shown} is not a source article: graph names must be under <{SOURCE}>",
    )


# --- loading -------------------------------------------------------------------------------------


def parse_file(root: Path, path: Path, kind: Kind) -> SourceFile:
    """Read and parse one input; ontology triples land in the ontology graph."""
    data = path.read_bytes()
    rel = path.relative_to(root).as_posix()
    if kind == "data":
        quads, prefixes = _parse(path, data, TRIG)
        _check_source_graphs(path, data.decode("utf-8"), quads, prefixes)
    else:
        quads, prefixes = _parse(path, data, TURTLE)
        if kind == "ontology":
            g = ox.NamedNode(ONTOLOGY_GRAPH)
            quads = [ox.Quad(q.subject, q.predicate, q.object, g) for q in quads]
    return SourceFile(path, rel, kind, data, quads, prefixes)


def load_inputs(root: Path) -> Inputs:
    """Parse every input under ``root``; the first bad file raises :class:`InputError`."""
    root = Path(root)
    found = find_inputs(root)
    parsed: dict[Kind, list[SourceFile]] = {
        kind: [parse_file(root, p, kind) for p in paths] for kind, paths in found.items()
    }
    version = compute_version([(f.relpath, f.data) for fs in parsed.values() for f in fs])
    return Inputs(root, parsed["ontology"], parsed["data"], parsed["shapes"], version)
