"""Atomic versioned builds on real on-disk stores, including a build killed half way."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from ftgraph.config import BUILD_INFO_FILE, DERIVED_STORE_DIR
from ftgraph.graph.sources import InputError
from ftgraph.store.build import BuildError, build, ensure_built, versions_dir
from ftgraph.store.reader import open_read_only, read_build_info
from ftgraph.vocab import DATASET, FTG, META_GRAPH, ONTOLOGY_GRAPH, SOURCE

ACME = "https://w3id.org/ftgraph/id/organisation/acme"


def count(store: ox.Store, where: str) -> int:
    result = store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}", use_default_graph_as_union=True
    )
    assert isinstance(result, ox.QuerySolutions)
    n = next(iter(result))["n"]
    assert isinstance(n, ox.Literal)
    return int(n.value)


def ask(store: ox.Store, where: str) -> bool:
    return bool(store.query(f"ASK {{ {where} }}", use_default_graph_as_union=True))


def break_data(root: Path) -> None:
    """Make the mini data non-conforming (an organisation without a name)."""
    path = root / "data" / "organisations.trig"
    path.write_text(path.read_text().replace('ftg:name "Beta Labs" .', 'ftg:sector "x" .'))


def touch_data(root: Path) -> None:
    path = root / "data" / "sources.trig"
    path.write_text(path.read_text() + "\n# edited\n")


def test_build_layout_and_record(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "var" / "store"
    result = build(mini_root, store)
    assert result.built
    info = result.info
    assert store.is_symlink()
    target = store.resolve()
    assert target.parent == versions_dir(store) == tmp_path / "var" / ".store.versions"
    assert target.name.startswith(info.version[:12] + "-")
    assert not os.path.isabs(os.readlink(store)), "relative link: the parent dir can move"
    record = json.loads((target / BUILD_INFO_FILE).read_text())
    assert record == {
        "version": info.version,
        "built_at": info.built_at,
        "quads": info.quads,
        "graphs": info.graphs,
    }
    assert read_build_info(store) == info
    db = open_read_only(store)
    assert len(db) == info.quads
    graphs = {g.value for g in db.named_graphs() if isinstance(g, ox.NamedNode)}
    assert graphs == {
        ONTOLOGY_GRAPH,
        META_GRAPH,
        SOURCE + "launch-2024",
        SOURCE + "funding-2025",
    }
    assert info.graphs == 4
    meta = db.query(
        f"SELECT ?v ?m WHERE {{ GRAPH <{META_GRAPH}> {{ <{DATASET}> "
        "<http://www.w3.org/2002/07/owl#versionInfo> ?v ; "
        "<http://purl.org/dc/terms/modified> ?m } }"
    )
    assert isinstance(meta, ox.QuerySolutions)
    [row] = list(meta)
    assert isinstance(row["v"], ox.Literal) and row["v"].value == info.version
    assert isinstance(row["m"], ox.Literal)
    assert row["m"].datatype.value.endswith("#dateTime")
    assert row["m"].value == info.built_at


def test_unchanged_inputs_are_a_no_op(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    first = build(mini_root, store)
    second = build(mini_root, store)
    assert not second.built
    assert second.info == first.info
    assert store.resolve() == first.info.path
    assert len(list(versions_dir(store).iterdir())) == 1


def test_force_and_pruning_keep_the_newest_two(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    paths = [build(mini_root, store).info.path]
    paths.append(build(mini_root, store, force=True).info.path)
    assert paths[1] != paths[0]
    assert sorted(versions_dir(store).iterdir()) == sorted(paths)
    touch_data(mini_root)
    third = build(mini_root, store)
    assert third.built and third.info.version != read_build_info(paths[1]).version  # type: ignore[union-attr]
    assert sorted(versions_dir(store).iterdir()) == sorted([paths[1], third.info.path])
    assert store.resolve() == third.info.path


def test_invalid_data_leaves_the_previous_store(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    before = build(mini_root, store).info
    break_data(mini_root)
    with pytest.raises(BuildError) as info:
        build(mini_root, store)
    report = info.value.report
    assert report is not None and not report.conforms
    assert read_build_info(store) == before
    assert list(versions_dir(store).iterdir()) == [before.path]
    assert ask(open_read_only(store), f"<{ACME}> ?p ?o")


def test_syntax_error_leaves_the_previous_store(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    before = build(mini_root, store).info
    path = mini_root / "data" / "sources.trig"
    path.write_text(path.read_text() + "src:x { src:x src:y }\n")
    with pytest.raises(InputError):
        build(mini_root, store)
    assert read_build_info(store) == before


def test_killed_build_leaves_the_previous_store_usable(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    before = build(mini_root, store).info
    touch_data(mini_root)
    # A real build in its own process, told to wait once its version is complete (build's public
    # before_swap), then killed there.
    script = (
        "import sys, time; from pathlib import Path; from ftgraph.store.build import build\n"
        "def wait(path):\n"
        "    print('paused before swap', file=sys.stderr, flush=True); time.sleep(60)\n"
        "build(Path(sys.argv[1]), Path(sys.argv[2]), before_swap=wait)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(mini_root), str(store)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "paused before swap" in line, line
        # The new version is fully written at this point: only the swap is missing.
        orphans = [p for p in versions_dir(store).iterdir() if p != before.path]
        assert len(orphans) == 1 and (orphans[0] / BUILD_INFO_FILE).exists()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert read_build_info(store) == before
    db = open_read_only(store)
    assert ask(db, f"<{ACME}> a <https://w3id.org/ftgraph/ontology/Startup>")
    assert len(db) == before.quads
    # The next build completes, and the orphan of the killed one is cleaned up.
    after = build(mini_root, store)
    assert after.built and after.info.version != before.version
    assert sorted(versions_dir(store).iterdir()) == sorted([before.path, after.info.path])


def test_store_path_that_is_a_real_directory_is_refused(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    store.mkdir()
    (store / "precious").write_text("keep me")
    with pytest.raises(BuildError):
        build(mini_root, store)
    assert (store / "precious").read_text() == "keep me"


def test_ensure_built_builds_once(mini_root: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert read_build_info(store) is None
    info = ensure_built(mini_root, store)
    assert read_build_info(store) == info
    touch_data(mini_root)
    assert ensure_built(mini_root, store) == info, "serving never rebuilds behind your back"


def test_alignment_lets_superclasses_and_superproperties_find_data(mini_store: Path) -> None:
    db = open_read_only(mini_store)
    foaf = "http://xmlns.com/foaf/0.1/"
    orgs = db.query(
        f"SELECT DISTINCT ?o WHERE {{ ?o a <{foaf}Organization> }} ORDER BY ?o",
        use_default_graph_as_union=True,
    )
    assert isinstance(orgs, ox.QuerySolutions)
    assert [str(r["o"]) for r in orgs] == [f"<{ACME}>", f"<{ACME[:-4]}beta-labs>"]
    assert ask(db, f'<{ACME}> <http://www.w3.org/2000/01/rdf-schema#label> "Acme"')
    assert ask(db, f"<{ACME}> <http://www.w3.org/ns/org#hasMember> ?p")
    assert ask(db, f"?p <https://w3id.org/ftgraph/ontology/memberOf> <{ACME}>")
    # Entailed triples sit in the graph of the article stating their premise.
    graphs = db.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ <{ACME}> a <{FTG}Company> }} }} ORDER BY ?g")
    assert isinstance(graphs, ox.QuerySolutions)
    assert [str(r["g"]) for r in graphs] == [
        f"<{SOURCE}funding-2025>",
        f"<{SOURCE}launch-2024>",
    ]


def test_mentions_answer_which_articles_cite_an_entity(mini_store: Path) -> None:
    db = open_read_only(mini_store)
    result = db.query(
        f"SELECT ?a WHERE {{ <{ACME}> <http://purl.org/dc/terms/isReferencedBy> ?a }} ORDER BY ?a"
    )
    assert isinstance(result, ox.QuerySolutions)
    assert [str(r["a"]) for r in result] == [f"<{SOURCE}funding-2025>", f"<{SOURCE}launch-2024>"]


def test_default_graph_is_the_union_as_a_set(mini_store: Path) -> None:
    """A triple stated by two articles is in both graphs, and once in the default graph (an RDF merge)."""
    db = open_read_only(mini_store)
    label = f'<{ACME}> <http://www.w3.org/2000/01/rdf-schema#label> "Acme"'
    in_graphs = db.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ {label} }} }}")
    in_default = db.query(f"SELECT * WHERE {{ {label} }}")
    assert isinstance(in_graphs, ox.QuerySolutions) and isinstance(in_default, ox.QuerySolutions)
    assert len(list(in_graphs)) == 2
    assert len(list(in_default)) == 1


def test_repository_store_is_built_and_readable(built_store: Path) -> None:
    info = read_build_info(built_store)
    assert info is not None and info.quads > 0
    db = open_read_only(built_store)
    assert len(db) == info.quads
    assert db.contains_named_graph(ox.NamedNode(ONTOLOGY_GRAPH))
    assert db.contains_named_graph(ox.NamedNode(META_GRAPH))
    assert count(db, f"GRAPH <{META_GRAPH}> {{ <{DATASET}> ?p ?o }}") > 0


def test_store_holds_exactly_the_stated_derived_and_union_quads(
    built_store: Path, project_root: Path
) -> None:
    """The streamed build stores what the list-based derivation says (DESIGN.md, derived at build time).

    Named graphs: stated plus ``derive.derive`` (alignment, mentions) plus the meta graph; default graph:
    the distinct triples of all of them but the meta graph.
    """
    from endpoint.live import union_default_graph

    from ftgraph.graph.derive import derive
    from ftgraph.graph.sources import load_inputs

    inputs = load_inputs(project_root)
    named = {
        *inputs.dataset_quads(),
        *derive(
            (q for f in inputs.ontology for q in f.quads), (q for f in inputs.data for q in f.quads)
        ),
    }
    # The old way, in memory: the store normalises some literals (decimals) the same way.
    old = ox.Store()
    old.extend(named)
    old.extend(union_default_graph(named))
    meta = ox.NamedNode(META_GRAPH)
    stored = {q for q in open_read_only(built_store) if q.graph_name != meta}
    assert stored == set(old)


def test_the_build_records_exactly_what_it_derived(built_store: Path, project_root: Path) -> None:
    """The derivation record (issue 10): ``derive.derive``'s quads, in their graphs, none stated."""
    from ftgraph.graph.derive import derive
    from ftgraph.graph.sources import load_inputs

    inputs = load_inputs(project_root)
    stated = set(inputs.dataset_quads())
    expected = set(
        derive(
            (q for f in inputs.ontology for q in f.quads), (q for f in inputs.data for q in f.quads)
        )
    )
    # The store normalises some literals (decimals): compare through a store, as above.
    normalised = ox.Store()
    normalised.extend(expected - stated)
    record = open_read_only(built_store.resolve() / DERIVED_STORE_DIR)
    assert set(record) == set(normalised)
    assert len(normalised) > 0 and not stated & set(record)


def _record(ontology: list[ox.Quad], data: list[ox.Quad]) -> set[ox.Quad]:
    from ftgraph.graph.derive import derive_stream
    from ftgraph.store.build import forget_stated, recording

    record = ox.Store()
    predicates: set[ox.NamedNode] = set()
    for _ in recording(derive_stream(ontology, data), record, predicates):
        pass
    forget_stated(record, [*ontology, *data], predicates)
    return set(record)


ALIGN = ox.NamedNode(ONTOLOGY_GRAPH)
SUBPROPERTY = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subPropertyOf")
EQUIVALENT = ox.NamedNode("http://www.w3.org/2002/07/owl#equivalentProperty")
P, Q = ox.NamedNode("http://example.org/p"), ox.NamedNode("http://example.org/q")
ART, OTHER = ox.NamedNode(SOURCE + "article"), ox.NamedNode(SOURCE + "other")
X, Y = ox.NamedNode("http://example.org/x"), ox.NamedNode("http://example.org/y")


def test_the_record_holds_entailments_in_their_premise_graph() -> None:
    stated = ox.Quad(X, P, Y, ART)
    elsewhere = ox.Quad(X, Q, Y, OTHER)  # stated in another article: still derived in this one
    record = _record([ox.Quad(P, SUBPROPERTY, Q, ALIGN)], [stated, elsewhere])
    assert record == {ox.Quad(X, Q, Y, ART)}


def test_mutually_entailing_stated_quads_stay_curated() -> None:
    quads = [ox.Quad(X, P, Y, ART), ox.Quad(X, Q, Y, ART)]
    assert _record([ox.Quad(P, EQUIVALENT, Q, ALIGN)], quads) == set()


def test_a_failing_before_swap_leaves_the_previous_version_serving(
    mini_root: Path, tmp_path: Path
) -> None:
    store = tmp_path / "store"
    before = build(mini_root, store)
    assert set(before.phases) == {
        "bulk_load",
        "void",
        "dumps",
        "search",
        "meta",
        "optimize",
        "record",
    }
    touch_data(mini_root)

    def refuse(path: Path) -> None:
        assert (path / BUILD_INFO_FILE).exists()  # complete, not yet served
        raise RuntimeError("not this one")

    with pytest.raises(RuntimeError, match="not this one"):
        build(mini_root, store, before_swap=refuse)
    assert store.resolve() == before.info.path
    assert [p for p in versions_dir(store).iterdir() if p != before.info.path] == []
