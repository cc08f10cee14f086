"""The full-text index of names: one document per entity, ontology term and concept, in SQLite FTS5,
written by each build into its version directory (atomic with the store, shared by every reader).

Matching is FTS5's: ``unicode61 remove_diacritics 2`` folds case and accents ("economie" finds
"économie"), prefix indexes serve the word being typed ("medin" finds Medinsoft), and every word
must match ("belle de mai"). A label match ranks above an alternative label, which ranks above a
description; ties go to the entity more articles mention. FTS5 has no typo tolerance.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ftgraph.config import SEARCH_FILE
from ftgraph.graph.select import select
from ftgraph.vocab import FTG, ID, IS_REFERENCED_BY, PREFIXES, RDF_TYPE

RDFS, SKOS, DCTERMS, OWL = (PREFIXES[p] for p in ("rdfs", "skos", "dcterms", "owl"))

FIELDS: dict[str, tuple[str, ...]] = {
    "label": (RDFS + "label", SKOS + "prefLabel", DCTERMS + "title"),
    "alt": (SKOS + "altLabel",),
    "description": (
        DCTERMS + "description",
        RDFS + "comment",
        SKOS + "definition",
        SKOS + "scopeNote",
    ),
}
"""What each indexed column holds, in rank order (label, then alternative label, then description)."""

OTHER_KINDS = {
    SKOS + "Concept": "Concept",
    OWL + "Class": "Class",
    OWL + "ObjectProperty": "Property",
    OWL + "DatatypeProperty": "Property",
}
"""Kinds of document besides the ftg: classes (whose local names are kinds: Organisation, Person…)."""

SCHEMA = """
CREATE TABLE entity (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    articles INTEGER NOT NULL,
    labels TEXT NOT NULL,   -- JSON {language: label}, "" for no language
    sources TEXT NOT NULL   -- JSON [article IRI]
);
CREATE INDEX entity_kind ON entity (kind);
CREATE VIRTUAL TABLE doc USING fts5 (
    label, alt, description,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3 4'
);
"""


@dataclass
class _Document:
    kinds: set[str] = field(default_factory=set)
    text: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    labels: dict[str, str] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)


def _indexed(iri: str) -> bool:
    return iri.startswith(ID) or iri.startswith(FTG)


def _documents(store: ox.Store) -> dict[str, _Document]:
    """Every entity and ontology term with a name, read from the union default graph."""
    docs: dict[str, _Document] = defaultdict(_Document)
    column = {p: name for name, preds in FIELDS.items() for p in preds}
    values = " ".join(f"<{p}>" for p in column)
    for row in select(
        store,
        f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {values} }} ?s ?p ?o "
        "FILTER(isIRI(?s) && isLiteral(?o)) }",
    ):
        s, p, o = row["s"], row["p"], row["o"]
        if not (isinstance(s, ox.NamedNode) and isinstance(o, ox.Literal) and _indexed(s.value)):
            continue
        assert isinstance(p, ox.NamedNode)
        doc = docs[s.value]
        name = column[p.value]
        doc.text[name].append(o.value)
        if name == "label":
            doc.labels.setdefault(o.language or "", o.value)
    supers: dict[str, set[str]] = defaultdict(set)
    for row in select(store, f"SELECT ?c ?d WHERE {{ ?c <{RDFS}subClassOf> ?d }}"):
        c, d = row["c"], row["d"]
        if isinstance(c, ox.NamedNode) and isinstance(d, ox.NamedNode):
            supers[c.value].add(d.value)
    for row in select(store, f"SELECT ?s ?c WHERE {{ ?s <{RDF_TYPE.value}> ?c }}"):
        s, c = row["s"], row["c"]
        known = isinstance(s, ox.NamedNode) and s.value in docs and isinstance(c, ox.NamedNode)
        if known and (c.value.startswith(FTG) or c.value in OTHER_KINDS):
            docs[s.value].kinds.add(c.value)
    for row in select(store, f"SELECT ?s ?g WHERE {{ ?s <{IS_REFERENCED_BY.value}> ?g }}"):
        s, g = row["s"], row["g"]
        if isinstance(s, ox.NamedNode) and s.value in docs and isinstance(g, ox.NamedNode):
            docs[s.value].sources.add(g.value)
    for doc in docs.values():
        # The most specific kind: drop any class that is a superclass of another of its classes.
        doc.kinds -= {d for c in doc.kinds for d in supers.get(c, ())}
    return docs


def kind_name(classes: set[str]) -> str:
    """The document's kind: a ftg: class's local name, else Concept, Class or Property."""
    names = sorted(c[len(FTG) :] for c in classes if c.startswith(FTG))
    if names:
        return names[0]
    others = sorted(OTHER_KINDS[c] for c in classes if c in OTHER_KINDS)
    return others[0] if others else "Thing"


def write_index(store: ox.Store, version_path: Path) -> int:
    """Build ``version_path/search.sqlite``; the number of documents."""
    docs = _documents(store)
    path = version_path / SEARCH_FILE
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)

        def rows() -> Iterator[tuple[int, str, str, int, str, str]]:
            for i, (iri, doc) in enumerate(sorted(docs.items()), start=1):
                yield (
                    i,
                    iri,
                    kind_name(doc.kinds),
                    len(doc.sources),
                    json.dumps(doc.labels, ensure_ascii=False),
                    json.dumps(sorted(doc.sources)),
                )

        db.executemany("INSERT INTO entity VALUES (?, ?, ?, ?, ?, ?)", rows())
        db.executemany(
            "INSERT INTO doc (rowid, label, alt, description) VALUES (?, ?, ?, ?)",
            (
                (i, *("\n".join(doc.text.get(name, ())) for name in FIELDS))
                for i, (_, doc) in enumerate(sorted(docs.items()), start=1)
            ),
        )
        db.execute("INSERT INTO doc (doc) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()
    return len(docs)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

MAX_QUERY_CHARS = 200
"""A longer ``q`` is refused (400): names are short, and each word is a term of the FTS query."""

MAX_WORDS = 12

_WORD = re.compile(r"\w+", re.UNICODE)


PROGRESS_STEPS = 1_000
"""SQLite virtual-machine steps between two looks at the deadline (about a microsecond each)."""

EXACT_BONUS = 50.0
"""Added to the score of a document one of whose names is exactly the words asked for (so the
person "Jérôme Orgeas" comes before the membership "Jérôme Orgeas, vice-président de MPM")."""


def folded(text: str) -> tuple[str, ...]:
    """The words of ``text`` as FTS5's tokenizer sees them: case and accents folded."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return tuple(_WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c))))


class SearchTimeout(Exception):
    """The search ran past its deadline (SQLite's progress handler stopped it)."""


@dataclass(frozen=True)
class Hit:
    """One result: the entity, its label in the language asked for, where the words matched."""

    iri: str
    kind: str
    label: str
    snippet: str
    """The matched text, HTML-escaped, the matched words in ``<mark>``."""
    field: str
    """``label``, ``alt`` or ``description``: the best column that matched."""
    score: float
    articles: int
    sources: tuple[str, ...]


def fts_query(q: str) -> str | None:
    """``q`` as an FTS5 query of quoted words, the last one a prefix: FTS syntax in ``q`` (quotes,
    ``*``, ``NEAR(``, ``-``, column filters) is text, never an operator. None if ``q`` has no word."""
    words = _WORD.findall(q)[:MAX_WORDS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


class Index:
    """A version's index, opened read-only; one connection per thread that searches."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True)
        db.row_factory = sqlite3.Row
        return db

    def kinds(self) -> dict[str, int]:
        """Every kind of document, with how many there are."""
        db = self.connect()
        try:
            rows = db.execute("SELECT kind, COUNT(*) FROM entity GROUP BY kind ORDER BY kind")
            return {str(r[0]): int(r[1]) for r in rows}
        finally:
            db.close()

    def labels(self, iris: list[str], lang: str = "fr") -> dict[str, str]:
        """The label of each of ``iris`` the index has (to name a result's sources)."""
        db = self.connect()
        try:
            marks = ",".join("?" * len(iris))
            rows = db.execute(f"SELECT iri, labels FROM entity WHERE iri IN ({marks})", iris)
            out = {}
            for iri, raw in rows:
                labels: dict[str, str] = json.loads(raw)
                out[str(iri)] = labels.get(lang) or next(iter(labels.values()), str(iri))
            return out
        finally:
            db.close()

    def search(
        self,
        q: str,
        *,
        kind: str | None = None,
        lang: str = "fr",
        limit: int = 10,
        deadline: float = 2.0,
    ) -> list[Hit]:
        """The best ``limit`` documents for ``q``: by column (label, alt, description), then FTS5's
        bm25, then the number of articles. Raises :class:`SearchTimeout` past ``deadline`` seconds."""
        match = fts_query(q)
        if match is None:
            return []
        wanted = folded(" ".join(_WORD.findall(q)[:MAX_WORDS]))
        stop = time.monotonic() + deadline
        db = self.connect()
        db.set_progress_handler(lambda: int(time.monotonic() > stop), PROGRESS_STEPS)
        try:
            hits: dict[int, Hit] = {}
            for tier, column in enumerate(FIELDS):
                if len(hits) >= limit:
                    break
                rows = db.execute(
                    "SELECT e.id, e.iri, e.kind, e.articles, e.labels, e.sources, doc.label, doc.alt, "
                    f"snippet(doc, {tier}, '\x02', '\x03', '…', 12) AS snip, bm25(doc) AS rank "
                    "FROM doc JOIN entity e ON e.id = doc.rowid "
                    "WHERE doc MATCH ? AND (? IS NULL OR e.kind = ?) "
                    "ORDER BY rank, e.articles DESC LIMIT ?",
                    # More candidates than asked: an exact name may be past bm25's first few.
                    (f"{{{column}}} : ({match})", kind, kind, max(4 * limit, 20)),
                )
                for r in rows:
                    if r["id"] in hits:
                        continue
                    labels: dict[str, str] = json.loads(r["labels"])
                    label = labels.get(lang) or next(iter(labels.values()), r["iri"])
                    names = r["label"] if column == "label" else r["alt"] if column == "alt" else ""
                    exact = EXACT_BONUS if wanted in {folded(n) for n in names.split("\n")} else 0.0
                    hits[r["id"]] = Hit(
                        r["iri"],
                        r["kind"],
                        label,
                        _marked(r["snip"]),
                        column,
                        round(-float(r["rank"]) + exact + 100.0 * (len(FIELDS) - tier), 3),
                        int(r["articles"]),
                        tuple(json.loads(r["sources"])),
                    )
            return sorted(hits.values(), key=lambda h: (-h.score, -h.articles, h.iri))[:limit]
        except sqlite3.OperationalError as err:
            if "interrupted" in str(err):
                raise SearchTimeout(f"search stopped at its deadline ({deadline:g} s)") from err
            raise
        finally:
            db.close()


def _marked(snippet: str) -> str:
    from html import escape

    return escape(snippet).replace("\x02", "<mark>").replace("\x03", "</mark>")


def open_index(version_path: Path) -> Index | None:
    """The index of a version directory, if the build wrote one."""
    path = version_path / SEARCH_FILE
    return Index(path) if path.is_file() else None
