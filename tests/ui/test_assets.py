"""The built assets work offline: no remote URL in them, and the build that makes them is locked."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from ftgraph.vocab import PREFIXES
from ftgraph.web.ui import ASSETS, STATIC_DIR

from .conftest import assets_built

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

NAMESPACES = (
    *PREFIXES.values(),
    "https://w3id.org/ftgraph/",
    # XML namespaces the DOM code uses (createElementNS, DOMPurify): names, never fetched.
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/1998/Math/MathML",
    # Vocabulary constants of YASR's RDF parser and of an inline SVG icon's metadata.
    "http://www.w3.org/2000/10/swap/",
    "http://purl.org/dc/elements/1.1/",
    "http://purl.org/dc/dcmitype/",
    "http://creativecommons.org/ns#",
)
"""Identifiers that look like URLs but are names; everything else absolute is a remote URL."""

URL = re.compile(r"""(?:https?|wss?|ftp)://[^\s"'`)<>\\]+""")
PROTOCOL_RELATIVE = re.compile(r"""["'(`]//[A-Za-z0-9-]+\.[A-Za-z]{2,}""")

needs_assets = pytest.mark.skipif(
    not assets_built() and os.environ.get("CI", "").lower() not in ("true", "1"),
    reason="UI assets not built: run `npm ci && npm run build` in frontend/",
)


@needs_assets
@pytest.mark.parametrize("name", ASSETS)
def test_asset_names_no_remote_url(name: str) -> None:
    text = (STATIC_DIR / name).read_text(encoding="utf-8")
    remote = sorted({u for u in URL.findall(text) if not u.startswith(NAMESPACES)})
    assert not remote, f"{name} names remote URLs: {remote}"
    assert not PROTOCOL_RELATIVE.search(text), f"{name} has a protocol-relative URL"
    if name.endswith(".css"):
        assert "@import" not in text
        assert not re.search(r"url\((?!['\"]?data:)", text), f"{name} loads a file by url()"


@needs_assets
def test_yasgui_remote_defaults_are_gone() -> None:
    """The prefix.cc dump, DBpedia/Wikidata endpoints and the LOV lookup are cut out at build time."""
    text = (STATIC_DIR / "query.js").read_text(encoding="utf-8")
    for needle in ("prefix.cc", "dbpedia.org", "wikidata.org", "lov.linkeddata.es", "triply.cc"):
        assert needle not in text, needle


def test_build_is_locked() -> None:
    """Exact versions in package.json, integrity hashes in the committed lock file."""
    package = json.loads((FRONTEND / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((FRONTEND / "package-lock.json").read_text(encoding="utf-8"))
    deps = {**package["dependencies"], **package["devDependencies"]}
    assert {"@zazuko/yasgui", "esbuild"} <= set(deps)
    for name, version in deps.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned: {version}"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version
    assert package["scripts"]["build"] == "node build.mjs"
    for path, entry in lock["packages"].items():
        if path:
            assert entry.get("integrity", "").startswith("sha512-"), path
