"""``ftgraph serve``: run the endpoint under uvicorn, building the store first if there is none."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from ftgraph.config import Settings, settings_environment
from ftgraph.store.build import ensure_built
from ftgraph.web.app import create_app
from ftgraph.web.http_limits import PROTOCOL, SHUTDOWN_GRACE, configure


def _configure_logging(level: str) -> None:
    """Plain lines on stderr; the access logger already writes JSON, so it gets no prefix."""
    root = logging.getLogger("ftgraph")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        access = logging.getLogger("ftgraph.access")
        access_handler = logging.StreamHandler(sys.stderr)
        access_handler.setFormatter(logging.Formatter("%(message)s"))
        access.addHandler(access_handler)
        access.propagate = False
    root.setLevel(level.upper())


def serve(settings: Settings) -> None:
    """Serve ``settings.store`` on ``settings.host:settings.port`` until interrupted.

    With ``http_processes`` > 1, uvicorn's supervisor starts that many processes on one listening
    socket; each builds the app from the same ``FTGRAPH_*`` settings (:func:`app_from_environment`).
    """
    _configure_logging(settings.log_level)
    ensure_built(Path(settings.root), Path(settings.store))  # a fresh machine: build first
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "access_log": False,  # one JSON line per query comes from ftgraph.access instead
        "ws": "none",
        "lifespan": "on",
        "http": PROTOCOL,  # 431 past max_header_bytes, 408 past header_timeout
        "timeout_keep_alive": settings.keep_alive_timeout,
        "timeout_graceful_shutdown": settings.drain_seconds + SHUTDOWN_GRACE,
    }
    if settings.http_processes > 1:
        # Spawned children start from scratch: flags given to this process reach them as variables.
        os.environ.update(settings_environment(settings))
        uvicorn.run(
            "ftgraph.web.server:app_from_environment",
            factory=True,
            workers=settings.http_processes,
            **options,
        )
        return
    configure(settings)
    uvicorn.Server(uvicorn.Config(create_app(settings), **options)).run()


def app_from_environment() -> FastAPI:
    """App factory of each HTTP process (uvicorn imports it by name in a fresh interpreter)."""
    settings = Settings()
    _configure_logging(settings.log_level)
    configure(settings)
    return create_app(settings)


def main() -> None:
    """``python -m ftgraph.web.server``: settings from ``FTGRAPH_*`` variables only (tests)."""
    serve(Settings())


if __name__ == "__main__":
    main()
