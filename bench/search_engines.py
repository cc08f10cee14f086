"""SQLite FTS5 against tantivy for the name index, on the same documents and queries (issue 13).

Reads the documents from a built store (``ftgraph.store.search.documents``), builds both indexes in a
temporary directory (FTS5 as the build does; tantivy with the same folding: simple tokenizer,
lowercase, ASCII folding), and runs the same distinct queries (``bench/search.py``'s draw) on each,
in process: every word must match, the last one as a prefix, labels boosted over alternative labels
over descriptions. Prints build seconds, size on disk and p50/p90/p99 in milliseconds as JSON.

Usage: pip install tantivy && python bench/search_engines.py STORE [--queries 1000]
(tantivy is needed by this comparison only; ftgraph itself uses SQLite FTS5.)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox
import tantivy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search import percentiles, queries

from ftgraph.store.search import FIELDS, Index, _static_order, documents, write_index

BOOST = {"label": 3.0, "alt": 2.0, "description": 1.0}


def size(path: Path) -> int:
    return (
        sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        if path.is_dir()
        else path.stat().st_size
    )


def tantivy_index(docs: dict, where: Path) -> tuple[tantivy.Index, tantivy.Schema]:
    builder = tantivy.SchemaBuilder()
    for name in FIELDS:
        builder.add_text_field(name, stored=name == "label", tokenizer_name="folded")
    builder.add_text_field("iri", stored=True, tokenizer_name="raw")
    builder.add_integer_field("order", stored=True, fast=True)
    schema = builder.build()
    index = tantivy.Index(schema, path=str(where))
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )
    index.register_tokenizer("folded", analyzer)
    writer = index.writer(heap_size=256_000_000)
    for order, (iri, doc) in enumerate(sorted(docs.items(), key=_static_order), start=1):
        fields = {name: "\n".join(doc.text.get(name, ())) for name in FIELDS}
        writer.add_document(tantivy.Document(iri=iri, order=order, **fields))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index, schema


def tantivy_search(
    index: tantivy.Index, schema: tantivy.Schema, q: str, analyzer: tantivy.TextAnalyzer
) -> list[str]:
    words = [t for t in analyzer.analyze(q)][:12]
    if not words:
        return []
    per_field = [
        tantivy.Query.boost_query(
            tantivy.Query.phrase_prefix_query(schema, name, words), BOOST[name]
        )
        if len(words) > 1
        else tantivy.Query.boost_query(
            tantivy.Query.regex_query(schema, name, f"{words[0]}.*"), BOOST[name]
        )
        for name in FIELDS
    ]
    query = tantivy.Query.disjunction_max_query(per_field)
    hits = index.searcher().search(query, 10).hits
    return [index.searcher().doc(address)["iri"][0] for _, address in hits]


def timed(fn, qs: list[str]) -> dict[str, float]:
    ms = []
    for q in qs:
        started = time.perf_counter()
        fn(q)
        ms.append((time.perf_counter() - started) * 1000)
    return percentiles(ms)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    store = ox.Store.read_only(str(args.store.resolve()))
    started = time.perf_counter()
    docs = documents(store)
    extract = time.perf_counter() - started
    qs = queries(args.store.resolve() / "search.sqlite", args.queries)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        write_index(store, work)  # extracts again: subtract the extraction measured above
        fts_build = time.perf_counter() - started - extract
        fts = Index(work / "search.sqlite")
        (work / "tantivy").mkdir()
        started = time.perf_counter()
        tindex, schema = tantivy_index(docs, work / "tantivy")
        tv_build = time.perf_counter() - started
        analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
            .build()
        )
        result = {
            "documents": len(docs),
            "extract_s": round(extract, 1),
            "fts5": {
                "build_s": round(fts_build, 1),
                "bytes": size(work / "search.sqlite"),
                **timed(lambda q: fts.search(q), qs),
            },
            "tantivy": {
                "build_s": round(tv_build, 1),
                "bytes": size(work / "tantivy"),
                **timed(lambda q: tantivy_search(tindex, schema, q, analyzer), qs),
            },
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
