"""The full-text index the build writes (``store/search.py``): matching, ranking, kinds, hostile
queries and the deadline, on the index of the store built from the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from ftgraph.store.search import Index, SearchTimeout, fts_query, open_index
from ftgraph.vocab import FTG, ID

GOLDEN = {
    "medinsoft": ID + "organisation/medinsoft",
    "MEDINSOFT": ID + "organisation/medinsoft",
    "medin": ID + "organisation/medinsoft",
    "economie": ID + "organisation/ministere-economie",
    "belle de mai": ID + "place/belle-de-mai",
    "Télécom": ID + "organisation/avenir-telecom",
    "telecom": ID + "organisation/avenir-telecom",
    "tech for good": ID + "concept/sector/tech-for-good",
    "Jérome Orgeas": ID + "person/jerome-orgeas",
}
"""Issue 13's queries (and two of ours), each with the entity that must come first."""

HOSTILE = [
    '"',
    "*",
    "NEAR(",
    "-",
    "a OR b",
    "label: x",
    '"unclosed',
    "^start",
    "x AND",
    "()",
    "\\",
    "'; DROP",
]


@pytest.fixture(scope="module")
def index(built_store: Path) -> Index:
    found = open_index(built_store.resolve())
    assert found is not None, "every build writes the search index"
    return found


@pytest.mark.parametrize(("q", "first"), GOLDEN.items(), ids=list(GOLDEN))
def test_the_expected_entity_comes_first(index: Index, q: str, first: str) -> None:
    hits = index.search(q)
    assert hits and hits[0].iri == first, [h.iri for h in hits]


def test_accents_case_prefix_and_several_words(index: Index) -> None:
    """ "economie" finds "économie", "medin" is a prefix of Medinsoft, every word must match."""
    assert any("conomie" in h.label for h in index.search("economie"))
    assert index.search("medin")[0].label == "Medinsoft"
    assert [h.iri for h in index.search("belle mai de")][:1] == [ID + "place/belle-de-mai"]
    assert index.search("belle de marseille-nowhere") == []


def test_a_label_ranks_above_an_alternative_label_and_a_description(index: Index) -> None:
    """AMFT is exactly Aix-Marseille French Tech's skos:altLabel: an exact name comes first; then
    the membership whose label contains the word; descriptions come after every label match."""
    hits = index.search("AMFT")
    assert [(h.iri, h.field) for h in hits[:2]] == [
        (ID + "organisation/aix-marseille-french-tech", "alt"),
        (ID + "membership/andre-jeannerot-amft-governance", "label"),
    ]
    hits = index.search("numérique", limit=50)
    exact = [h for h in hits if h.exact]
    assert exact and hits[: len(exact)] == exact
    tiers = [("label", "alt", "description").index(h.field) for h in hits[len(exact) :]]
    assert tiers == sorted(tiers) and len(set(tiers)) == 3
    scores = [h.score for h in index.search("numérique", limit=50)]
    assert scores == sorted(scores, reverse=True)


def test_an_exact_name_comes_before_longer_names(index: Index) -> None:
    """Both match in their labels; the one whose name is exactly the words asked for is first."""
    hits = index.search("jérôme orgeas")
    assert [h.iri for h in hits] == [
        ID + "person/jerome-orgeas",
        ID + "membership/jerome-orgeas-vice-president-mpm",
    ]


def test_the_snippet_marks_the_match_and_escapes_the_rest(index: Index) -> None:
    hit = index.search("medinsoft")[0]
    assert hit.snippet == "<mark>Medinsoft</mark>"
    assert hit.sources and all(s.startswith(ID + "source/") for s in hit.sources)
    assert hit.articles == len(hit.sources)


def test_kind_filters_and_kinds_are_counted(index: Index) -> None:
    kinds = index.kinds()
    assert {"Organisation", "Person", "Concept", "Class", "Property", "Prize"} <= set(kinds)
    people = index.search("jeannerot", kind="Person")
    assert [h.iri for h in people] == [ID + "person/andre-jeannerot"]
    assert all(h.kind == "Membership" for h in index.search("jeannerot", kind="Membership"))


def test_ontology_terms_and_concepts_are_documents(index: Index) -> None:
    assert (
        index.search("accelerator programme", kind="Class")[0].iri == FTG + "AcceleratorProgramme"
    )
    assert index.search("tech champion")[0].kind == "Concept"


def test_the_label_comes_in_the_language_asked_for(index: Index) -> None:
    assert index.search("accélérateur", kind="Class", lang="fr")[0].label == "accélérateur"
    assert index.search("accélérateur", kind="Class", lang="en")[0].label == "accelerator"
    assert index.search("medinsoft", lang="de")[0].label == "Medinsoft"  # falls back


@pytest.mark.parametrize("q", HOSTILE)
def test_fts_syntax_in_q_is_text(index: Index, q: str) -> None:
    """Quotes, ``*``, ``NEAR(``, ``-``, column filters: words to look for, never FTS5 operators."""
    index.search(q)  # no sqlite3.OperationalError
    query = fts_query(q)
    assert query is None or all(part.startswith('"') for part in query.split(" "))


def test_a_search_past_its_deadline_is_stopped(index: Index) -> None:
    with pytest.raises(SearchTimeout):
        index.search("de la", deadline=-1.0, limit=50)  # common words: many steps


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("medinsfot", ID + "organisation/medinsoft"),  # two letters swapped
        ("jeanerot", ID + "person/andre-jeannerot"),  # one missing
        ("belle de maï", ID + "place/belle-de-mai"),  # an accent the name does not have
        ("voyage prvé", ID + "organisation/voyage-prive"),
    ],
)
def test_a_typo_is_corrected_when_nothing_matches(index: Index, q: str, first: str) -> None:
    hits = index.search(q)
    assert hits and hits[0].iri == first, [h.iri for h in hits]


def test_typo_correction_only_when_nothing_matches(index: Index) -> None:
    assert all(not h.fuzzy for h in index.search("medinsoft"))
    assert all(h.fuzzy for h in index.search("medinsfot"))
    assert index.search("zzzzqqqq") == []
    assert index.search("mdi") == []  # under four letters: never corrected
