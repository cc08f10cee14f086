"""Per-client admission, disconnects and client-caused errors on a live server (issue 9, findings 6, 8).

A client gets its share of the workers (``FTGRAPH_CLIENT_QUERIES``, by default all but one), a bounded
queue (``FTGRAPH_CLIENT_QUEUE``, ``FTGRAPH_QUEUE_WAIT``), then 429 with ``Retry-After`` (RFC 6585 §4).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from endpoint.conftest import example_quads
from endpoint.live import LiveServer, make_store, start_server
from ftgraph.web.admission import Admission, TooManyQueries
from ftgraph.web.app import hot_request_key
from ftgraph.web.caches import HOT_HEADER_BYTES

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
"""8·10⁹ solutions on the example store: runs until its deadline."""

FAST = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_store(tmp_path_factory.mktemp("admission") / "store", example_quads())


@pytest.fixture(scope="module")
def strict(store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One query per client, no queue: the second concurrent query is refused at once."""
    live = start_server(
        store,
        tmp_path_factory.mktemp("strict"),
        query_timeout="6",
        client_queries="1",
        client_queue="0",
    )
    yield live
    live.stop()


def _in_background(
    url: str, query: str, local: str = "127.0.0.1"
) -> tuple[threading.Thread, list[int]]:
    statuses: list[int] = []

    def run() -> None:
        transport = httpx.HTTPTransport(local_address=local)
        with httpx.Client(transport=transport, timeout=30) as client:
            statuses.append(client.get(url, params={"query": query}).status_code)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, statuses


def _wait_busy(server: LiveServer, n: int) -> None:
    for _ in range(400):
        if server.health()["busy"] == n:
            return
        time.sleep(0.025)
    raise AssertionError(f"never {n} busy: {server.health()}")


def test_a_client_over_its_share_gets_429_with_retry_after(strict: LiveServer) -> None:
    """Finding 6: two requests of one client took the whole pool."""
    thread, statuses = _in_background(strict.sparql, SLOW)
    try:
        _wait_busy(strict, 1)
        r = httpx.get(strict.sparql, params={"query": FAST}, timeout=30)
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) >= 1
        assert "FTGRAPH_CLIENT_QUERIES=1" in r.text
    finally:
        thread.join()
    assert statuses == [503]  # the slow one met its deadline


def test_another_client_still_gets_the_free_worker(strict: LiveServer) -> None:
    """The limit is per client address: 127.0.0.2 is another client on loopback."""
    thread, _ = _in_background(strict.sparql, SLOW)
    try:
        _wait_busy(strict, 1)
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as other:
            r = other.get(strict.sparql, params={"query": FAST}, timeout=30)
        assert r.status_code == 200, r.text
    finally:
        thread.join()


def test_a_disconnect_before_the_first_byte_cancels_the_query(strict: LiveServer) -> None:
    """Finding 6: a client gone before the answer started kept its worker until the deadline."""
    strict.idle_workers()
    host, port = strict.base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)))
    sock.sendall(
        f"GET /sparql?query={quote(SLOW)} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    )
    _wait_busy(strict, 1)
    sock.close()
    _wait_busy(strict, 0)  # well before the 6 s deadline (bounded by the poll, ~10 s)
    assert '"status": 499' in strict.log_text() or '"status":499' in strict.log_text()


@pytest.mark.parametrize("host", ["a b", "a\tb", "[::1", "exa mple.org:80", "x/y", "a@b"])
def test_a_host_that_is_no_authority_is_400_not_500(strict: LiveServer, host: str) -> None:
    """Finding 8: ``Host: a b`` made an invalid base IRI and a 500."""
    _, port = strict.base.rsplit(":", 1)
    with socket.create_connection(("127.0.0.1", int(port))) as sock:
        sock.sendall(f"GET /sparql?query={quote(FAST)} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        head = sock.recv(4096).decode("latin-1")
    assert head.split(" ", 2)[1] == "400", head


def test_hot_keys_are_bounded() -> None:
    """Finding 2: the hot-answer memo kept raw Accept headers of any size."""

    async def key(accept: bytes) -> object:
        scope = {
            "method": "GET",
            "scheme": "http",
            "query_string": b"query=ASK%7B%7D",
            "headers": [(b"host", b"h"), (b"accept", accept)],
        }

        async def receive() -> dict[str, object]:
            return {"type": "http.disconnect"}

        return (await hot_request_key(scope, receive))[0]

    assert asyncio.run(key(b"application/json")) is not None
    assert asyncio.run(key(b"a" * (HOT_HEADER_BYTES + 1))) is None


# --- the admission counter itself ---------------------------------------------------------------


def test_admission_queues_then_hands_the_slot_over() -> None:
    async def scenario() -> list[str]:
        adm = Admission(per_client=1, queue=1, wait=5)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        events: list[str] = []
        await adm.enter("a", deadline)
        waiter = asyncio.ensure_future(adm.enter("a", deadline))
        await asyncio.sleep(0)
        with pytest.raises(TooManyQueries):
            await adm.enter("a", deadline)  # queue of one is full
        events.append("refused")
        await adm.enter("b", deadline)  # another client is not affected
        adm.leave("a")
        await waiter
        events.append("handed over")
        adm.leave("a")
        adm.leave("b")
        events.append(f"clients={adm.clients}")
        return events

    assert asyncio.run(scenario()) == ["refused", "handed over", "clients=0"]


def test_admission_wait_is_bounded_and_cancel_leaves_no_trace() -> None:
    async def scenario() -> int:
        adm = Admission(per_client=1, queue=4, wait=0.05)
        loop = asyncio.get_running_loop()
        await adm.enter("a", loop.time() + 10)
        with pytest.raises(TooManyQueries) as err:
            await adm.enter("a", loop.time() + 10)
        assert err.value.retry_after >= 1
        cancelled = asyncio.ensure_future(adm.enter("a", loop.time() + 10))
        await asyncio.sleep(0)
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        adm.leave("a")
        return adm.clients

    assert asyncio.run(scenario()) == 0


def test_a_wait_that_ends_as_the_slot_is_freed_is_not_a_500() -> None:
    """CI found it: the timeout cancels the waiting turn at once, ``leave`` drops that turn, and the
    waiter's own clean-up must not fail on it (it raised ``ValueError``, a 500)."""

    async def scenario() -> tuple[int, int]:
        adm = Admission(per_client=1, queue=1, wait=5)
        loop = asyncio.get_running_loop()
        await adm.enter("a", loop.time() + 10)
        waiter = asyncio.ensure_future(adm.enter("a", loop.time() + 10))
        await asyncio.sleep(0)
        waiter.cancel()  # as ``asyncio.timeout_at`` does: the awaited turn is cancelled now
        adm.leave("a")  # ... and the running query ends before the waiter wakes
        with pytest.raises(asyncio.CancelledError):
            await waiter
        during = adm.clients
        await adm.enter("a", loop.time() + 10)  # the slot is free again
        adm.leave("a")
        return during, adm.clients

    assert asyncio.run(scenario()) == (0, 0)
