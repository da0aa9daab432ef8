"""Browser fixtures: Debian's Chromium, driven by Playwright, cut off from the network.

`browser` is one headless Chromium for the session. `offline_page` is a new page (in a
context of its own) in which every request that leaves loopback is aborted and recorded,
and every console error and uncaught exception is recorded, for the test to assert on.
Without Chromium these tests skip, or fail with REQUIRE_SERVICES=1 (CI).

Never `playwright install`: it downloads a browser build, which cannot work here; the
browser is Debian's package `chromium` (.ci/run installs it when absent).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Route,
    async_playwright,
)

from tests.conftest import unavailable

CHROMIUM = Path(os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium"))
# Headless as root in a sandbox, and quiet: without the networking flags Chromium calls
# home at start (updates, sync, field trials), which a closed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def chromium() -> Path:
    if not CHROMIUM.exists():
        unavailable("Chromium", f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    return CHROMIUM


def is_loopback(url: str) -> bool:
    return urlsplit(url).hostname in LOOPBACK


@dataclass
class OfflinePage:
    """A page whose every request off loopback is aborted; what happened is kept here."""

    page: Page
    requested: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def watch(self, context: BrowserContext) -> None:
        # On the context, so nothing the page opens (workers, frames) escapes the route.
        await context.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", self._crashed)

    async def _route(self, route: Route) -> None:
        url = route.request.url
        self.requested.append(url)
        if is_loopback(url):
            await route.continue_()
        else:
            self.blocked.append(url)
            await route.abort("internetdisconnected")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text}")

    def _crashed(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error}")


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless Debian Chromium for the whole run."""
    executable = chromium()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def offline_page(browser: Browser) -> AsyncIterator[OfflinePage]:
    """A fresh page with the network cut off but for loopback."""
    context = await browser.new_context()
    try:
        page = await context.new_page()
        offline = OfflinePage(page)
        await offline.watch(context)
        yield offline
    finally:
        await context.close()
