"""The dataset's downloadable forms: written by each build into its version directory (so a dump
is atomic with the store it was made from), listed in ``dumps/index.json``, described in VoID/DCAT.

Every dump is gzip-compressed, so the bytes served, their ``Range`` offsets and their sha256 never
depend on a client's ``Accept-Encoding``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from ftgraph.config import DUMPS_DIR
from ftgraph.formats import NQUADS, TRIG, TURTLE, Format
from ftgraph.vocab import ALL_PREFIXES, DATASET, DUMPS, META_GRAPH, PREFIXES, RDF_TYPE, SOURCE

INDEX_FILE = "index.json"
"""In ``<version>/dumps/``: the list of dumps with their sizes, counts and checksums."""

COMPRESS_LEVEL = 6
"""gzip's own default trade-off; 9 made the 1M dumps markedly slower for a few percent."""


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

    def statements(self, store: ox.Store) -> Iterator[ox.Quad] | Iterator[ox.Triple]:
        """What the dump serializes, graph by graph in a stable order."""
        if self.kind == "ttl":
            return (q.triple for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
        return _quads(store, union=self.kind == "nq", others=self.kind == "nq")


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


def _quads(store: ox.Store, *, union: bool, others: bool) -> Iterator[ox.Quad]:
    """The union default graph (if ``union``), then each article graph (and, if ``others``, the
    ontology graph and any other named graph but the meta graph), in IRI order."""
    if union:
        yield from store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    for graph in sorted(store.named_graphs(), key=lambda g: str(g)):
        if not isinstance(graph, ox.NamedNode) or graph.value == META_GRAPH:
            continue
        if others or graph.value.startswith(SOURCE):
            yield from store.quads_for_pattern(None, None, None, graph)


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


class _Hashing:
    """A binary sink that counts and hashes what passes through to ``raw``."""

    # Duck-typed: pyoxigraph and gzip only call write() and flush().
    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def _counted(items: Iterable[Any], counter: list[int]) -> Iterator[Any]:
    for item in items:
        counter[0] += 1
        yield item


def write(store: ox.Store, dump: Dump, out: IO[bytes], *, compress: bool = True) -> tuple[int, str]:
    """Serialize ``dump`` of ``store`` to ``out``; the count of statements and the sha256 of the
    bytes written (compressed, if ``compress``)."""
    sink = _Hashing(out)
    counter = [0]
    statements = _counted(dump.statements(store), counter)
    if compress:
        # mtime 0 and no file name: the bytes depend on the content only.
        with gzip.GzipFile(
            filename="", mode="wb", fileobj=sink, compresslevel=COMPRESS_LEVEL, mtime=0
        ) as gz:
            ox.serialize(statements, cast(IO[bytes], gz), dump.format.rdf, prefixes=_prefixes(dump))
    else:
        ox.serialize(statements, cast(IO[bytes], sink), dump.format.rdf, prefixes=_prefixes(dump))
    sink.flush()
    return counter[0], sink.sha.hexdigest()


def _prefixes(dump: Dump) -> dict[str, str] | None:
    """Turtle and TriG get the prefixes of the data files; N-Quads has none."""
    return None if dump.kind == "nq" else dict(ALL_PREFIXES)


def write_all(store: ox.Store, version_path: Path) -> list[DumpFile]:
    """Write every dump and the index into ``version_path/dumps``; the files written."""
    directory = version_path / DUMPS_DIR
    directory.mkdir()
    files: list[DumpFile] = []
    for dump in FORMS:
        path = directory / dump.file_name
        with open(path, "wb") as fh:
            triples, sha = write(store, dump, fh)
            fh.flush()
            os.fsync(fh.fileno())
        files.append(
            DumpFile(
                dump.kind,
                dump.file_name,
                dump.format.media_type,
                dump.holds,
                path.stat().st_size,
                triples,
                sha,
            )
        )
    index = directory / INDEX_FILE
    index.write_text(
        json.dumps({"dumps": [asdict(f) for f in files]}, indent=2) + "\n", encoding="utf-8"
    )
    return files


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
