"""Fixtures of the dashboard tests: a real `taskloom serve` subprocess (restartable on the same port and
database), a target site on 127.0.0.1 for the tasks it runs, Debian's Chromium driven by Playwright, a signed-in
page, and a folder for screenshots.

The server uses the session's test database (the `database_url` fixture), so the tests make keys and, while the
server is down, tasks through the domain services in this process.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from conftest import CHROMIUM, free_port, serving, wipe
from playwright.async_api import Browser, Page, async_playwright, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from workers.browser import CHROMIUM_ARGS

TASKLOOM = str(Path(sys.executable).with_name("taskloom"))
#: How long the target's /slow answer takes: long enough to see a task IN_PROGRESS in the page.
SLOW_S = 2.0
#: Playwright's wait for an expectation, in milliseconds (live updates arrive well within it).
EXPECT_TIMEOUT_MS = 15000
PLAYWRIGHT_EXPECT_DEFAULT_MS = 5000

CREATE_TASK = """mutation($input: CreateTaskInput!) {
  createTask(input: $input) { task { id status } userErrors { field message code } } }"""

PAGE = """<!doctype html><html><head><title>Target</title></head><body><h1 id="hello">Hello from the target</h1>
<p>A page for a browser task's screenshot.</p></body></html>"""


@dataclass
class Target:
    """The site the tasks call: `/ok` at once, `/slow` after SLOW_S, `/page` an HTML page."""

    url: str

    def app(self) -> Starlette:
        async def ok(request: Request) -> Response:
            return JSONResponse({"ok": True})

        async def slow(request: Request) -> Response:
            await asyncio.sleep(SLOW_S)
            return JSONResponse({"slow": True})

        async def page(request: Request) -> Response:
            return HTMLResponse(PAGE)

        return Starlette(routes=[Route("/ok", ok, methods=["GET", "POST"]), Route("/slow", slow, methods=["GET"]),
                                 Route("/page", page)])


@dataclass
class TaskloomServer:
    """`taskloom serve` on 127.0.0.1:`port` with the test database; `stop()` and `start()` again keep both."""

    port: int
    database_url: str
    folder: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
        env.update({
            "TASKLOOM_DATABASE_URL": self.database_url,
            "TASKLOOM_HOST": "127.0.0.1",
            "TASKLOOM_PORT": str(self.port),
            "TASKLOOM_EGRESS_ALLOWLIST": "127.0.0.1",
            "TASKLOOM_ARTIFACTS_DIR": str(self.folder / "artifacts"),
            "TASKLOOM_CHROMIUM_PATH": str(CHROMIUM),
        })
        return env

    async def start(self, timeout_s: float = 30) -> None:
        self.starts += 1
        log = (self.folder / f"serve-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen([TASKLOOM, "serve"], env=self._env(), cwd=self.folder, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(self.url + "/readyz", timeout=2)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                assert self.proc.poll() is None, f"taskloom serve exited; see {self.folder}/serve-{self.starts}.log"
                assert time.monotonic() < deadline, "taskloom serve did not become ready"
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.to_thread(self.proc.wait, 15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            await asyncio.to_thread(self.proc.wait, 5)


@dataclass
class Workspace:
    """An admin key of a fresh workspace, and a GraphQL client with it (another client than the page)."""

    key: str
    workspace_id: str
    http: httpx.AsyncClient

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables or {}},
                                        headers={"Authorization": f"Bearer {self.key}"})
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), body
        return body["data"]

    async def create(self, **fields: Any) -> str:
        """Create a task (API_CALL to the target's /ok, run by the bot unless `fields` say otherwise)."""
        data = await self.gql(CREATE_TASK, {"input": {"taskType": "API_CALL", "executionType": "AUTOMATIC",
                                                      "assignedToBot": True, **fields}})
        assert data["createTask"]["userErrors"] == [], data
        return str(data["createTask"]["task"]["id"])

    async def settled(self, task_id: str, timeout_s: float = 30) -> str:
        """The task's status once its run is over (COMPLETED, FAILED or CANCELLED)."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = (await self.gql("query($id: ID!) { task(id: $id) { status } }", {"id": task_id}))["task"]["status"]
            if status in ("COMPLETED", "FAILED", "CANCELLED"):
                return str(status)
            assert time.monotonic() < deadline, f"task {task_id} stayed {status}"
            await asyncio.sleep(0.1)


@dataclass
class Shots:
    """Where the screenshots of this run go (printed at the end of the module)."""

    folder: Path
    taken: list[Path] = field(default_factory=list)

    async def take(self, page: Page, name: str) -> Path:
        path = self.folder / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest_asyncio.fixture(scope="module")
async def target() -> AsyncIterator[Target]:
    port = free_port()
    site = Target(f"http://127.0.0.1:{port}")
    async with serving(site.app(), port):
        yield site


@pytest_asyncio.fixture(scope="module")
async def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TaskloomServer]:
    await wipe()
    running = TaskloomServer(port=free_port(), database_url=database_url, folder=tmp_path_factory.mktemp("serve"))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        await wipe()


@pytest_asyncio.fixture(scope="module")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), args=list(CHROMIUM_ARGS),
                                                    headless=True)
        expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        try:
            yield launched
        finally:
            expect.set_options(timeout=PLAYWRIGHT_EXPECT_DEFAULT_MS)
            await launched.close()


@pytest_asyncio.fixture(scope="module")
async def shots(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shots]:
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path_factory.mktemp("dashboard-screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    taken = Shots(folder)
    yield taken
    print(f"\ndashboard screenshots ({len(taken.taken)}): {folder}")


@pytest_asyncio.fixture
async def workspace(server: TaskloomServer) -> AsyncIterator[Workspace]:
    """A new workspace per test, so each test sees only its own tasks."""
    import uuid

    from domain.services.api_keys import create_api_key, ensure_workspace

    ws = await ensure_workspace(f"dash-{uuid.uuid4().hex[:8]}")
    _, key = await create_api_key(str(ws.id), None, ["admin"])
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield Workspace(key=key, workspace_id=str(ws.id), http=http)


@dataclass
class PageErrors:
    """Script errors and CSP violations the page reported (a test ends by asserting there were none)."""

    seen: list[str] = field(default_factory=list)


async def open_page(browser: Browser, server: TaskloomServer, *, width: int = 1280, height: int = 900
                    ) -> tuple[Page, PageErrors]:
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    errors = PageErrors()
    page.on("pageerror", lambda exc: errors.seen.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.seen.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text else None)
    await page.goto(server.url + "/")
    return page, errors


async def sign_in(page: Page, key: str) -> None:
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#connection")).to_have_text("Live")


async def signed_in(browser: Browser, server: TaskloomServer, key: str, *, width: int = 1280
                    ) -> tuple[Page, PageErrors]:
    page, errors = await open_page(browser, server, width=width)
    await sign_in(page, key)
    return page, errors


async def mark_document(page: Page) -> None:
    """Leave a mark on the loaded document; `assert_not_reloaded` fails if the page was loaded again since."""
    await page.evaluate("window.__notReloaded = true")


async def assert_not_reloaded(page: Page) -> None:
    assert await page.evaluate("window.__notReloaded === true"), "the page was reloaded"
