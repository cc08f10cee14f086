"""``/dumps/``: the dumps of the version served, as an index page, a JSON listing and the files
themselves (strong ETag from their sha256, ``Range`` and ``If-Range``, conditional GET)."""

from __future__ import annotations

import base64
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import Headers
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.types import Receive, Scope, Send

from ftgraph.config import DUMPS_DIR, Settings
from ftgraph.store.dumps import DumpFile
from ftgraph.web import shell
from ftgraph.web.responses import mount_root, not_modified
from ftgraph.web.runtime import Runtime, RuntimeDep

GZIP = "application/gzip"
"""What a dump is on the wire: the bytes of the file, never re-encoded (so ``Range`` offsets and
the published sha256 hold); ``dcat:mediaType`` in VoID names the RDF format inside."""


class DumpResponse(FileResponse):
    """Starlette's file response, but a ``Range`` in a unit other than ``bytes`` is ignored (the
    whole file, 200), as RFC 9110 §14.2 requires, instead of refused with 400."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ranges = Headers(scope=scope).get("range")
        if ranges is not None and not ranges.strip().lower().startswith("bytes="):
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"range"]}
        await super().__call__(scope, receive, send)


def listing(rt: Runtime, base: str) -> dict[str, Any]:
    """The JSON listing: the dataset version and each dump with its absolute URL."""
    return {
        "version": rt.version,
        "built_at": rt.built_at,
        "dumps": [{**asdict(f), "url": f"{base}/dumps/{f.file}"} for f in rt.dumps],
    }


def file_headers(settings: Settings, dump: DumpFile) -> dict[str, str]:
    """A dump's headers: its sha256 is its strong ETag (RFC 9110 §8.8.3, so ``If-Range`` works)
    and its ``Repr-Digest`` (RFC 9530 §3), which a client checks without fetching the index."""
    digest = base64.b64encode(bytes.fromhex(dump.sha256)).decode()
    return {
        "ETag": f'"{dump.sha256}"',
        "Cache-Control": f"public, max-age={settings.cache_max_age}",
        "Content-Disposition": f'attachment; filename="{dump.file}"',
        "Repr-Digest": f"sha-256=:{digest}:",
    }


def index_page(rt: Runtime, root: str) -> str:
    """The index page: each dump with what it holds, its size, its statements and its checksum."""
    rows = "".join(
        f'<tr><td><a href="{shell.esc(root)}/dumps/{shell.esc(f.file)}">{shell.esc(f.file)}</a></td>'
        f"<td>{shell.esc(f.holds)}</td><td>{shell.esc(f.media_type)} (gzip)</td>"
        f'<td class="num">{f.bytes:,}</td><td class="num">{f.triples:,}</td>'
        f'<td><code class="iri">{shell.esc(f.sha256)}</code></td></tr>'
        for f in rt.dumps
    )
    if rows:
        table = (
            "<table><thead><tr><th>File</th><th>Holds</th><th>Format</th><th>Bytes</th>"
            f"<th>Statements</th><th>sha256</th></tr></thead><tbody>{rows}</tbody></table>"
        )
    else:
        table = "<p>This store was not made by <code>ftgraph build</code>: it has no dumps.</p>"
    return (
        "<h1>Dumps</h1>"
        f"<p>The whole dataset (version <code>{shell.esc(rt.version)}</code>), as files. They are "
        "made by the build from the store it serves, and described in the "
        f'<a href="{shell.esc(root)}/.well-known/void">VoID description</a> '
        "(<code>void:dataDump</code>, DCAT distributions with size and sha256). "
        f'Listing as <a href="{shell.esc(root)}/dumps/index.json">JSON</a>.</p>'
        f"{table}"
        "<p>Each file is gzip-compressed and served as is (<code>Range</code> requests resume a "
        "download). The meta graph (build record and VoID) is in none of them: it describes them.</p>"
    )


def create_router(settings: Settings) -> APIRouter:
    """The ``/dumps/`` routes."""
    router = APIRouter(tags=["dumps"])

    @router.get("/dumps", include_in_schema=False)
    async def dumps_slash(request: Request) -> Response:
        return RedirectResponse(mount_root(request) + "/dumps/", status_code=301)

    @router.api_route("/dumps/", methods=["GET", "HEAD"], include_in_schema=False)
    async def dumps_index(request: Request, rt: RuntimeDep) -> Response:
        """The index page of the dumps."""
        root = mount_root(request)
        html = shell.page(
            "Dumps",
            index_page(rt, root),
            root=root,
            alternates=(("application/json", root + "/dumps/index.json"),),
            description="Downloadable dumps of the dataset: N-Quads, TriG, Turtle.",
        )
        return shell.html_response(html, headers={"Cache-Control": "no-cache"})

    @router.api_route("/dumps/index.json", methods=["GET", "HEAD"])
    async def dumps_listing(request: Request, rt: RuntimeDep) -> JSONResponse:
        """The dumps of the version served: file, RDF media type, bytes, statements, sha256, URL."""
        base = str(request.base_url).rstrip("/")
        return JSONResponse(listing(rt, base), headers={"Cache-Control": "no-cache"})

    @router.api_route("/dumps/{name}", methods=["GET", "HEAD"])
    async def dump_file(name: str, request: Request, rt: RuntimeDep) -> Response:
        """One dump, byte for byte: ``Range``, ``If-Range`` and ``If-None-Match`` apply."""
        dump = next((f for f in rt.dumps if f.file == name), None)
        if dump is None:
            return JSONResponse({"detail": f"no dump named {name!r}"}, status_code=404)
        headers = file_headers(settings, dump)
        cached = not_modified(request.headers.get("if-none-match"), headers)
        if cached is not None:
            return cached
        # The lease keeps the version directory; an open download survives a later prune.
        return DumpResponse(rt.store_path / DUMPS_DIR / dump.file, media_type=GZIP, headers=headers)

    return router
