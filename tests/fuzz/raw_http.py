"""A raw HTTP/1.1 client on a socket: it sends any bytes as method, target, headers and body.

httpx and h11 refuse header values such as ``a b`` hosts or non-ASCII bytes, and normalise request
targets; a fuzzer must send exactly what it generated, and report it so that it can be replayed.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass, field

RESPONSE_TIMEOUT = 60.0
"""Failure bound, in seconds, for one whole answer (the server's own deadlines are far shorter)."""

INTENDED_503_HEADER = "retry-after"
"""An overload or deadline 503 says when to come back; any other 5xx is a server bug."""


@dataclass(frozen=True)
class RawRequest:
    """One request exactly as it goes on the wire (``Content-Length`` and ``Connection`` added)."""

    method: bytes
    target: bytes
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""
    add_host: bool = True
    """Add ``Host: 127.0.0.1:PORT`` unless the headers carry a ``Host`` of their own."""

    def wire(self, port: int) -> bytes:
        """The request bytes, with ``Content-Length`` on a body and ``Connection: close``."""
        names = {name.lower() for name, _ in self.headers}
        head = [self.method + b" " + self.target + b" HTTP/1.1"]
        if self.add_host and b"host" not in names:
            head.append(b"Host: 127.0.0.1:" + str(port).encode())
        head += [name + b": " + value for name, value in self.headers]
        if self.body or self.method == b"POST":
            head.append(b"Content-Length: " + str(len(self.body)).encode())
        head.append(b"Connection: close")
        return b"\r\n".join(head) + b"\r\n\r\n" + self.body

    def describe(self, limit: int = 400) -> str:
        """A replayable, curl-like rendering: printable values as they are, others as Python bytes."""
        lines = [f"{_show(self.method, limit)} {_show(self.target, limit)}"]
        lines += [f"  -H {_show(name + b': ' + value, limit)}" for name, value in self.headers]
        if not self.add_host and not any(n.lower() == b"host" for n, _ in self.headers):
            lines.append("  (no Host header)")
        if self.body:
            lines.append(f"  --data-binary {_show(self.body, limit)} ({len(self.body)} bytes)")
        return "\n".join(lines)


@dataclass(frozen=True)
class RawResponse:
    """Status, headers (lower-case names, latin-1 values) and the (de-chunked) body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def first_line(self) -> str:
        """The start of the body, which names the error in ftgraph's ``text/plain`` answers."""
        text = self.body.decode("utf-8", errors="replace").strip()
        return text.splitlines()[0][:160] if text else ""

    @property
    def is_server_error(self) -> bool:
        """A 5xx that is not an intended 503 (overload, deadline: it carries ``Retry-After``)."""
        if self.status < 500:
            return False
        return not (self.status == 503 and INTENDED_503_HEADER in self.headers)


def _show(data: bytes, limit: int) -> str:
    cut = data[:limit]
    suffix = f"…(+{len(data) - limit} bytes)" if len(data) > limit else ""
    if all(0x20 <= b < 0x7F for b in cut) and b"'" not in cut:
        return "'" + cut.decode("ascii") + "'" + suffix
    return repr(cut) + suffix


def send(port: int, request: RawRequest, timeout: float = RESPONSE_TIMEOUT) -> RawResponse:
    """Send ``request`` on a fresh connection and read the answer until the server closes it.

    A connection closed or reset before a status line is a failure of the server (status 0).
    """
    deadline = time.monotonic() + timeout
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        # The server may answer (413, 431, 400) before it has read everything.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request.wire(port))
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
    return parse_response(bytes(received), head_only=request.method == b"HEAD")


def parse_response(data: bytes, head_only: bool = False) -> RawResponse:
    """Parse a whole HTTP/1.1 answer; interim 1xx answers are skipped."""
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep or not head.startswith(b"HTTP/1."):
            return RawResponse(0, {}, data[:2000])
        status_line, *header_lines = head.split(b"\r\n")
        parts = status_line.split(b" ", 2)
        status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        if 100 <= status < 200:
            data = rest
            continue
        headers: dict[str, str] = {}
        for line in header_lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        body = b"" if head_only else rest
        if headers.get("transfer-encoding", "").lower() == "chunked" and not head_only:
            body = _dechunk(rest)
        return RawResponse(status, headers, body)


def _dechunk(data: bytes) -> bytes:
    """Best-effort de-chunking (a deadline may cut the stream: keep what arrived)."""
    out = bytearray()
    while data:
        size_line, sep, data = data.partition(b"\r\n")
        try:
            size = int(size_line.split(b";")[0], 16)
        except ValueError:
            break
        if not sep or size == 0:
            break
        out += data[:size]
        data = data[size + 2 :]
    return bytes(out)
