"""The built single-page client at `/`, with the SPA fallback of PROTOCOL §3.2.

An existing file is served; otherwise a path whose last segment has no dot gets
`index.html`; otherwise 404. Without a build, a small placeholder page stands in at `/` and
every other path is a JSON 404. A path the file system cannot even look up (a NUL byte, a name
longer than the system allows) is a 404 too. Backend routes are registered first and always win.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

import trio
from quart import Response
from quart_trio import QuartTrio
from werkzeug.exceptions import NotFound

PLACEHOLDER_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Dramaturg</title></head>
<body><h1>Dramaturg is running</h1>
<p>No web client build is mounted. Start the server with <code>--static-dir</code> pointing at a
built client, or talk to the API at <code>POST /rpc</code>.</p></body></html>
"""

# Browsers refuse module scripts served under any other type (PROTOCOL §18.2 item 8).
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".wasm": "application/wasm",
    ".html": "text/html; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}


def content_type_for(path: Path) -> str:
    known = _TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def resolve(static_dir: Path, request_path: str) -> Path | None:
    """The file to serve for `request_path`, or None for a 404. Never leaves `static_dir`."""
    try:
        return _resolve(static_dir, request_path)
    except (OSError, ValueError):  # ENAMETOOLONG, ELOOP, "embedded null byte", …
        return None


def _resolve(static_dir: Path, request_path: str) -> Path | None:
    root = static_dir.resolve()
    relative = request_path.strip("/")
    candidate = (root / relative).resolve() if relative else root / "index.html"
    if root not in candidate.parents and candidate != root / "index.html":
        return None
    if candidate.is_file():
        return candidate
    last_segment = relative.rsplit("/", 1)[-1]
    if "." in last_segment:
        return None
    index = root / "index.html"
    return index if index.is_file() else None


def mount(app: QuartTrio, static_dir: Path | None) -> None:
    @app.get("/")
    @app.get("/<path:request_path>")
    async def client(request_path: str = "") -> Response:
        if static_dir is None:
            if request_path:
                raise NotFound()
            return Response(PLACEHOLDER_PAGE, content_type="text/html; charset=utf-8")
        path = await trio.to_thread.run_sync(resolve, static_dir, request_path)
        if path is None:
            raise NotFound()
        try:
            data = await trio.to_thread.run_sync(path.read_bytes)
        except OSError:  # removed or unreadable since it was resolved
            raise NotFound() from None
        return Response(data, content_type=content_type_for(path))
