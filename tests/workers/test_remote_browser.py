"""Remote browser mode: a task with `remoteBrowser: true` runs in a Chromium reached over CDP, either through a
local fake of the Browserbase session API (session created with the API key, id and live-view URL recorded on
the execution, session released at the end) or through a generic `TASKLOOM_BROWSER_CDP_URL`.

The "remote" Chromium is Debian's, started here with `--remote-debugging-port` on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from conftest import free_port
from engine_support import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from test_browser import automation, form_steps, make_ctx, site  # noqa: F401 (site: a fixture)

from domain.enums import TaskType
from domain.errors import PermanentError
from domain.models import Artifact, TaskExecution
from domain.settings import Settings, load_settings
from workers.browser import BrowserPool
from workers.executors import browser_automation

API_KEY = "bb_test_key"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


@dataclass
class RemoteChromium:
    port: int
    ws_url: str
    process: subprocess.Popen[bytes]


@pytest.fixture(scope="module")
def remote_chromium(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RemoteChromium]:
    """Chromium with remote debugging on 127.0.0.1, its browser WebSocket URL read from /json/version."""
    port = free_port()
    profile = tmp_path_factory.mktemp("remote-chromium-profile")
    process = subprocess.Popen(
        [str(chromium), *FLAGS, "--remote-debugging-address=127.0.0.1", f"--remote-debugging-port={port}",
         f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline, ws_url = time.monotonic() + 20, ""
        while not ws_url:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Chromium did not open its debugging port (exit code {process.poll()})")
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                ws_url = httpx.get(f"http://127.0.0.1:{port}/json/version", timeout=1, trust_env=False).json()[
                    "webSocketDebuggerUrl"]
            if not ws_url:
                time.sleep(0.1)
        yield RemoteChromium(port, ws_url, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class FakeBrowserbase:
    """The session API of Browserbase, as far as Taskloom uses it; sessions connect to `connect_url`."""

    connect_url: str
    url: str = ""
    created: list[dict[str, Any]] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    refused: int = 0

    def debug_url(self, session_id: str) -> str:
        return f"{self.url}/live/{session_id}"

    def app(self) -> Starlette:
        def authorized(request: Request) -> bool:
            if request.headers.get("x-bb-api-key") == API_KEY:
                return True
            self.refused += 1
            return False

        async def create(request: Request) -> JSONResponse:
            if not authorized(request):
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            body = await request.json()
            session_id = str(uuid.uuid4())
            self.created.append({"id": session_id, "body": body})
            return JSONResponse({"id": session_id, "status": "RUNNING", "connectUrl": self.connect_url,
                                 "seleniumRemoteUrl": "http://127.0.0.1:1/", "signingKey": "sig"}, status_code=201)

        async def debug(request: Request) -> JSONResponse:
            if not authorized(request):
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            session_id = request.path_params["id"]
            return JSONResponse({"debuggerUrl": f"{self.url}/inspector/{session_id}",
                                 "debuggerFullscreenUrl": self.debug_url(session_id), "wsUrl": self.connect_url,
                                 "pages": []})

        async def update(request: Request) -> JSONResponse:
            if not authorized(request):
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            body = await request.json()
            if body.get("status") == "REQUEST_RELEASE":
                self.released.append(request.path_params["id"])
            return JSONResponse({"id": request.path_params["id"], "status": "COMPLETED"})

        return Starlette(routes=[
            Route("/v1/sessions", create, methods=["POST"]),
            Route("/v1/sessions/{id}/debug", debug, methods=["GET"]),
            Route("/v1/sessions/{id}", update, methods=["POST"]),
        ])


@pytest_asyncio.fixture(scope="module")
async def browserbase(remote_chromium: RemoteChromium) -> AsyncIterator[FakeBrowserbase]:
    fake = FakeBrowserbase(connect_url=remote_chromium.ws_url)
    port = free_port()
    fake.url = f"http://127.0.0.1:{port}"
    async for _ in serve(fake.app(), port):
        yield fake


@pytest.fixture
def fake_bb(browserbase: FakeBrowserbase) -> FakeBrowserbase:
    browserbase.created.clear()
    browserbase.released.clear()
    browserbase.refused = 0
    return browserbase


@pytest.fixture(scope="module")
def base_settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    # chromium_path points nowhere: a local launch would fail, so a passing test proves the remote browser ran
    return load_settings(database_url=database_url, chromium_path=Path("/nonexistent/chromium"),
                         egress_allowlist="127.0.0.1/32", artifacts_dir=tmp_path_factory.mktemp("artifacts"),
                         _env_file=None)


@pytest_asyncio.fixture
async def pool_for(base_settings: Settings) -> AsyncIterator[Any]:
    pools: list[BrowserPool] = []

    def make(**changes: Any) -> BrowserPool:
        pool = BrowserPool(base_settings.model_copy(update=changes))
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        await pool.close()


async def test_a_browserbase_session_runs_the_task_is_recorded_and_released(
        site: str, fake_bb: FakeBrowserbase, remote_chromium: RemoteChromium, pool_for: Any, db: str) -> None:
    pool = pool_for(browserbase_api_key=API_KEY, browserbase_base_url=fake_bb.url)
    ctx = await make_ctx(pool.settings, pool, TaskType.BROWSER_AUTOMATION)
    config = automation(form_steps(site), remoteBrowser=True, viewport={"width": 800, "height": 600})
    result = await browser_automation_run(config, ctx)
    assert result.output["extracted"] == {"greeting": "Hello, Ada (pro)", "terms": "/terms"}
    assert [s["status"] for s in result.output["steps"]] == ["SUCCESS"] * 8
    assert pool.launches == 0  # no local Chromium
    # Then one session was created with the viewport, recorded on the execution, and released
    assert len(fake_bb.created) == 1 and fake_bb.refused == 0
    session_id = fake_bb.created[0]["id"]
    assert fake_bb.created[0]["body"] == {"browserSettings": {"viewport": {"width": 800, "height": 600}}}
    execution = await TaskExecution.get(id=ctx.execution_id)
    assert execution.browser_session_id == session_id
    assert execution.debug_url == fake_bb.debug_url(session_id)
    assert fake_bb.released == [session_id]
    assert any(session_id in line.message for line in ctx.lines)
    assert [r.name for r in await Artifact.filter(execution_id=ctx.execution_id)] == ["after submit"]
    assert remote_chromium.process.poll() is None  # disconnecting leaves the remote browser running


async def test_a_failing_task_still_releases_its_session(
        site: str, fake_bb: FakeBrowserbase, pool_for: Any, db: str) -> None:
    pool = pool_for(browserbase_api_key=API_KEY, browserbase_base_url=fake_bb.url)
    ctx = await make_ctx(pool.settings, pool, TaskType.BROWSER_AUTOMATION)
    steps = [{"action": "navigate", "url": f"{site}/form"},
             {"action": "click", "selector": "#nope", "timeoutMs": 300}]
    with pytest.raises(PermanentError, match=r"step 1 \(click\)"):
        await browser_automation_run(automation(steps, remoteBrowser=True), ctx)
    assert len(fake_bb.created) == 1 and fake_bb.released == [fake_bb.created[0]["id"]]
    assert (await TaskExecution.get(id=ctx.execution_id)).browser_session_id == fake_bb.created[0]["id"]


async def test_a_wrong_browserbase_key_fails_permanently(fake_bb: FakeBrowserbase, pool_for: Any, site: str,
                                                         db: str) -> None:
    pool = pool_for(browserbase_api_key="wrong", browserbase_base_url=fake_bb.url)
    ctx = await make_ctx(pool.settings, pool, TaskType.BROWSER_AUTOMATION)
    with pytest.raises(PermanentError, match="HTTP 401"):
        await browser_automation_run(automation([{"action": "navigate", "url": f"{site}/form"}],
                                                remoteBrowser=True), ctx)
    assert fake_bb.created == [] and fake_bb.refused == 1


async def test_a_generic_cdp_url_runs_the_task_in_a_fresh_context(
        site: str, remote_chromium: RemoteChromium, pool_for: Any, db: str) -> None:
    pool = pool_for(browser_cdp_url=remote_chromium.ws_url)
    ctx = await make_ctx(pool.settings, pool, TaskType.BROWSER_AUTOMATION)
    result = await browser_automation_run(automation(form_steps(site), remoteBrowser=True), ctx)
    assert result.output["extracted"]["greeting"] == "Hello, Ada (pro)" and pool.launches == 0
    execution = await TaskExecution.get(id=ctx.execution_id)
    assert execution.browser_session_id is None and execution.debug_url is None
    # The http:// form of the endpoint works too (Playwright looks the WebSocket URL up)
    http_pool = pool_for(browser_cdp_url=f"http://127.0.0.1:{remote_chromium.port}")
    ctx = await make_ctx(http_pool.settings, http_pool, TaskType.BROWSER_AUTOMATION)
    result = await browser_automation_run(automation(form_steps(site)[:1], remoteBrowser=True), ctx)
    assert result.output["title"] == "Sign up"


async def test_the_remote_pages_requests_pass_the_egress_guard(site: str, remote_chromium: RemoteChromium,
                                                                pool_for: Any) -> None:
    pool = pool_for(browser_cdp_url=remote_chromium.ws_url)
    async with pool.context(remote=True) as (context, guard):
        page = await context.new_page()
        await page.goto(f"{site}/egress")
        await page.wait_for_selector("#result.done", timeout=5000)
        assert (await page.inner_text("#result")).startswith("failed")
    assert len(guard.refused) == 1 and guard.refused[0][0].startswith("http://127.0.0.2:")


async def test_remote_mode_without_a_remote_browser_configured_is_permanent(pool_for: Any) -> None:
    pool = pool_for()
    with pytest.raises(PermanentError, match="TASKLOOM_BROWSERBASE_API_KEY or TASKLOOM_BROWSER_CDP_URL"):
        async with pool.context(remote=True):
            pass


async def browser_automation_run(config: Any, ctx: Any) -> Any:
    return await asyncio.wait_for(browser_automation.run(config, ctx), 60)
