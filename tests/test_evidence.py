"""Every ``ftg:evidence`` quote occurs in its article (issue 12, data fix 8).

The articles stay out of the repository: ``tests/fixtures/evidence-windows.json`` holds, per article,
the hashes of every run of three to five consecutive words of the normalised text, and every
five-word window of a quote must be among its article's. A quote may elide with ``[...]``: each part
is checked on its own, a part shorter than five words only when it is the whole quote.

Regenerate the hashes after a change to the normalisation (from a checkout with ``../shared``)::

    python tests/test_evidence.py ../shared/seeds > tests/fixtures/evidence-windows.json
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WINDOWS_FILE = Path(__file__).resolve().parent / "fixtures" / "evidence-windows.json"
WINDOW = 5
ELISION = re.compile(r"\[(?:\.\.\.|…)\]")
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc`", "'"))
"""Typographic apostrophes (right and left single quotation marks, modifier letter) as ``'``."""


def words(text: str) -> list[str]:
    """Lower-case words, accents kept, apostrophes unified, punctuation and quote marks dropped."""
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES).lower()
    return re.findall(r"[\w']+", text.replace("'", "' "))


SHORTEST = 3
"""A whole quote of three or four words is checked as one window of its length."""


def digest(window: list[str]) -> str:
    return hashlib.sha256(" ".join(window).encode()).hexdigest()[:12]


def all_window_hashes(text: str) -> set[str]:
    """The hashes of every run of three, four and five consecutive words of ``text``."""
    ws = words(text)
    return {
        digest(ws[i : i + n]) for n in range(SHORTEST, WINDOW + 1) for i in range(len(ws) - n + 1)
    }


def quotes() -> list[tuple[str, str, str]]:
    """(article identifier, subject, quote) for every ``ftg:evidence`` of the built data."""
    import pyoxigraph as ox

    from ftgraph.graph.sources import load_inputs
    from ftgraph.vocab import FTG, PREFIXES

    inputs = load_inputs(REPO)
    identifier = ox.NamedNode(PREFIXES["dcterms"] + "identifier")
    evidence = ox.NamedNode(FTG + "evidence")
    ids: dict[str, str] = {}
    found = []
    for q in inputs.dataset_quads():
        if q.predicate == identifier and q.subject == q.graph_name:
            assert isinstance(q.object, ox.Literal)
            ids[str(q.graph_name)] = q.object.value
    for q in inputs.dataset_quads():
        if q.predicate == evidence:
            assert isinstance(q.object, ox.Literal)
            found.append((ids[str(q.graph_name)], str(q.subject), q.object.value))
    return sorted(found)


def missing_windows(quote: str, hashes: set[str]) -> list[str]:
    """The windows of ``quote`` its article does not contain (as text, to say what to fix)."""
    parts = [words(p) for p in ELISION.split(quote)]
    parts = [p for p in parts if p]
    if len(parts) == 1 and SHORTEST <= len(parts[0]) < WINDOW:
        return [] if digest(parts[0]) in hashes else [" ".join(parts[0])]
    if all(len(p) < WINDOW for p in parts):
        return [f"too short to check: {quote!r}"]
    return [
        " ".join(p[i : i + WINDOW])
        for p in parts
        for i in range(len(p) - WINDOW + 1)
        if digest(p[i : i + WINDOW]) not in hashes
    ]


@pytest.fixture(scope="module")
def article_hashes() -> dict[str, set[str]]:
    raw = json.loads(WINDOWS_FILE.read_text(encoding="utf-8"))
    return {article: set(hashes) for article, hashes in raw.items()}


QUOTES = quotes()


def test_there_are_quotes_of_every_article(article_hashes: dict[str, set[str]]) -> None:
    assert {article for article, _, _ in QUOTES} == set(article_hashes)


@pytest.mark.parametrize(
    ("article", "subject", "quote"),
    QUOTES,
    ids=[q[1].rsplit("/", 1)[-1].rstrip(">") for q in QUOTES],
)
def test_every_quote_occurs_in_its_article(
    article: str, subject: str, quote: str, article_hashes: dict[str, set[str]]
) -> None:
    assert missing_windows(quote, article_hashes[article]) == [], f"{subject}: {quote!r}"


def test_the_check_catches_a_misquote(article_hashes: dict[str, set[str]]) -> None:
    """The quote issue 12 found: the article says "président du cluster Medinsoft qui pilote ce projet"."""
    article = "002_67686a88bba3579f"
    good = "André Jeannerot, président du cluster Medinsoft qui pilote ce projet"
    assert missing_windows(good, article_hashes[article]) == []
    bad = "André Jeannerot, président de Medinsoft qui pilote ce projet"
    assert missing_windows(bad, article_hashes[article]) != []
    elided = "André Jeannerot, président du cluster Medinsoft [...] pilote ce projet"
    assert missing_windows(elided, article_hashes[article]) == []


if __name__ == "__main__":
    seeds = Path(sys.argv[1])
    out = {
        path.stem: sorted(all_window_hashes(path.read_text(encoding="utf-8")))
        for path in sorted(seeds.glob("*.txt"))
    }
    json.dump(out, sys.stdout, indent=0)
    sys.stdout.write("\n")
