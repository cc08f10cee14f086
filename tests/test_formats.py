"""The one table of formats (issue 10): every row stands on pyoxigraph's format, and no other module
names a pyoxigraph format or keeps a table of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ftgraph.formats import (
    ALL_FORMATS,
    DOC_FORMATS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Format,
    choose_format,
    format_from_token,
)

SRC = Path(__file__).resolve().parents[1] / "src" / "ftgraph"
OFFERS = {"results": RESULT_FORMATS, "graph": GRAPH_FORMATS, "doc": DOC_FORMATS}
"""What each route negotiates over (``/sparql`` picks results or graph by the query's form)."""


@pytest.mark.parametrize("fmt", sorted(set(ALL_FORMATS + DOC_FORMATS), key=lambda f: f.name))
def test_a_row_takes_media_type_and_label_from_pyoxigraph(fmt: Format) -> None:
    if fmt.serializer is None:
        assert fmt.name == "html"
        return
    assert fmt.media_type == fmt.serializer.media_type.split(";")[0]
    assert fmt.label == fmt.serializer.name
    assert fmt.extension == fmt.serializer.file_extension
    assert fmt.sd_iri.startswith("http://www.w3.org/ns/formats/")


@pytest.mark.parametrize("offer", sorted(OFFERS))
def test_within_one_offer_each_name_selects_one_format(offer: str) -> None:
    """A token or media type naming two formats of one offer would make ``?format=`` ambiguous."""
    seen: dict[str, str] = {}
    for fmt in OFFERS[offer]:
        for name in (*fmt.tokens, fmt.media_type, *fmt.aliases):
            assert seen.setdefault(name, fmt.name) == fmt.name, (offer, name)
            assert format_from_token(name.upper(), OFFERS[offer]) == fmt


def test_the_advertised_token_names_the_format() -> None:
    for offer in (*OFFERS.values(), ALL_FORMATS):
        for fmt in offer:
            assert format_from_token(fmt.tokens[0], offer) is fmt
    assert [f.tokens[0] for f in DOC_FORMATS] == [
        "html",
        "ttl",
        "jsonld",
        "nt",
        "rdf",
        "trig",
        "nq",
    ]


def test_browsers_get_the_page_and_rdf_clients_their_type() -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert choose_format(browser, DOC_FORMATS) is DOC_FORMATS[0]
    assert choose_format("*/*", DOC_FORMATS) is DOC_FORMATS[0]
    assert choose_format("application/n-quads", DOC_FORMATS).name == "nquads"  # type: ignore[union-attr]


def test_no_other_module_names_a_pyoxigraph_format() -> None:
    """``RdfFormat.X`` or ``QueryResultsFormat.X`` outside formats.py is a second table in the making."""
    pattern = re.compile(r"\b(RdfFormat|QueryResultsFormat)\.[A-Z_]+\b")
    offenders = [
        f"{path.relative_to(SRC)}:{n}"
        for path in sorted(SRC.rglob("*.py"))
        if path.name != "formats.py" or path.parent != SRC
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
