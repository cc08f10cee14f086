"""A live server over the real built store, and Debian's Chromium driven by Playwright.

The browser is the system's ``/usr/bin/chromium`` (``apt-get install -y chromium``, done by
``.ci/run``); Playwright's own browser download is never used. Each test gets a fresh browser
context whose every request is checked: anything not addressed to 127.0.0.1 is aborted and
recorded, so a test can assert the UI works with no network beyond this server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
from endpoint.live import LiveServer

from ftgraph.web.ui import ASSETS, STATIC_DIR

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Route

CHROMIUM = Path(os.environ.get("FTGRAPH_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Without the background-networking flags Chromium tries Google's hosts at every start."""


def skip_unless_ci(reason: str) -> None:
    """Skip on a laptop without the browser or the assets; in CI (``CI=true``) that is a failure, not a skip."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"CI must run the browser tests: {reason}")
    pytest.skip(reason)


def assets_built() -> bool:
    """Whether ``npm run build`` has written every asset the pages load."""
    return all((STATIC_DIR / name).is_file() for name in ASSETS)


@pytest.fixture(scope="package")
def ui_server(real_server: LiveServer) -> LiveServer:
    """The real endpoint app (pages, assets, /sparql): the session's shared server, once assets exist."""
    if not assets_built():
        skip_unless_ci(
            f"UI assets are not built in {STATIC_DIR}: run `npm ci && npm run build` in frontend/"
        )
    return real_server


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium, or a skip that says how to get it."""
    if not CHROMIUM.is_file():
        skip_unless_ci(
            f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_unless_ci("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@dataclass
class Visit:
    """A page in a fresh browser context, with what it logged and what it tried to reach."""

    page: Page
    base: str
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        """Open a path of the live server and wait until its own requests are done."""
        self.page.goto(self.base + path, wait_until="networkidle")


@pytest.fixture()
def visit(browser: Browser, ui_server: LiveServer) -> Iterator[Visit]:
    """A clean context (no stored YASGUI tabs) whose requests may only go to 127.0.0.1."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    v = Visit(page, ui_server.base)

    def guard(route: Route) -> None:
        url = route.request.url
        v.requests.append(url)
        if urlsplit(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            v.outside_requests.append(url)
            route.abort()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            v.console_errors.append(message.text)

    context.route("**/*", guard)
    page.on("console", on_console)
    page.on("pageerror", lambda error: v.console_errors.append(f"uncaught: {error}"))
    yield v
    context.close()
    assert not v.outside_requests, f"requests left 127.0.0.1: {v.outside_requests}"
