"""Routes of the dashboard: the page at `/` and its assets at `/static/<version>/...`.

The version is a hash of the files in `static/`, written into the page when the app is built, so asset URLs
change whenever a file does: assets are cached for a year (`immutable`), the page itself is revalidated on
every load. The page needs no API key (API.md); everything it shows comes from `/graphql` with the key the
user signs in with, kept in sessionStorage by the page.

Headers: a Content-Security-Policy that allows only this origin's scripts, styles, fetches and WebSocket
(no inline script or style), images from this origin, `blob:` (screenshots fetched with the key) and
`data:`, and no framing.
"""

from __future__ import annotations

import hashlib
import os
import re
from os import PathLike
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

__all__ = ["STATIC_DIR", "asset_version", "dashboard_routes"]

#: Where the page, its modules and its stylesheet live (installed with the package: pyproject package-data).
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: Assets under the current version: cached for a year, never revalidated.
IMMUTABLE = "public, max-age=31536000, immutable"
#: The page, and assets asked for under an old version: always revalidated (ETag / Last-Modified).
REVALIDATE = "no-cache"

#: Placeholder in index.html for the versioned asset prefix.
ASSETS_PLACEHOLDER = "{{assets}}"

# A Host header value we are willing to repeat in the CSP (anything else: 'self' alone).
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def asset_version(directory: Path = STATIC_DIR) -> str:
    """A short hash of every file under `directory` (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def content_security_policy(host: str | None) -> str:
    """The page's CSP; `host` (the request's Host header) adds its ws:/wss: URL to connect-src."""
    connect = "'self'"
    if host and _HOST.match(host):
        connect += f" ws://{host} wss://{host}"
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        f"connect-src {connect}",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


_COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class DashboardAssets(StaticFiles):
    """StaticFiles with cache headers by version and `nosniff`."""

    def __init__(self, *, directory: Path, version: str) -> None:
        super().__init__(directory=directory)
        self.version = version

    def file_response(self, full_path: PathLike[str] | str, stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        current = scope.get("path_params", {}).get("version") == self.version
        response.headers["Cache-Control"] = IMMUTABLE if current else REVALIDATE
        response.headers.update(_COMMON_HEADERS)
        return response


def dashboard_routes(directory: Path = STATIC_DIR) -> list[BaseRoute]:
    """`GET /` (the page) and the `/static/<version>` mount, for `create_app`'s route list."""
    version = asset_version(directory)
    page = (directory / "index.html").read_text(encoding="utf-8").replace(ASSETS_PLACEHOLDER, f"/static/{version}")
    etag = f'"{version}"'

    async def index(request: Request) -> Response:
        headers = {
            **_COMMON_HEADERS,
            "Content-Security-Policy": content_security_policy(request.headers.get("host")),
            "X-Frame-Options": "DENY",
            "Cache-Control": REVALIDATE,
            "ETag": etag,
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)

    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Mount("/static/{version}", app=DashboardAssets(directory=directory, version=version)),
    ]
