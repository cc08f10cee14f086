"""The full-text index of names: one document per entity, ontology term and concept, in SQLite FTS5,
written by each build into its version directory (atomic with the store, shared by every reader).

Matching is FTS5's: ``unicode61 remove_diacritics 2`` folds case and accents ("economie" finds
"économie"), prefix indexes serve the word being typed ("medin" finds Medinsoft), and every word
must match ("belle de mai"). A name that is exactly the words asked for comes first; then a label
match ranks above an alternative label, which ranks above a description; ties go to the entity more
articles mention, then to the shorter name. That order is the rowid order of the index, so a search
reads the first rows of its match instead of ranking every match (bm25 over a common prefix cost
23 ms at 1M). FTS5 has no typo tolerance: when nothing matches, each word the index does not know is
replaced by its nearest indexed word (rapidfuzz's Damerau-Levenshtein over FTS5's own vocabulary).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pyoxigraph as ox
from rapidfuzz.distance import DamerauLevenshtein

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
    sources TEXT NOT NULL   -- JSON [article IRI], the first SOURCES_KEPT
);
CREATE INDEX entity_kind ON entity (kind);
CREATE TABLE name (          -- every label and alt label, folded, for exact matches
    folded TEXT NOT NULL,
    id INTEGER NOT NULL,
    tier INTEGER NOT NULL      -- 0 label, 1 alt label
);
CREATE INDEX name_folded ON name (folded);
CREATE VIRTUAL TABLE doc USING fts5 (
    label, alt, description,
    tokenize = "unicode61 remove_diacritics 2",
    prefix = '2 3 4 5 6 7 8'
);
CREATE VIRTUAL TABLE vocab USING fts5vocab (doc, row);  -- term, documents: for typo tolerance
"""


@dataclass
class _Document:
    kinds: set[str] = field(default_factory=set)
    text: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    labels: dict[str, str] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)


def _indexed(iri: str) -> bool:
    return iri.startswith(ID) or iri.startswith(FTG)


def documents(store: ox.Store) -> dict[str, _Document]:
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


SOURCES_KEPT = 10
"""Articles named per document (the count is kept whole): a concept mentioned by thousands of
articles made 800 KB answers at 1M, 45 ms each."""


def _static_order(item: tuple[str, _Document]) -> tuple[int, int, str]:
    """Rowid order: more articles first, then shorter names, then IRI. FTS5 returns matches in
    rowid order, so the first rows of a match are its best ones without ranking every match."""
    iri, doc = item
    name = doc.labels.get("fr") or next(iter(doc.labels.values()), iri)
    return (-len(doc.sources), len(name), iri)


def write_index(store: ox.Store, version_path: Path) -> int:
    """Build ``version_path/search.sqlite``; the number of documents."""
    ordered = sorted(documents(store).items(), key=_static_order)
    path = version_path / SEARCH_FILE
    db = sqlite3.connect(path)
    try:
        db.executescript(SCHEMA)
        db.executemany(
            "INSERT INTO entity VALUES (?, ?, ?, ?, ?, ?)",
            (
                (
                    i,
                    iri,
                    kind_name(doc.kinds),
                    len(doc.sources),
                    json.dumps(doc.labels, ensure_ascii=False),
                    json.dumps(sorted(doc.sources)[:SOURCES_KEPT]),
                )
                for i, (iri, doc) in enumerate(ordered, start=1)
            ),
        )
        db.executemany(
            "INSERT INTO doc (rowid, label, alt, description) VALUES (?, ?, ?, ?)",
            (
                (i, *("\n".join(doc.text.get(name, ())) for name in FIELDS))
                for i, (_, doc) in enumerate(ordered, start=1)
            ),
        )
        db.executemany(
            "INSERT INTO name VALUES (?, ?, ?)",
            (
                (" ".join(folded(text)), i, tier)
                for i, (_, doc) in enumerate(ordered, start=1)
                for tier, column in enumerate(("label", "alt"))
                for text in set(doc.text.get(column, ()))
            ),
        )
        db.execute("INSERT INTO doc (doc) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()
    return len(ordered)


# --------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------

MAX_QUERY_CHARS = 200
"""A longer ``q`` is refused (400): names are short, and each word is a term of the FTS query."""

MAX_WORDS = 12

TYPO_MIN_LETTERS = 4
"""Shorter words are never corrected (too many words are one edit from "mai" or "tech")."""

MIN_PREFIX = 2
"""A last word this long or longer is a prefix; a single character is a whole word. "1*" would merge
the postings of every number starting with 1 (31 ms at 1M); the prefix indexes start at two."""

_WORD = re.compile(r"\w+", re.UNICODE)


PROGRESS_STEPS = 1_000
"""SQLite virtual-machine steps between two looks at the deadline (about a microsecond each)."""

EXACT_BONUS = 400.0
"""Added to the score of a document one of whose names is exactly the words asked for: more than
the column tiers (100 each), so the person "Jérôme Orgeas" comes before the membership "Jérôme
Orgeas, vice-président de MPM", and "AMFT" finds the organisation whose alternative label it is."""


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
    exact: bool
    """One of its names (in ``field``) is exactly the words asked for."""
    fuzzy: bool
    """Found after correcting a typo: nothing matched the words as typed."""
    score: float
    articles: int
    """How many articles mention it."""
    sources: tuple[str, ...]
    """The first of them (at most ``SOURCES_KEPT``), by IRI."""


def fts_query(q: str) -> str | None:
    """``q`` as an FTS5 query of quoted words, the last one a prefix (from two characters): FTS syntax in ``q`` (quotes,
    ``*``, ``NEAR(``, ``-``, column filters) is text, never an operator. None if ``q`` has no word."""
    words = _WORD.findall(q)[:MAX_WORDS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    if len(words[-1]) >= MIN_PREFIX:
        quoted[-1] += "*"
    return " ".join(quoted)


class Index:
    """A version's index, opened read-only; one connection per thread that searches."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._kinds: dict[str, int] | None = None

    def connect(self) -> sqlite3.Connection:
        """This thread's connection, opened once (opening parses the schema: ~0.5 ms a search)."""
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(
                f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=True
            )
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    def kinds(self) -> dict[str, int]:
        """Every kind of document, with how many there are (read once: the index never changes)."""
        if self._kinds is None:
            rows = self.connect().execute(
                "SELECT kind, COUNT(*) FROM entity GROUP BY kind ORDER BY kind"
            )
            self._kinds = {str(r[0]): int(r[1]) for r in rows.fetchall()}
        return self._kinds

    def labels(self, iris: list[str], lang: str = "fr") -> dict[str, str]:
        """The label of each of ``iris`` the index has (to name a result's sources)."""
        marks = ",".join("?" * len(iris))
        rows = self.connect().execute(
            f"SELECT iri, labels FROM entity WHERE iri IN ({marks})", iris
        )
        out = {}
        for iri, raw in rows.fetchall():
            labels: dict[str, str] = json.loads(raw)
            out[str(iri)] = labels.get(lang) or next(iter(labels.values()), str(iri))
        return out

    def search(
        self,
        q: str,
        *,
        kind: str | None = None,
        lang: str = "fr",
        limit: int = 10,
        deadline: float = 2.0,
    ) -> list[Hit]:
        """The best ``limit`` documents for ``q``: a name that is exactly ``q`` first, then by
        column (label, alternative label, description), then by articles (the index's rowid order).
        Raises :class:`SearchTimeout` past ``deadline`` seconds."""
        match = fts_query(q)
        if match is None:
            return []
        wanted = " ".join(folded(" ".join(_WORD.findall(q)[:MAX_WORDS])))
        stop = time.monotonic() + deadline
        db = self.connect()
        db.set_progress_handler(lambda: int(time.monotonic() > stop), PROGRESS_STEPS)
        try:
            best = self._find(db, match, wanted, kind, limit)
            fuzzy = False
            if not best:
                corrected = self._corrected(db, _WORD.findall(q)[:MAX_WORDS])
                if corrected is not None:
                    match = fts_query(corrected) or match
                    wanted = " ".join(folded(corrected))
                    best, fuzzy = self._find(db, match, wanted, kind, limit), True
            return self._hits(db, best, match, lang, fuzzy)
        except sqlite3.OperationalError as err:
            if "interrupted" in str(err):
                raise SearchTimeout(f"search stopped at its deadline ({deadline:g} s)") from err
            raise
        finally:
            db.set_progress_handler(None, 0)

    @staticmethod
    def _find(
        db: sqlite3.Connection, match: str, wanted: str, kind: str | None, limit: int
    ) -> list[tuple[int, tuple[int, bool]]]:
        """The ids of the best documents, each with its tier and whether a name is exactly ``wanted``."""
        found: dict[int, tuple[int, bool]] = {}
        exact = db.execute(
            "SELECT n.id, MIN(n.tier) FROM name n JOIN entity e ON e.id = n.id "
            "WHERE n.folded = ? AND (? IS NULL OR e.kind = ?) GROUP BY n.id "
            "ORDER BY MIN(n.tier), n.id LIMIT ?",
            (wanted, kind, kind, limit),
        )
        for row_id, tier in exact:
            found[int(row_id)] = (int(tier), True)
        for tier, column in enumerate(FIELDS):
            if len(found) >= limit:
                break
            rows = db.execute(
                "SELECT doc.rowid FROM doc JOIN entity e ON e.id = doc.rowid "
                "WHERE doc MATCH ? AND (? IS NULL OR e.kind = ?) LIMIT ?",
                (f"{{{column}}} : ({match})", kind, kind, limit),
            )
            for (row_id,) in rows:
                found.setdefault(int(row_id), (tier, False))
        return sorted(found.items(), key=lambda f: (not f[1][1], f[1][0], f[0]))[:limit]

    @staticmethod
    def _corrected(db: sqlite3.Connection, words: list[str]) -> str | None:
        """``words`` with each one the index does not know replaced by its nearest indexed word
        (Damerau-Levenshtein, 1 edit from 4 letters, 2 from 8, same first letter, the most used
        first); None if no word needed or found a correction."""
        out, changed = [], False
        for word in words:
            term = " ".join(folded(word))
            known = db.execute("SELECT 1 FROM vocab WHERE term = ?", (term,)).fetchone()
            if known or len(term) < TYPO_MIN_LETTERS:
                out.append(word)
                continue
            edits = 1 if len(term) < 8 else 2
            candidates = db.execute(
                "SELECT term, doc FROM vocab WHERE term >= ? AND term < ? "
                "AND length(term) BETWEEN ? AND ?",
                (term[0], term[0] + "\uffff", len(term) - edits, len(term) + edits),
            ).fetchall()
            near = [
                (DamerauLevenshtein.distance(term, str(t), score_cutoff=edits), -int(n), str(t))
                for t, n in candidates
            ]
            near = [c for c in near if c[0] <= edits]
            if not near:
                out.append(word)
                continue
            out.append(min(near)[2])
            changed = True
        return " ".join(out) if changed else None

    def _hits(
        self,
        db: sqlite3.Connection,
        best: list[tuple[int, tuple[int, bool]]],
        match: str,
        lang: str,
        fuzzy: bool = False,
    ) -> list[Hit]:
        """The chosen documents with their labels and a snippet of the column that matched."""
        if not best:
            return []
        ids = [i for i, _ in best]
        marks = ",".join("?" * len(ids))
        entities = {
            int(r["id"]): r for r in db.execute(f"SELECT * FROM entity WHERE id IN ({marks})", ids)
        }
        snippets: dict[tuple[int, int], str] = {}
        for tier in {t for _, (t, _) in best}:
            for r in db.execute(
                f"SELECT rowid, snippet(doc, {tier}, '\x02', '\x03', '…', 12) FROM doc "
                f"WHERE doc MATCH ? AND rowid IN ({marks})",
                (match, *ids),
            ):
                snippets[(int(r[0]), tier)] = str(r[1])
        total = max(ids) + 1
        hits = []
        for row_id, (tier, exact) in best:
            e = entities[row_id]
            labels: dict[str, str] = json.loads(e["labels"])
            score = 100.0 * (len(FIELDS) - tier) + (EXACT_BONUS if exact else 0.0)
            hits.append(
                Hit(
                    e["iri"],
                    e["kind"],
                    labels.get(lang) or next(iter(labels.values()), e["iri"]),
                    _marked(snippets.get((row_id, tier), "")),
                    tuple(FIELDS)[tier],
                    exact,
                    fuzzy,
                    round(score + 1.0 - row_id / total, 4),
                    int(e["articles"]),
                    tuple(json.loads(e["sources"])),
                )
            )
        return hits


def _marked(snippet: str) -> str:
    return escape(snippet).replace("\x02", "<mark>").replace("\x03", "</mark>")


def open_index(version_path: Path) -> Index | None:
    """The index of a version directory, if the build wrote one."""
    path = version_path / SEARCH_FILE
    return Index(path) if path.is_file() else None
