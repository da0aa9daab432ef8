"""GraphiQL with no internet: the gateway serves its page and every asset the page loads,
and the page runs a query in headless Chromium with everything off loopback blocked."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import strawberry
from playwright.async_api import expect

from jewgo.gateway.http.graphiql import CACHE_CONTROL, PREFIX, VENDOR, read_manifest
from tests.browser import OfflinePage
from tests.conftest import Templates, clone
from tests.support import Database, GraphQL, Server, base_env, free_port, gateway_client, serving

QUERY = "{ restaurants(first: 2) { edges { node { name } } } }"
HTML = {"Accept": "text/html"}
REQUEST_ID = "graphiql-offline-check"
# Every src and href of the page, and its integrity attribute where it has one.
_LINK = re.compile(r'(?:src|href)="([^"]+)"(?:\s+integrity="([^"]+)")?')
SCREENSHOT = os.environ.get("GRAPHIQL_SCREENSHOT")  # a PNG path, to look at the page
STRAWBERRY_PAGE = Path(strawberry.__file__).parent / "static" / "graphiql.html"


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode("ascii")


def linked(page: str) -> list[tuple[str, str]]:
    """(URL, integrity) of everything the page loads but inline data (its icon)."""
    return [pair for pair in _LINK.findall(page) if not pair[0].startswith("data:")]


@pytest.fixture
async def sqlite_db(templates: Templates, tmp_path: Path) -> AsyncIterator[Database]:
    database = await clone("sqlite", templates, tmp_path)
    yield database
    await database.close()


@pytest.fixture
async def client(sqlite_db: Database, data_dir: Path) -> AsyncIterator[GraphQL]:
    async with gateway_client(sqlite_db, data_dir, {}) as client:
        yield client


async def test_the_page_loads_every_asset_from_the_gateway(client: GraphQL) -> None:
    page = await client.http.get("/graphql", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assets = linked(page.text)
    assert len(assets) == 6, assets
    for url, integrity in assets:
        assert url.startswith(PREFIX + "/") and integrity, url
        served = await client.http.get(url)
        assert served.status_code == 200, url
        expected = "text/javascript" if url.endswith(".js") else "text/css"
        assert served.headers["content-type"] == f"{expected}; charset=utf-8"
        assert served.headers["cache-control"] == CACHE_CONTROL
        assert served.headers["x-content-type-options"] == "nosniff"
        assert sri(served.content) == integrity, url


async def test_only_the_vendored_files_are_served(client: GraphQL) -> None:
    for path in (
        "manifest.json",
        "react@18.2.0/umd/nothing.js",
        "../graphiql.html",
        "%2e%2e/%2e%2e/settings.py",
    ):
        assert (await client.http.get(f"{PREFIX}/{path}")).status_code == 404, path
    head = await client.http.head(f"{PREFIX}/react@18.2.0/umd/react.production.min.js")
    assert head.status_code == 200 and int(head.headers["content-length"]) > 1000


def test_the_vendored_files_are_strawberrys_cdn_files_byte_for_byte() -> None:
    """Same versions and bytes as Strawberry's page loads, so GraphiQL behaves the same."""
    theirs = {
        url.split("unpkg.com/", 1)[1]: integrity
        for url, integrity in linked(STRAWBERRY_PAGE.read_text(encoding="utf-8"))
        if "unpkg.com/" in url and "js-cookie" not in url  # a CSRF cookie we never set
    }
    vendored = read_manifest(VENDOR)
    assert vendored is not None, "the assets are not vendored (make, or assets/vendor.py)"
    ours = {asset.path: sri((VENDOR / asset.path).read_bytes()) for asset in vendored.values()}
    same = {path: theirs[path] for path in theirs if path in ours}
    assert {path: ours[path] for path in same} == same
    # Strawberry is not pinned, and a release may move its page on: say so, fail nothing.
    others = sorted(set(theirs) - set(same))
    if others:
        pytest.skip(f"Strawberry's page now loads {others}: pin them in assets/package.json")


async def test_the_cdn_setting_keeps_strawberrys_page(sqlite_db: Database, data_dir: Path) -> None:
    async with gateway_client(sqlite_db, data_dir, {}, graphiql_assets="cdn") as client:
        page = await client.http.get("/graphql", headers=HTML)
        assert page.status_code == 200 and "https://unpkg.com/graphiql@" in page.text
        asset = await client.http.get(f"{PREFIX}/graphiql@3.8.3/graphiql.min.js")
        assert asset.status_code == 404


async def test_graphiql_off_serves_neither_page_nor_assets(
    sqlite_db: Database, data_dir: Path
) -> None:
    async with gateway_client(sqlite_db, data_dir, {}, graphiql=False) as client:
        assert (await client.http.get("/graphql", headers=HTML)).status_code == 404
        asset = await client.http.get(f"{PREFIX}/graphiql@3.8.3/graphiql.min.js")
        assert asset.status_code == 404


@pytest.fixture
def gateway(sqlite_db: Database, tmp_path: Path) -> Iterator[Server]:
    """`jewgo serve` on a loopback port, on a seeded SQLite database of the test's own."""
    port = free_port()
    jewgo = str(Path(sys.executable).parent / "jewgo")
    env = base_env(DATABASE_URL=sqlite_db.url)
    with serving([jewgo, "serve", "--port", str(port)], env, tmp_path, port) as server:
        yield server


@pytest.mark.slow
async def test_graphiql_runs_a_query_in_a_browser_without_internet(
    gateway: Server, offline_page: OfflinePage
) -> None:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
        reply = (await http.post("/graphql", json={"query": QUERY})).json()
    names = [edge["node"]["name"] for edge in reply["data"]["restaurants"]["edges"]]
    assert len(names) == 2
    page = offline_page.page

    await page.goto(f"{gateway.url}/graphql", wait_until="load")
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    await expect(editor).to_be_visible(timeout=15_000)
    # The features of Strawberry's page: the explorer plugin and the headers editor.
    await page.get_by_role("button", name="Show GraphiQL Explorer").click()
    # The explorer lists the schema's root fields (its introspection went through).
    await expect(page.locator(".graphiql-plugin")).to_contain_text("restaurants")
    await page.get_by_role("button", name="Headers").click()
    tools = page.get_by_role("region", name="Headers")
    headers = tools.locator(".graphiql-editor:not(.hidden) .CodeMirror")  # not Variables
    await headers.click()
    # Inserted as text, not keystrokes: the editors would close each brace typed.
    await page.keyboard.insert_text(f'{{"X-Request-Id": "{REQUEST_ID}"}}')

    await editor.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(QUERY)
    await page.keyboard.press("Control+Enter")

    result = page.locator(".graphiql-response")
    for name in names:
        await expect(result).to_contain_text(name, timeout=10_000)
    await expect(result).to_contain_text(REQUEST_ID)  # the header went with the query
    assert offline_page.blocked == [], "GraphiQL reached for the internet"
    assert offline_page.errors == []
    assert all(url.startswith(gateway.url) for url in offline_page.requested)
    assert any(PREFIX in url for url in offline_page.requested)
    if SCREENSHOT:
        await page.screenshot(path=SCREENSHOT)


@pytest.mark.slow
async def test_the_offline_page_blocks_and_records_whatever_leaves_loopback(
    offline_page: OfflinePage,
) -> None:
    """The check above can fail: Strawberry's own page, offline, reaches for its CDN."""
    page = offline_page.page
    await page.set_content(STRAWBERRY_PAGE.read_text(encoding="utf-8"), wait_until="load")
    assert offline_page.blocked and all("unpkg.com" in url for url in offline_page.blocked)
    await expect(page.locator("#graphiql")).to_have_text("Loading...")
    assert offline_page.errors  # its scripts never came, so `Cookies` is undefined
