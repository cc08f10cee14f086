"""The caches of answers: the bounded result cache (by ETag) and the hot-request memo."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from ftgraph.config import Settings
from ftgraph.formats import Format
from ftgraph.sparql.analysis import (
    QueryFacts,
)

RESULT_CACHE_ENTRY = 8 * 1024 * 1024
"""Larger answers are streamed and never cached, so the cache cannot hold a few huge answers."""

RESULT_CACHE_ENTRY_OVERHEAD = 256
"""Bytes an entry costs besides its answer (key, tuple, dict node: 206 measured with tracemalloc), so
the bound holds with many small answers too."""

_VOLATILE = re.compile(r"\b(?:RAND|NOW|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)
"""Functions whose value changes between evaluations: such queries are never cached."""


class ResultCache:
    """Bounded LRU of recent complete answers, keyed by ETag (dataset version, query, dataset,
    formats, base).

    Safe because a server serves one store version for its whole life: the store only changes by a
    rebuild into a new version directory, which a new server (a new version, new ETags) serves.
    """

    def __init__(self, max_bytes: int, max_entry: int = RESULT_CACHE_ENTRY) -> None:
        self.max_bytes = max_bytes
        self.max_entry = min(max_entry, max_bytes)
        self.size = 0
        self._entries: OrderedDict[str, tuple[Format, bytes]] = OrderedDict()

    def get(self, key: str) -> tuple[Format, bytes] | None:
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
        return hit

    def put(self, key: str, fmt: Format, body: bytes) -> None:
        if len(body) > self.max_entry or key in self._entries:
            return
        self._entries[key] = (fmt, body)
        self.size += len(body) + RESULT_CACHE_ENTRY_OVERHEAD
        while self.size > self.max_bytes:
            _, (_, old) = self._entries.popitem(last=False)
            self.size -= len(old) + RESULT_CACHE_ENTRY_OVERHEAD


def cacheable(query: str, facts: QueryFacts) -> bool:
    """Same query, same store, same answer: not with SERVICE (remote data) or volatile functions."""
    return not facts.services and _VOLATILE.search(query) is None


def _result_cache(settings: Settings) -> ResultCache | None:
    """The cache sized by ``Settings.result_cache_mb`` (``FTGRAPH_RESULT_CACHE_MB``), or None if 0."""
    size = int(settings.result_cache_mb * 1024 * 1024)
    return ResultCache(size) if size > 0 else None


HOT_REQUEST_BYTES = 8192
"""Requests up to this size (query string + body) can be answered by :class:`HotAnswers`."""

HOT_HEADER_BYTES = 512
"""Requests whose Accept, Content-Type or Host is longer are never memoised (bounded keys)."""


@dataclass(frozen=True)
class HotAnswer:
    """A complete cached answer's ETag and response head, for a request seen before."""

    etag: str
    qhash: str
    format: str
    raw_headers: list[tuple[bytes, bytes]]


class HotAnswers:
    """Bounded LRU from a raw request (method, query string, body, headers that matter) to the
    :class:`ResultCache` entry answering it, so a repeated request skips parsing and negotiation.

    It only points into the result cache: the bytes live (and are evicted) there.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[bytes, ...], HotAnswer] = OrderedDict()

    def get(self, key: tuple[bytes, ...]) -> HotAnswer | None:
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
        return hit

    def put(self, key: tuple[bytes, ...], answer: HotAnswer) -> None:
        self._entries[key] = answer
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


GZIP_MINIMUM = 1024
"""Answers this large or larger are gzipped for clients that accept it (as GZipMiddleware does)."""


def identity_headers(raw: list[tuple[bytes, bytes]], size: int | None) -> list[tuple[bytes, bytes]]:
    """Response head as sent without gzip (``size`` None: streamed): as with GZipMiddleware, an
    answer that could have been compressed varies on Accept-Encoding."""
    if size is not None and size < GZIP_MINIMUM:
        return list(raw)
    if not any(k == b"vary" for k, _ in raw):
        return [*raw, (b"vary", b"Accept-Encoding")]
    return [(k, v + b", Accept-Encoding") if k == b"vary" else (k, v) for k, v in raw]
