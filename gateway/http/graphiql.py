"""GraphiQL served whole by the gateway: its page and every asset the page loads.

The assets are the npm packages that Strawberry's page takes from a CDN, vendored into
`static/vendor/` when the project is installed (`assets/vendor.py`, run by `make` and by
the wheel build) with a manifest naming each file's path and SRI hash. Our page
(`static/graphiql.html`) loads them from `/graphql/assets/<package>@<version>/<file>`, so
GraphiQL works in a browser with no internet. `GRAPHIQL_ASSETS=cdn` keeps Strawberry's page.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import structlog
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

log = structlog.get_logger("jewgo.graphiql")

STATIC = Path(__file__).resolve().parent.parent / "static"
VENDOR = STATIC / "vendor"
TEMPLATE = STATIC / "graphiql.html"
PREFIX = "/graphql/assets"
# Every path names its package's version, and a new version is a new path: a browser may
# keep each file for a year without asking again.
CACHE_CONTROL = "public, max-age=31536000, immutable"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\.(url|integrity)\}\}")

MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GraphiQL</title></head>
<body>
<h1>GraphiQL's assets are not installed</h1>
<p>They are vendored from the npm registry when the gateway is installed (it needs npm):
<code>make run</code> in the source tree, <code>python3 assets/vendor.py</code>, or a
reinstall of the package. <code>GRAPHIQL_ASSETS=cdn</code> loads them from a CDN instead.</p>
<p>The GraphQL endpoint itself works.</p>
</body></html>
"""


@dataclass(frozen=True)
class Asset:
    path: str  # relative to the vendor folder and to PREFIX alike
    integrity: str

    @property
    def url(self) -> str:
        return f"{PREFIX}/{self.path}"


def read_manifest(folder: Path = VENDOR) -> dict[str, Asset] | None:
    """The vendored assets by the names the page uses; None when none are installed."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return {
        name: Asset(entry["path"], entry["integrity"]) for name, entry in manifest["assets"].items()
    }


def render(template: str, assets: Mapping[str, Asset]) -> str:
    """The page with each `{{name.url}}` and `{{name.integrity}}` filled in."""

    def fill(match: re.Match[str]) -> str:
        name, attribute = match[1], match[2]
        if name not in assets:
            raise KeyError(f"the GraphiQL page loads {name!r}, which is not vendored")
        return html.escape(str(getattr(assets[name], attribute)))

    return _PLACEHOLDER.sub(fill, template)


class LocalGraphiQL:
    """The page and the route of its assets. With the assets missing, the page says how
    to install them (503) and the API goes on working."""

    def __init__(self, folder: Path = VENDOR, template: Path = TEMPLATE) -> None:
        assets = read_manifest(folder)
        self._page: str | None = None
        self._files: dict[str, tuple[Path, str]] = {}
        if assets is None:
            log.warning("GraphiQL's assets are not installed", folder=str(folder))
            return
        self._page = render(template.read_text(encoding="utf-8"), assets)
        for asset in assets.values():
            suffix = Path(asset.path).suffix
            if suffix not in MEDIA_TYPES:
                raise ValueError(f"no content type for the GraphiQL asset {asset.path}")
            self._files[asset.path] = (folder / asset.path, MEDIA_TYPES[suffix])

    @property
    def installed(self) -> bool:
        return self._page is not None

    @property
    def routes(self) -> list[BaseRoute]:
        return [Route(PREFIX + "/{path:path}", self.serve, methods=["GET", "HEAD"])]

    def page(self) -> Response:
        if self._page is None:
            return HTMLResponse(MISSING, status_code=503)
        return HTMLResponse(self._page)

    async def serve(self, request: Request) -> Response:
        # Only the manifest's files: the path never reaches the file system unchecked.
        found = self._files.get(request.path_params["path"])
        if found is None:
            return PlainTextResponse("Not Found", status_code=404)
        file, media_type = found
        headers = {"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
        return FileResponse(file, media_type=media_type, headers=headers)
