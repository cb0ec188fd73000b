"""The analytics page at `/analytics`: one HTML file, its script and its style sheet, served as they are.

The files live beside this module (`analytics_assets/`) and are read once, when the app is
built. The routes are plain paths, so they always win over the static client's catch-all and
its single-page fallback, with or without `--static-dir`. The page draws the `analytics.*`
reports it asks `/rpc` for on the same origin (see `analytics.js`).
"""

from __future__ import annotations

from importlib import resources

from quart import Response
from quart_trio import QuartTrio

PAGE_PATH = "/analytics"
ASSETS = {
    "analytics.js": "text/javascript; charset=utf-8",
    "analytics.css": "text/css; charset=utf-8",
}
HTML_TYPE = "text/html; charset=utf-8"
# Revalidated on every load: an upgraded server shows its new page, not a cached old one.
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def _read(name: str) -> bytes:
    return resources.files("transport").joinpath("analytics_assets", name).read_bytes()


def mount(app: QuartTrio) -> None:
    """Register the page and its assets on `app`; any other path under the page is 404."""
    page = _read("index.html")
    assets = {name: (_read(name), content_type) for name, content_type in ASSETS.items()}

    @app.get(PAGE_PATH)
    @app.get(PAGE_PATH + "/")
    async def analytics_page() -> Response:
        return Response(page, content_type=HTML_TYPE, headers=HEADERS)

    @app.get(PAGE_PATH + "/<name>")
    async def analytics_asset(name: str) -> Response:
        if name not in assets:
            return Response("not found", status=404, content_type="text/plain")
        data, content_type = assets[name]
        return Response(data, content_type=content_type, headers=HEADERS)
