"""``ftgraph serve``: run the endpoint under uvicorn, building the store first if there is none."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import uvicorn

from ftgraph.app import create_app
from ftgraph.config import Settings


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


def ensure_store(settings: Settings) -> None:
    """Build the store on first start (no complete build behind ``settings.store`` yet)."""
    from ftgraph import store

    if store.read_build_info(Path(settings.store)) is None and not Path(settings.store).is_dir():
        logging.getLogger("ftgraph.server").info(
            "no store at %s: building it from %s", settings.store, settings.root
        )
        store.ensure_built(Path(settings.root), Path(settings.store))


def serve(settings: Settings) -> None:
    """Serve ``settings.store`` on ``settings.host:settings.port`` until interrupted."""
    _configure_logging(settings.log_level)
    ensure_store(settings)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,  # one JSON line per query comes from ftgraph.access instead
        ws="none",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run()


def main() -> None:
    """``python -m ftgraph.server``: settings from ``FTGRAPH_*`` variables only (tests)."""
    serve(Settings())


if __name__ == "__main__":
    main()
