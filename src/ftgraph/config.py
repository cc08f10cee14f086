"""Settings of every ftgraph command: ``FTGRAPH_*`` environment variables, mirrored by CLI flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

BUILD_INFO_FILE = "ftgraph-build.json"
"""The record a complete build writes into its version directory (version, time, counts); a store
without it was not made by ``ftgraph build``."""

DERIVED_STORE_DIR = "derived"
"""In each version directory: a store holding exactly the quads the build derived (alignment
entailments, article mentions), each in the graph of its premise, so pages never re-guess them."""


SEARCH_FILE = "search.sqlite"
"""In each version directory: the SQLite FTS5 index of names (``store/search.py``)."""

DUMPS_DIR = "dumps"
"""In each version directory: the dataset's dumps (N-Quads, TriG, Turtle, gzip) and their index."""


def default_store() -> Path:
    """Store under the user's data directory, so a fresh laptop needs no configuration."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ftgraph" / "store"


def default_root() -> Path:
    """The checkout holding ``ontology/``, ``data/``, ``shapes/``, ``queries/``.

    Walks up from the current directory; an installed wheel falls back to its bundled copy.
    """
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if (candidate / "ontology").is_dir() and (candidate / "data").is_dir():
            return candidate
    bundled = Path(__file__).resolve().parent / "_bundled"
    if (bundled / "ontology").is_dir():
        return bundled
    # Editable install: the package lives in <checkout>/src/ftgraph.
    return Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """One place for configuration; every field is ``FTGRAPH_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="FTGRAPH_", extra="ignore")

    root: Path = Field(default_factory=default_root)
    store: Path = Field(default_factory=default_store)
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    """Query worker processes (killable evaluation, see the endpoint design), per HTTP process."""
    http_processes: int = Field(default=1, ge=1)
    """HTTP server processes sharing the listening socket, each with its own query workers and cache."""
    query_timeout: float = 30.0
    """Seconds before a query is stopped; a request's ``timeout`` parameter can only lower it."""
    max_query_bytes: int = 64 * 1024
    """Larger query strings get HTTP 413."""
    cors_origins: str = "*"
    """Comma-separated allowed origins for CORS on reads; empty disables CORS."""
    service_allow: str = ""
    """Comma-separated SPARQL endpoint IRIs a query may call with SERVICE; empty forbids SERVICE."""
    cache_max_age: int = 300
    """Seconds clients and proxies may cache query answers (they only change with a rebuild)."""
    result_cache_mb: float = 64.0
    """Megabytes of recent complete answers the server keeps in memory; 0 disables the cache."""
    max_header_bytes: int = Field(default=32 * 1024, ge=1024)
    """Bytes of request line and headers together; a larger request head gets HTTP 431."""
    header_timeout: float = Field(default=10.0, gt=0)
    """Seconds a connection may take to send a whole request head before it is closed (slowloris)."""
    keep_alive_timeout: float = Field(default=5.0, gt=0)
    """Seconds an idle keep-alive connection stays open."""
    worker_memory_mb: int = Field(default=4096, ge=0)
    """Address-space cap of each query worker (RLIMIT_AS); a query over it gets 503; 0: no cap."""
    client_queries: int = Field(default=0, ge=0)
    """Queries one client address may have evaluating at once; 0: one less than ``workers`` (at least 1)."""
    client_queue: int = Field(default=16, ge=0)
    """Further queries of one client address that may wait for their turn; beyond, HTTP 429."""
    queue_wait: float = Field(default=10.0, gt=0)
    """Seconds a query may wait for its turn (429) or for a free worker (503), within its deadline."""
    drain_seconds: float = Field(default=10.0, ge=0)
    """On SIGTERM: seconds in-flight answers get to finish after the listener closes."""
    reload_interval: float = Field(default=2.0, ge=0)
    """Seconds between checks of the store symlink for a new build (SIGHUP checks at once); 0: SIGHUP only."""
    log_level: str = "info"
    validate_engine: Literal["sparql", "pyshacl"] = "sparql"
    """SHACL engine of ``ftgraph validate``: SHACL compiled to SPARQL on pyoxigraph, or pyshacl (reference)."""
    validate_format: str = "text"
    """Report of ``ftgraph validate``: text, json, sarif, junit or github (set it to ``github`` where
    the pre-commit hook runs in GitHub Actions, to get annotations from the same hook)."""


def settings_environment(settings: Settings) -> dict[str, str]:
    """The ``FTGRAPH_*`` variables that rebuild ``settings`` in another process (HTTP processes)."""
    return {f"FTGRAPH_{name.upper()}": str(value) for name, value in settings.model_dump().items()}
