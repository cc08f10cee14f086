"""The dumps every build writes (N-Quads, TriG, Turtle; gzip), their index, their VoID/DCAT
description, and ``ftgraph dump``: each round-trips to exactly what the store holds."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from subprocess import CompletedProcess

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from ftgraph.config import DUMPS_DIR
from ftgraph.store.build import BuildError, build
from ftgraph.store.dumps import INDEX_FILE, read_index
from ftgraph.store.reader import open_read_only
from ftgraph.vocab import DATASET, DUMPS, META_GRAPH, PREFIXES, SOURCE

Cli = Callable[..., CompletedProcess[str]]


def stored(store: ox.Store, keep: Callable[[ox.Quad], bool] = lambda q: True) -> set[ox.Quad]:
    return {q for q in store.quads_for_pattern(None, None, None, None) if keep(q)}


def not_meta(q: ox.Quad) -> bool:
    return not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value == META_GRAPH)


def parsed(path: Path, fmt: ox.RdfFormat) -> set[ox.Quad]:
    """The dump loaded into a fresh pyoxigraph store, as the issue's consumer would."""
    fresh = ox.Store()
    fresh.load(gzip.decompress(path.read_bytes()), format=fmt)
    return stored(fresh)


def same_dataset(a: Iterable[ox.Quad], b: Iterable[ox.Quad]) -> bool:
    """Equal quads, blank nodes compared by isomorphism graph by graph (a load renames them)."""
    graphs: list[dict[str, rdflib.Graph]] = []
    for quads in (a, b):
        by_graph: dict[str, rdflib.Graph] = defaultdict(rdflib.Graph)
        for q in quads:
            line = ox.serialize([ox.Quad(*q.triple)], format=ox.RdfFormat.N_QUADS)
            assert line is not None
            by_graph[str(q.graph_name)].parse(data=line.decode(), format="nt")
        graphs.append(by_graph)
    first, second = graphs
    return first.keys() == second.keys() and all(isomorphic(first[g], second[g]) for g in first)


@pytest.fixture(scope="module")
def with_blank_node(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mini root plus a blank node, so the round trip is not only about IRIs."""
    import shutil

    from conftest import MINI

    root = tmp_path_factory.mktemp("blank") / "mini"
    shutil.copytree(MINI, root)
    path = root / "data" / "organisations.trig"
    path.write_text(
        path.read_text().replace(
            'ftg:name "Beta Labs" .',
            'ftg:name "Beta Labs" ;\n        <http://www.w3.org/2000/01/rdf-schema#seeAlso> '
            '[ <http://www.w3.org/2000/01/rdf-schema#label> "a note" ] .',
        )
    )
    store = root.parent / "store"
    build(root, store)
    return store


def test_every_build_writes_the_dumps_and_their_index(built_store: Path) -> None:
    """Each dump's size, statement count and sha256 in the index are those of the file."""
    files = read_index(built_store.resolve())
    assert [f.file for f in files] == ["ftgraph.nq.gz", "ftgraph.trig.gz", "ftgraph.ttl.gz"]
    raw = json.loads((built_store / DUMPS_DIR / INDEX_FILE).read_text())
    assert [d["kind"] for d in raw["dumps"]] == ["nq", "trig", "ttl"]
    formats = {"nq": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG, "ttl": ox.RdfFormat.TURTLE}
    for f in files:
        path = built_store / DUMPS_DIR / f.file
        data = path.read_bytes()
        assert f.bytes == len(data)
        assert f.sha256 == hashlib.sha256(data).hexdigest()
        assert f.url == DUMPS + f.file
        assert len(parsed(path, formats[f.kind])) == f.triples


def test_the_nquads_dump_is_exactly_the_store_but_its_meta_graph(built_store: Path) -> None:
    """Issue 12's test: a fresh pyoxigraph store loaded from the dump holds the served quads.

    The meta graph is the one thing left out: it describes the dumps, their checksums included.
    """
    store = open_read_only(built_store)
    dump = parsed(built_store / DUMPS_DIR / "ftgraph.nq.gz", ox.RdfFormat.N_QUADS)
    served = stored(store, not_meta)
    assert not any(isinstance(t, ox.BlankNode) for q in served for t in q), "exact: no bnodes"
    assert dump == served
    assert len(served) == len(store) - len(stored(store, lambda q: not not_meta(q)))


def test_trig_holds_the_article_graphs_and_turtle_the_union(built_store: Path) -> None:
    store = open_read_only(built_store)
    trig = parsed(built_store / DUMPS_DIR / "ftgraph.trig.gz", ox.RdfFormat.TRIG)
    articles = stored(
        store,
        lambda q: isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(SOURCE),
    )
    assert trig == articles
    ttl = parsed(built_store / DUMPS_DIR / "ftgraph.ttl.gz", ox.RdfFormat.TURTLE)
    assert ttl == stored(store, lambda q: isinstance(q.graph_name, ox.DefaultGraph))


def test_blank_nodes_round_trip_by_isomorphism(with_blank_node: Path) -> None:
    store = open_read_only(with_blank_node)
    served = stored(store, not_meta)
    assert any(isinstance(q.object, ox.BlankNode) for q in served)
    dump = parsed(with_blank_node / DUMPS_DIR / "ftgraph.nq.gz", ox.RdfFormat.N_QUADS)
    assert same_dataset(dump, served)


def test_void_describes_each_dump_as_a_dcat_distribution(built_store: Path) -> None:
    """VoID (W3C Note 2011, "RDF data dumps") ``void:dataDump``; DCAT 3 ``dcat:Distribution`` (#Class:Distribution) with
    ``dcat:byteSize`` (#Property:distribution_size, an integer), ``dcat:mediaType``
    (#Property:distribution_media_type), ``dcat:compressFormat``
    (#Property:distribution_compression_format) and ``spdx:checksum``
    (#Property:distribution_checksum: an ``spdx:Checksum``, sha256, value ``xsd:hexBinary``)."""
    store = open_read_only(built_store)
    rows = store.query(
        "PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#> "
        "PREFIX spdx: <http://spdx.org/rdf/terms#> "
        f"SELECT ?dump ?size ?sha ?media ?packed WHERE {{ GRAPH <{META_GRAPH}> {{ "
        f"<{DATASET}> void:dataDump ?dump ; a dcat:Dataset ; dcat:distribution ?d . "
        "?d a dcat:Distribution ; dcat:downloadURL ?dump ; dcat:byteSize ?size ; "
        "dcat:mediaType ?media ; dcat:compressFormat ?packed ; "
        "spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha256 ; "
        "spdx:checksumValue ?sha ] } }"
    )
    assert isinstance(rows, ox.QuerySolutions)
    found = {}
    for row in rows:
        size, sha = row["size"], row["sha"]
        assert isinstance(size, ox.Literal) and isinstance(sha, ox.Literal)
        assert size.datatype.value == PREFIXES["xsd"] + "integer"  # Oxigraph's for subtypes too
        assert sha.datatype.value == PREFIXES["xsd"] + "hexBinary"
        found[str(row["dump"].value)] = (int(size.value), sha.value, row["media"].value)
        assert (
            row["packed"].value == "https://www.iana.org/assignments/media-types/application/gzip"
        )
    files = read_index(built_store.resolve())
    assert found == {
        f.url: (f.bytes, f.sha256, "https://www.iana.org/assignments/media-types/" + f.media_type)
        for f in files
    }


def test_a_failed_build_keeps_the_previous_dumps(mini_root: Path, tmp_path: Path) -> None:
    """The dumps live in the version directory: a build that fails leaves the served ones."""
    store = tmp_path / "store"
    build(mini_root, store)
    before = read_index(store.resolve())
    (mini_root / "data" / "sources.trig").write_text(
        (mini_root / "data" / "sources.trig").read_text() + "\n# edited\n"
    )

    def refuse(version: Path) -> None:
        assert read_index(version), "the new version has its dumps before it is served"
        raise BuildError("refused before the swap")

    with pytest.raises(BuildError):
        build(mini_root, store, before_swap=refuse)
    assert read_index(store.resolve()) == before
    for f in before:
        data = (store / DUMPS_DIR / f.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f.sha256


def test_cli_dump_writes_the_served_bytes(built_store: Path, tmp_path: Path, cli: Cli) -> None:
    """``ftgraph dump -o FILE.gz`` is byte for byte the build's file; to stdout it is plain."""
    out = tmp_path / "copy.nq.gz"
    done = cli("dump", "--store", built_store, "--format", "nq", "-o", out)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (built_store / DUMPS_DIR / "ftgraph.nq.gz").read_bytes()
    assert f"wrote {out}" in done.stderr
    done = cli("dump", "--store", built_store, "--format", "ttl")
    assert done.returncode == 0, done.stderr
    fresh = ox.Store()
    fresh.load(done.stdout.encode(), format=ox.RdfFormat.TURTLE)
    store = open_read_only(built_store)
    assert stored(fresh) == stored(store, lambda q: isinstance(q.graph_name, ox.DefaultGraph))


def test_cli_dump_refuses_an_unknown_format(built_store: Path, tmp_path: Path, cli: Cli) -> None:
    done = cli("dump", "--store", built_store, "--format", "rdfxml", "-o", tmp_path / "x")
    assert done.returncode == 2
    assert "nq, trig, ttl" in done.stderr
    assert not (tmp_path / "x").exists()


def test_cli_dump_of_a_store_made_elsewhere_says_how_to_get_dumps(tmp_path: Path, cli: Cli) -> None:
    """A store directory without a build record (made by another tool) has no dumps: exit 2."""
    store = tmp_path / "elsewhere"
    db = ox.Store(str(store))
    db.add(
        ox.Quad(
            ox.NamedNode("http://example.org/s"),
            ox.NamedNode("http://example.org/p"),
            ox.Literal("o"),
        )
    )
    del db
    done = cli("dump", "--store", store, "--format", "ttl")
    assert done.returncode == 2
    assert "has no dumps" in done.stderr and "ftgraph build --force" in done.stderr


def test_cli_dump_to_an_unwritable_place_is_exit_3(built_store: Path, cli: Cli) -> None:
    done = cli("dump", "--store", built_store, "--format", "nq", "-o", "/proc/ftgraph.nq")
    assert done.returncode == 3
    assert "cannot write /proc/ftgraph.nq" in done.stderr
