"""Limits of the HTTP layer (issue 9, findings 2 and 10): head size, head and idle timeouts, SIGTERM.

Each test talks to a real uvicorn server through a raw socket or httpx: these limits live below the
app, in the protocol (:mod:`ftgraph.web.http_limits`) and in uvicorn's own settings.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from endpoint.conftest import example_quads
from endpoint.live import LiveServer, make_store, start_server

HEAD_LIMIT = 4096


@pytest.fixture(scope="module")
def tight(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with small head limits and short timeouts, so each limit is reached quickly."""
    tmp = tmp_path_factory.mktemp("http-limits")
    store = make_store(tmp / "store", example_quads())
    live = start_server(
        store,
        tmp,
        max_header_bytes=str(HEAD_LIMIT),
        header_timeout="1",
        keep_alive_timeout="1",
    )
    yield live
    live.stop()


def connect(server: LiveServer) -> socket.socket:
    host, port = server.base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = b""
    while chunk := sock.recv(65536):
        out += chunk
    return out


def test_a_head_over_the_limit_is_a_431_and_the_server_stays_small(tight: LiveServer) -> None:
    """RFC 6585 section 5: 431 Request Header Fields Too Large, then the connection closes."""
    r = httpx.get(tight.base + "/health", headers={"Accept": "x" * (HEAD_LIMIT * 4)}, timeout=10)
    assert r.status_code == 431
    assert "FTGRAPH_MAX_HEADER_BYTES" in r.text
    assert httpx.get(tight.base + "/health", timeout=10).status_code == 200


def test_a_huge_header_sent_slowly_is_cut_at_the_limit(tight: LiveServer) -> None:
    """The head is refused as soon as it passes the limit, not buffered to its end (8 MB Accept)."""
    with connect(tight) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nAccept: ")
        try:
            for _ in range(2048):  # 8 MB if the server kept reading
                sock.sendall(b"a" * 4096)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            answer = read_all(sock)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 ")


def test_a_head_just_under_the_limit_is_served(tight: LiveServer) -> None:
    filler = "a" * (HEAD_LIMIT - 200)
    r = httpx.get(tight.base + "/health", headers={"X-Filler": filler}, timeout=10)
    assert r.status_code == 200


def test_a_post_whose_body_arrives_with_its_head_is_not_mistaken_for_a_big_head(
    tight: LiveServer,
) -> None:
    """Body bytes in the head's packet do not count as head bytes."""
    body = "query=" + "%20" * (HEAD_LIMIT * 3) + "ASK%7B%7D"
    r = httpx.post(
        tight.sparql,
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert r.status_code == 200, r.text


def test_a_head_not_finished_in_time_gets_408_and_is_closed(tight: LiveServer) -> None:
    """Slowloris: a partial head; RFC 9110 section 15.5.9, 408 Request Timeout."""
    with connect(tight) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert b"FTGRAPH_HEADER_TIMEOUT" in answer
    assert time.monotonic() - started < 8


def test_a_connection_that_sends_nothing_is_closed(tight: LiveServer) -> None:
    with connect(tight) as sock:
        assert read_all(sock) == b""


def test_an_idle_keep_alive_connection_is_closed(tight: LiveServer) -> None:
    with connect(tight) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_all(sock)  # the answer, then the close once keep-alive expires
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_slow_heads_do_not_block_other_clients(tight: LiveServer) -> None:
    socks = [connect(tight) for _ in range(20)]
    try:
        for s in socks:
            s.sendall(b"GET /health HTTP/1.1\r\n")
        assert httpx.get(tight.base + "/health", timeout=10).status_code == 200
    finally:
        for s in socks:
            s.close()


CROSS = "SELECT * WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
"""Billions of rows: its stream is still going when the server is told to stop."""


def test_sigterm_cuts_a_stream_with_the_incomplete_marker_and_no_traceback(
    tmp_path: Path,
) -> None:
    store = make_store(tmp_path / "store", example_quads())
    live = start_server(store, tmp_path, drain_seconds="1")
    received = bytearray()
    errors: list[BaseException] = []

    def stream() -> None:
        try:
            with httpx.stream(
                "GET",
                live.sparql,
                params={"query": CROSS},
                headers={"Accept": "text/csv", "Accept-Encoding": "identity"},
                timeout=30,
            ) as r:
                for chunk in r.iter_raw():
                    received.extend(chunk[-4096:])
                    del received[:-8192]
        except httpx.HTTPError as e:
            errors.append(e)

    reader = threading.Thread(target=stream)
    reader.start()
    deadline = time.monotonic() + 20
    while len(received) == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert received, "the stream did not start"
    live.proc.send_signal(signal.SIGTERM)
    assert live.proc.wait(20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    reader.join(20)
    assert b"server shutting down; this answer is INCOMPLETE" in bytes(received)
    assert errors and isinstance(errors[0], httpx.RemoteProtocolError)  # no clean chunked end
    log = live.log_text()
    assert "Traceback" not in log and "CancelledError" not in log, log[-3000:]


def test_sigterm_lets_an_answer_in_flight_finish_within_the_drain(tmp_path: Path) -> None:
    """The listener closes at once, but an answer already being computed still gets out."""
    store = make_store(tmp_path / "store", example_quads())
    live = start_server(store, tmp_path, drain_seconds="20")
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d FILTER (?b != ?d) }"
    answers: list[httpx.Response] = []
    reader = threading.Thread(
        target=lambda: answers.append(
            httpx.get(
                live.sparql, params={"query": slow}, headers={"Accept": "text/csv"}, timeout=30
            )
        )
    )
    reader.start()
    time.sleep(0.3)
    live.proc.send_signal(signal.SIGTERM)
    reader.join(30)
    assert live.proc.wait(20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it handled
    assert answers and answers[0].status_code == 200
    assert answers[0].text.splitlines()[1].isdigit()
    assert "Traceback" not in live.log_text()
