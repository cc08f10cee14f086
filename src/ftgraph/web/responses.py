"""HTTP helpers every route shares: conditional GET and the prefix the app is mounted under.

A ``304`` carries the headers its ``200`` would have carried that describe the representation
(``ETag``, ``Cache-Control``, ``Vary``: RFC 9110 section 15.4.5), so a cache revalidating keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison of If-None-Match against our ETag (RFC 9110 section 13.1.2)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    ours = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == ours for tag in if_none_match.split(","))


def not_modified(if_none_match: str | None, headers: Mapping[str, str]) -> Response | None:
    """``304 Not Modified`` with ``headers`` (which hold the ``ETag``) if it matches, else None."""
    if not etag_matches(if_none_match, headers["ETag"]):
        return None
    return Response(status_code=304, headers=dict(headers))


def mount_root(request: Request) -> str:
    """The prefix a proxy mounts the app under (ASGI ``root_path``), without a trailing slash."""
    return str(request.scope.get("root_path", "")).rstrip("/")
