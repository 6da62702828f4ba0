"""The dashboard's routes without a browser: the CSP never repeats a Host header it does not trust, asset URLs
change with the files, and the page names its assets by version."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from starlette.applications import Starlette

from api.dashboard.routes import STATIC_DIR, asset_version, content_security_policy, dashboard_routes


def test_the_csp_names_the_hosts_websocket_only_for_a_plain_host() -> None:
    assert "connect-src 'self' ws://127.0.0.1:8000 wss://127.0.0.1:8000;" in content_security_policy("127.0.0.1:8000")
    assert "connect-src 'self' ws://[::1]:8000 wss://[::1]:8000;" in content_security_policy("[::1]:8000")
    for hostile in ["evil.test; script-src *", "a b", "x'y", "", None]:
        assert "connect-src 'self';" in content_security_policy(hostile), hostile


def test_the_asset_version_follows_the_files(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("{{assets}}/app.css")
    (tmp_path / "app.css").write_text("body {}")
    before = asset_version(tmp_path)
    assert before == asset_version(tmp_path)
    (tmp_path / "app.css").write_text("body { color: red }")
    assert asset_version(tmp_path) != before


async def test_the_page_links_its_assets_by_version(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text('<link rel="stylesheet" href="{{assets}}/app.css">')
    (tmp_path / "app.css").write_text("body {}")
    app = Starlette(routes=dashboard_routes(tmp_path))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8000") as http:
        page = await http.get("/")
        version = asset_version(tmp_path)
        assert page.text == f'<link rel="stylesheet" href="/static/{version}/app.css">'
        css = await http.get(f"/static/{version}/app.css")
        assert css.text == "body {}" and "immutable" in css.headers["cache-control"]
        assert (await http.get(f"/static/{version}/missing.css")).status_code == 404


def test_the_shipped_page_loads_one_module_and_nothing_inline() -> None:
    page = (STATIC_DIR / "index.html").read_text()
    assert page.count("<script") == 1 and 'type="module" src="{{assets}}/js/app.js"' in page
    assert "style=" not in page and not re.search(r"\son[a-z]+=", page)  # no inline style or handler
