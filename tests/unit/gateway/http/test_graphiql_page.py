"""GraphiQL's page: each asset named by its vendored URL and SRI hash, and what it says
when the assets are missing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assets.vendor import FILES
from jewgo.gateway.http.graphiql import (
    PREFIX,
    TEMPLATE,
    Asset,
    LocalGraphiQL,
    read_manifest,
    render,
)


def test_the_page_names_each_asset_by_url_and_hash() -> None:
    assets = {name: Asset(f"{name}@1/{name}.js", f"sha384-{name}") for name in FILES}
    page = render(TEMPLATE.read_text(encoding="utf-8"), assets)
    assert "{{" not in page and "unpkg" not in page
    assert f'src="{PREFIX}/react@1/react.js" integrity="sha384-react"' in page
    with pytest.raises(KeyError, match="react_dom"):
        render("{{react_dom.url}}", {})


def test_the_manifest_names_each_asset_by_url(tmp_path: Path) -> None:
    path = "@graphiql/plugin-explorer@1.0.2/dist/index.umd.js"
    manifest = {"lock": "", "assets": {"explorer_js": {"path": path, "integrity": "sha384-x"}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert read_manifest(tmp_path) == {"explorer_js": Asset(path, "sha384-x")}
    assert Asset(path, "").url == f"{PREFIX}/{path}"
    assert read_manifest(tmp_path / "absent") is None


def test_missing_assets_leave_a_page_that_says_how_to_install_them(tmp_path: Path) -> None:
    graphiql = LocalGraphiQL(tmp_path)
    assert not graphiql.installed
    page = graphiql.page()
    assert page.status_code == 503 and b"npm" in page.body


def test_an_asset_without_a_known_content_type_is_refused_at_start(tmp_path: Path) -> None:
    manifest = {"lock": "", "assets": {"react": {"path": "react@1/x.wasm", "integrity": ""}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    template = tmp_path / "page.html"
    template.write_text("{{react.url}}")
    with pytest.raises(ValueError, match="content type"):
        LocalGraphiQL(tmp_path, template)
