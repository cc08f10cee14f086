"""The dataset's downloadable forms: written by each build into its version directory (so a dump
is atomic with the store it was made from), listed in ``dumps/index.json``, described in VoID/DCAT.

Every dump is gzip-compressed, so the bytes served, their ``Range`` offsets and their sha256 never
depend on a client's ``Accept-Encoding``.
"""

from __future__ import annotations

import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from ftgraph.config import DUMPS_DIR
from ftgraph.formats import NQUADS, TRIG, TURTLE, Format
from ftgraph.graph.void import Sizes
from ftgraph.vocab import ALL_PREFIXES, DATASET, DUMPS, META_GRAPH, PREFIXES, RDF_TYPE, SOURCE

INDEX_FILE = "index.json"
"""In ``<version>/dumps/``: the list of dumps with their sizes, counts and checksums."""

COMPRESS_LEVEL = 6
"""zlib's default: at 1M, 4.7 s and 35 MB for the N-Quads dump, against 1.8 s and 50 MB at level 1."""


@dataclass(frozen=True)
class Dump:
    """One downloadable form of the dataset: a file name, its RDF format, and what it holds."""

    kind: str
    """``nq``, ``trig`` or ``ttl``: the token of ``ftgraph dump --format``."""
    format: Format
    holds: str
    """What the file contains, for people (the index page, ``dcterms:description``)."""

    @property
    def file_name(self) -> str:
        return f"ftgraph.{self.format.extension}.gz"


FORMS: tuple[Dump, ...] = (
    Dump(
        "nq",
        NQUADS,
        "every article graph, the ontology graph and the union default graph (N-Quads)",
    ),
    Dump("trig", TRIG, "the article graphs, one per source article (TriG)"),
    Dump("ttl", TURTLE, "the union default graph: every distinct triple once (Turtle)"),
)
"""The dumps every build writes. The meta graph is in none of them: it describes the dumps,
and a file cannot hold its own checksum."""

BY_KIND = {d.kind: d for d in FORMS}


@dataclass(frozen=True)
class DumpFile:
    """A dump as written: what the index, the ``/dumps/`` routes and VoID say about it."""

    kind: str
    file: str
    media_type: str
    """The RDF media type of the content, once uncompressed."""
    holds: str
    bytes: int
    triples: int
    """Statements in the file (quads for N-Quads and TriG, triples for Turtle)."""
    sha256: str

    @property
    def url(self) -> str:
        """Its persistent IRI, as VoID publishes it (a deployment maps ``BASE`` to its host)."""
        return DUMPS + self.file


def _plain_nquads(store: ox.Store, path: Path) -> None:
    """Every quad: called by the build before the meta graph exists, so it is every graph but it."""
    store.dump(str(path), NQUADS.rdf)


def _plain_turtle(store: ox.Store, path: Path) -> None:
    store.dump(str(path), TURTLE.rdf, from_graph=ox.DefaultGraph(), prefixes=dict(ALL_PREFIXES))


def _plain_trig(store: ox.Store, path: Path) -> None:
    """The article graphs in IRI order, each a ``GRAPH`` block of its Turtle (one prefix block)."""
    prefixes = dict(ALL_PREFIXES)
    graphs = sorted(
        g.value
        for g in store.named_graphs()
        if isinstance(g, ox.NamedNode) and g.value.startswith(SOURCE)
    )
    with open(path, "wb") as out:
        out.writelines(f"@prefix {p}: <{ns}> .\n".encode() for p, ns in prefixes.items())
        for graph in graphs:
            body = store.dump(format=TURTLE.rdf, from_graph=ox.NamedNode(graph), prefixes=prefixes)
            assert body is not None
            # Each graph's Turtle repeats the prefix lines first: the block holds only its triples.
            triples = b"".join(
                line for line in body.splitlines(keepends=True) if not line.startswith(b"@prefix ")
            )
            out.write(b"\nGRAPH <" + graph.encode() + b"> {\n" + triples + b"}\n")


PLAIN = {"nq": _plain_nquads, "trig": _plain_trig, "ttl": _plain_turtle}
"""How each dump is serialized: natively by pyoxigraph, to a file, which releases the GIL."""


CHUNK = 4 << 20
"""Bytes read at a time when compressing (zlib releases the GIL on chunks this large)."""


def _gzipped(src: IO[bytes]) -> Iterator[bytes]:
    """The gzip stream of ``src``, chunk by chunk (nothing held whole)."""
    packer = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    while chunk := src.read(CHUNK):
        yield packer.compress(chunk)
    yield packer.flush()


def _compress(plain: Path, target: Path) -> tuple[int, str]:
    """gzip ``plain`` into ``target`` (no name, mtime 0: the bytes depend on the content only);
    its size and sha256."""
    sha = hashlib.sha256()
    size = 0
    with open(plain, "rb") as src, open(target, "wb") as out:
        for data in _gzipped(src):
            sha.update(data)
            size += len(data)
            out.write(data)
        out.flush()
        os.fsync(out.fileno())
    return size, sha.hexdigest()


def _write_one(store: ox.Store, dump: Dump, directory: Path) -> tuple[int, str]:
    plain = directory / f".{dump.file_name.removesuffix('.gz')}"
    try:
        PLAIN[dump.kind](store, plain)
        return _compress(plain, directory / dump.file_name)
    finally:
        plain.unlink(missing_ok=True)


def write_all(store: ox.Store, version_path: Path, sizes: Sizes) -> list[DumpFile]:
    """Write every dump and the index into ``version_path/dumps``; the files written.

    Called by the build between the bulk load and the meta graph, with the counts of its VoID
    statistics. Two threads: the N-Quads dump (the largest) in one, the others in the other
    (measured at 1M in bench/RESULTS.md).
    """
    counts = {"nq": sizes.union + sizes.named, "trig": sizes.articles, "ttl": sizes.union}
    directory = version_path / DUMPS_DIR
    directory.mkdir()
    with ThreadPoolExecutor(max_workers=2) as pool:
        nquads = pool.submit(_write_one, store, BY_KIND["nq"], directory)
        others = pool.submit(
            lambda: [(d, _write_one(store, d, directory)) for d in FORMS if d.kind != "nq"]
        )
        written = {"nq": nquads.result(), **{d.kind: r for d, r in others.result()}}
    files = [
        DumpFile(
            d.kind,
            d.file_name,
            d.format.media_type,
            d.holds,
            written[d.kind][0],
            counts[d.kind],
            written[d.kind][1],
        )
        for d in FORMS
    ]
    index = directory / INDEX_FILE
    index.write_text(
        json.dumps({"dumps": [asdict(f) for f in files]}, indent=2) + "\n", encoding="utf-8"
    )
    return files


def path_of(version_path: Path, dump: Dump) -> Path | None:
    """The file of ``dump`` in a version directory, if the build wrote it."""
    path = version_path / DUMPS_DIR / dump.file_name
    return path if path.is_file() else None


def read_index(version_path: Path) -> list[DumpFile]:
    """The dumps of a version directory; none for a store not made by ``ftgraph build`` (or made
    before dumps existed)."""
    try:
        raw = json.loads((version_path / DUMPS_DIR / INDEX_FILE).read_text(encoding="utf-8"))
        return [DumpFile(**entry) for entry in raw["dumps"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


# --------------------------------------------------------------------------------------------
# VoID (void:dataDump) and DCAT 3 (dcat:Distribution with dcat:byteSize and spdx:checksum)
# --------------------------------------------------------------------------------------------

DCAT = PREFIXES["dcat"]
SPDX = PREFIXES["spdx"]
DCTERMS = PREFIXES["dcterms"]
XSD = PREFIXES["xsd"]
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
"""DCAT 3 (#Property:distribution_media_type): IANA media types, named by their IANA page."""


def describe(files: list[DumpFile], modified: str) -> list[ox.Quad]:
    """VoID and DCAT quads, in the meta graph, for the dumps of this build."""
    g = ox.NamedNode(META_GRAPH)
    ds = ox.NamedNode(DATASET)
    out = [ox.Quad(ds, RDF_TYPE, ox.NamedNode(DCAT + "Dataset"), g)]

    def add(s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        out.append(ox.Quad(s, ox.NamedNode(p), o, g))

    for f in files:
        url = ox.NamedNode(f.url)
        dist = ox.NamedNode(f"{DATASET}/distribution/{f.kind}")
        checksum = ox.NamedNode(f"{DATASET}/distribution/{f.kind}/checksum")
        add(ds, PREFIXES["void"] + "dataDump", url)
        add(ds, DCAT + "distribution", dist)
        out.append(ox.Quad(dist, RDF_TYPE, ox.NamedNode(DCAT + "Distribution"), g))
        add(dist, DCTERMS + "title", ox.Literal(f.file))
        add(dist, DCTERMS + "description", ox.Literal(f.holds, language="en"))
        add(dist, DCAT + "downloadURL", url)
        add(dist, DCAT + "accessURL", ox.NamedNode(DUMPS))
        add(dist, DCAT + "mediaType", ox.NamedNode(MEDIA_TYPES + f.media_type))
        add(dist, DCAT + "compressFormat", ox.NamedNode(MEDIA_TYPES + "application/gzip"))
        # DCAT 3 (#Property:distribution_size) suggests xsd:nonNegativeInteger; Oxigraph stores integer subtypes as
        # xsd:integer, so that is what is written (and what a query gets back either way).
        add(dist, DCAT + "byteSize", ox.Literal(str(f.bytes), datatype=_xsd("integer")))
        add(dist, DCTERMS + "modified", ox.Literal(modified, datatype=_xsd("dateTime")))
        add(dist, SPDX + "checksum", checksum)
        out.append(ox.Quad(checksum, RDF_TYPE, ox.NamedNode(SPDX + "Checksum"), g))
        add(checksum, SPDX + "algorithm", ox.NamedNode(SPDX + "checksumAlgorithm_sha256"))
        add(checksum, SPDX + "checksumValue", ox.Literal(f.sha256, datatype=_xsd("hexBinary")))
    return out


def _xsd(local: str) -> ox.NamedNode:
    return ox.NamedNode(XSD + local)
