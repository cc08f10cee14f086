"""``/dumps/`` on the real server: the index page, the JSON listing, the files (RFC 9110 ranges and
conditional requests), and the links to them from VoID, the Service Description and the home page."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib

from endpoint.live import LiveServer
from ftgraph.config import DUMPS_DIR
from ftgraph.store.reader import open_read_only
from ftgraph.vocab import DATASET, META_GRAPH

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
NQ = "/dumps/ftgraph.nq.gz"


@pytest.fixture(scope="module")
def listing(real_server: LiveServer) -> dict[str, dict[str, object]]:
    r = httpx.get(real_server.base + "/dumps/index.json")
    assert r.status_code == 200
    return {str(d["file"]): d for d in r.json()["dumps"]}


def test_the_listing_names_each_file_with_its_url_size_and_checksum(
    real_server: LiveServer, listing: dict[str, dict[str, object]], built_store: Path
) -> None:
    assert sorted(listing) == ["ftgraph.nq.gz", "ftgraph.trig.gz", "ftgraph.ttl.gz"]
    for name, entry in listing.items():
        assert entry["url"] == f"{real_server.base}/dumps/{name}"
        r = httpx.get(str(entry["url"]), headers={"accept-encoding": "gzip"})
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/gzip"
        assert "content-encoding" not in r.headers, "the file is sent as is, never re-encoded"
        assert len(r.content) == entry["bytes"]
        assert hashlib.sha256(r.content).hexdigest() == entry["sha256"]
        assert r.content == (built_store / DUMPS_DIR / name).read_bytes()


def test_the_nquads_download_loads_to_exactly_the_served_quads(
    real_server: LiveServer, built_store: Path
) -> None:
    """Issue 12: downloaded and loaded into a fresh pyoxigraph store, the N-Quads dump holds the
    quads of the served store (all but the meta graph, which describes the dumps)."""
    fresh = ox.Store()
    fresh.load(
        gzip.decompress(httpx.get(real_server.base + NQ).content), format=ox.RdfFormat.N_QUADS
    )
    served = open_read_only(built_store)
    meta = ox.NamedNode(META_GRAPH)
    expected = {q for q in served.quads_for_pattern(None, None, None, None) if q.graph_name != meta}
    assert set(fresh.quads_for_pattern(None, None, None, None)) == expected


def test_etag_is_the_sha256_and_a_match_is_304(
    real_server: LiveServer, listing: dict[str, dict[str, object]]
) -> None:
    """RFC 9110 §13.1.2 If-None-Match; §15.4.5: the 304 carries the ETag and Cache-Control."""
    sha = listing["ftgraph.nq.gz"]["sha256"]
    r = httpx.get(real_server.base + NQ, headers={"if-none-match": f'"{sha}"'})
    assert r.status_code == 304
    assert r.content == b""
    assert r.headers["etag"] == f'"{sha}"'
    assert r.headers["cache-control"].startswith("public")
    other = httpx.get(real_server.base + NQ, headers={"if-none-match": '"not-it"'})
    assert other.status_code == 200


def test_a_range_request_gets_206_with_those_bytes(
    real_server: LiveServer, listing: dict[str, dict[str, object]]
) -> None:
    """RFC 9110 §14.2 Range, §15.3.7 206 Partial Content with Content-Range (§14.4)."""
    full = httpx.get(real_server.base + NQ).content
    size = len(full)
    r = httpx.get(real_server.base + NQ, headers={"range": "bytes=10-109"})
    assert r.status_code == 206
    assert r.headers["content-range"] == f"bytes 10-109/{size}"
    assert r.content == full[10:110]
    tail = httpx.get(real_server.base + NQ, headers={"range": "bytes=-16"})
    assert tail.status_code == 206
    assert tail.content == full[-16:]
    # §13.1.5 If-Range: the range only if the representation is still the one named.
    etag = f'"{listing["ftgraph.nq.gz"]["sha256"]}"'
    same = httpx.get(real_server.base + NQ, headers={"range": "bytes=0-9", "if-range": etag})
    assert (same.status_code, same.content) == (206, full[:10])
    changed = httpx.get(real_server.base + NQ, headers={"range": "bytes=0-9", "if-range": '"x"'})
    assert (changed.status_code, changed.content) == (200, full)


def test_a_range_past_the_end_is_416(real_server: LiveServer) -> None:
    """RFC 9110 §15.5.17: 416 with ``Content-Range: bytes */size``."""
    size = len(httpx.get(real_server.base + NQ).content)
    r = httpx.get(real_server.base + NQ, headers={"range": f"bytes={size + 10}-"})
    assert r.status_code == 416
    assert r.headers["content-range"] == f"bytes */{size}"


def test_head_and_the_digest_header(
    real_server: LiveServer, listing: dict[str, dict[str, object]]
) -> None:
    """HEAD has the headers of GET and no body; ``Repr-Digest`` (RFC 9530 §3) is the sha256."""
    import base64

    r = httpx.head(real_server.base + NQ)
    assert r.status_code == 200
    assert r.content == b""
    assert int(r.headers["content-length"]) == listing["ftgraph.nq.gz"]["bytes"]
    assert r.headers["accept-ranges"] == "bytes"
    digest = base64.b64encode(bytes.fromhex(str(listing["ftgraph.nq.gz"]["sha256"]))).decode()
    assert r.headers["repr-digest"] == f"sha-256=:{digest}:"


@pytest.mark.parametrize(
    "path", ["/dumps/nope.nq.gz", "/dumps/index.json.gz", "/dumps/..%2fftgraph-build.json"]
)
def test_anything_else_under_dumps_is_404(real_server: LiveServer, path: str) -> None:
    r = httpx.get(real_server.base + path)
    assert r.status_code == 404


def test_the_index_page_lists_the_dumps(
    real_server: LiveServer, listing: dict[str, dict[str, object]]
) -> None:
    r = httpx.get(real_server.base + "/dumps/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "content-security-policy" in r.headers
    for name, entry in listing.items():
        assert f'href="/dumps/{name}"' in r.text
        assert str(entry["sha256"]) in r.text
    assert '<link rel="alternate" type="application/json" href="/dumps/index.json">' in r.text
    moved = httpx.get(real_server.base + "/dumps")
    assert (moved.status_code, moved.headers["location"]) == (301, "/dumps/")


def test_void_and_the_service_description_link_the_dumps(
    real_server: LiveServer, listing: dict[str, dict[str, object]]
) -> None:
    void = rdflib.Graph().parse(
        data=httpx.get(
            real_server.base + "/.well-known/void", headers={"accept": "text/turtle"}
        ).content,
        format="turtle",
    )
    dataset = rdflib.URIRef(DATASET)
    dumps = set(void.objects(dataset, VOID.dataDump))
    assert {str(d).rsplit("/", 1)[1] for d in dumps} == set(listing)
    sizes = {
        int(s)
        for d in void.objects(dataset, DCAT.distribution)
        for s in void.objects(d, DCAT.byteSize)
    }
    assert sizes == {int(str(e["bytes"])) for e in listing.values()}
    sd = rdflib.Graph().parse(
        data=httpx.get(real_server.sparql, headers={"accept": "text/turtle"}).content,
        format="turtle",
    )
    assert {str(o) for o in sd.objects(None, VOID.dataDump)} == {
        str(e["url"]) for e in listing.values()
    }


def test_the_home_page_links_the_dumps(real_server: LiveServer) -> None:
    assert 'href="/dumps/"' in httpx.get(real_server.base + "/").text


@pytest.mark.parametrize(
    ("range_", "statuses"),
    [
        ("items=0-9", {200}),  # RFC 9110 §14.2: a range unit the server does not know is ignored
        ("bytes=abc", {400}),  # an invalid ranges-specifier may be rejected
        ("bytes=9-2", {400}),
        ("bytes=0-1,4-6", {206}),  # several ranges: multipart/byteranges (§14.6)
        ("bytes=" + ",".join(f"{i}-{i}" for i in range(0, 808, 8)), {200, 206, 400}),  # 101 ranges
        ("bytes=99999999999999999999-", {416}),
        ("bytes=-0", {416}),
        ("bytes=0-" + "9" * 2000, {200, 206, 400, 431}),
    ],
)
def test_hostile_ranges_get_a_4xx_or_are_ignored_never_a_5xx(
    real_server: LiveServer, range_: str, statuses: set[int]
) -> None:
    r = httpx.get(real_server.base + NQ, headers={"range": range_})
    assert r.status_code in statuses, (r.status_code, r.text[:200])
    if r.status_code == 206 and "," in range_:
        assert r.headers["content-type"].startswith("multipart/byteranges; boundary=")


def test_a_very_long_dump_name_is_404(real_server: LiveServer) -> None:
    assert httpx.get(real_server.base + "/dumps/" + "x" * 3000).status_code == 404
