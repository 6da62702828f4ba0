"""Browser tasks with the real (Debian) Chromium against pages served on 127.0.0.1: BROWSER_AUTOMATION steps,
screenshots as artifacts, DATA_EXTRACTION by selector and by a fake LLM, the egress guard on page requests,
and one task end to end through the embedded engine and the artifact download."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from conftest import Caller, free_port, make_caller
from engine_support import serve, settled
from fake_llm import FakeLlm
from samples import CREATE_TASK, task_input
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from api.app import create_app
from domain.configs import validate_config
from domain.egress import EgressRefused
from domain.enums import TaskType, Trigger
from domain.errors import PermanentError, RetryableError
from domain.models import Artifact, Task, TaskExecution
from domain.services.api_keys import ensure_workspace
from domain.settings import Settings, load_settings
from domain.state_machine import TaskStatus
from workers.artifacts import FilesystemStore
from workers.browser import BrowserPool
from workers.context import ExecutionContext
from workers.executors import browser_automation, data_extraction

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

FORM = """<!doctype html><html><head><title>Sign up</title></head><body>
<h1>Sign up</h1>
<input id="name"> <select id="plan"><option value="free">Free</option><option value="pro">Pro</option></select>
<button id="go" onclick="setTimeout(() => { const p = document.createElement('p'); p.id = 'greeting';
  p.textContent = 'Hello, ' + document.getElementById('name').value + ' (' + document.getElementById('plan').value
  + ')'; document.body.appendChild(p); }, 150)">Go</button>
<a id="terms" href="/terms">Terms</a>
</body></html>"""

LIST = """<!doctype html><html><head><title>Products</title></head><body><ul>
<li class="item"><a href="/p/1">Kettle</a> <span class="price">25</span></li>
<li class="item"><a href="/p/2">Toaster</a> <span class="price">40</span></li>
<li class="item"><a href="/p/3">Blender</a> <span class="price">65</span></li>
</ul><p id="count">3 products</p></body></html>"""

ARTICLE = """<!doctype html><html><head><title>Acme</title></head><body>
<h1>Acme Inc</h1><p>Call us at +1 555 0100.</p></body></html>"""

# The page's fetch goes to a refused loopback address (nothing listens there: the guard aborts it first).
EGRESS = """<!doctype html><html><head><title>Egress</title></head><body><p id="result"></p><script>
fetch("http://127.0.0.2:{port}/x").then(() => "fetched", e => "failed: " + e.name)
  .then(t => {{ const r = document.getElementById("result"); r.textContent = t; r.className = "done"; }});
</script></body></html>"""

SCHEMA = {"type": "object", "additionalProperties": False, "required": ["company", "phone"],
          "properties": {"company": {"type": "string"}, "phone": {"type": ["string", "null"]}}}


def site_app(egress_port: int) -> Starlette:
    def page(html: str) -> Callable[[Any], Awaitable[HTMLResponse]]:
        async def endpoint(request: Any) -> HTMLResponse:
            return HTMLResponse(html)
        return endpoint

    return Starlette(routes=[Route("/form", page(FORM)), Route("/list", page(LIST)), Route("/article", page(ARTICLE)),
                             Route("/egress", page(EGRESS.format(port=egress_port)))])


@pytest_asyncio.fixture(scope="module")
async def site() -> AsyncIterator[str]:
    port = free_port()
    async for _ in serve(site_app(free_port()), port):
        yield f"http://127.0.0.1:{port}"


@pytest_asyncio.fixture(scope="module")
async def llm() -> AsyncIterator[FakeLlm]:
    fake = FakeLlm()
    port = free_port()
    fake.url = f"http://127.0.0.1:{port}/v1"
    async for _ in serve(fake.app(), port):
        yield fake


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str, llm: FakeLlm, chromium: Path) -> Settings:
    return load_settings(
        database_url=database_url, chromium_path=chromium, egress_allowlist="127.0.0.1/32",
        artifacts_dir=tmp_path_factory.mktemp("artifacts"), llm_base_url=llm.url, llm_api_key="sk-test",
        llm_model="fake-model", _env_file=None,
    )


@pytest_asyncio.fixture(scope="module")
async def pool(settings: Settings) -> AsyncIterator[BrowserPool]:
    browsers = BrowserPool(settings)
    yield browsers
    await browsers.close()


async def make_ctx(settings: Settings, pool: BrowserPool, task_type: TaskType) -> ExecutionContext:
    """A context for one attempt of a real task row (artifacts are linked to its execution)."""
    ws = await ensure_workspace("acme")
    task = await Task.create(workspace_id=ws.id, title="browser", task_type=task_type, status=TaskStatus.IN_PROGRESS)
    execution = await TaskExecution.create(task=task, workspace_id=ws.id, attempt_number=1,
                                           triggered_by=Trigger.CREATE)
    async with httpx.AsyncClient() as client:  # browser executors do not use the shared client: a closed one
        pass
    return ExecutionContext(
        task_id=str(task.id), execution_id=str(execution.id), workspace_id=str(ws.id), attempt=1, http=client,
        settings=settings, deadline=asyncio.get_running_loop().time() + 60, browser=pool,
        artifacts=FilesystemStore(settings.artifacts_dir),
    )


def automation(steps: list[dict[str, Any]], **extra: Any) -> Any:
    return validate_config(TaskType.BROWSER_AUTOMATION, {"steps": steps, **extra})


def extraction(**config: Any) -> Any:
    return validate_config(TaskType.DATA_EXTRACTION, config, llm_configured=True)


def form_steps(site: str) -> list[dict[str, Any]]:
    return [
        {"action": "navigate", "url": f"{site}/form"},
        {"action": "type", "selector": "#name", "text": "Ada"},
        {"action": "select", "selector": "#plan", "value": "pro"},
        {"action": "click", "selector": "#go"},
        {"action": "wait", "selector": "#greeting"},
        {"action": "extract", "selector": "#greeting", "name": "greeting"},
        {"action": "extract", "selector": "#terms", "name": "terms", "attribute": "href"},
        {"action": "screenshot", "name": "after submit"},
    ]


async def test_a_form_is_filled_submitted_read_and_screenshotted(site: str, settings: Settings, pool: BrowserPool,
                                                                 db: str) -> None:
    ctx = await make_ctx(settings, pool, TaskType.BROWSER_AUTOMATION)
    result = await browser_automation.run(automation(form_steps(site)), ctx)
    out = result.output
    assert out["extracted"] == {"greeting": "Hello, Ada (pro)", "terms": "/terms"}
    assert out["title"] == "Sign up" and out["finalUrl"] == f"{site}/form"
    assert [s["status"] for s in out["steps"]] == ["SUCCESS"] * 8 and result.steps == out["steps"]
    assert [s["index"] for s in out["steps"]] == list(range(8))
    assert all(isinstance(s["durationMs"], int) for s in out["steps"])
    assert sorted({line.step for line in ctx.lines if line.step is not None}) == list(range(8))
    # Then the screenshot is an artifact row of this execution and a real PNG on disk
    rows = await Artifact.filter(execution_id=ctx.execution_id)
    assert [(r.name, r.content_type) for r in rows] == [("after submit", "image/png")]
    assert out["screenshots"] == [{"id": str(rows[0].id), "name": "after submit", "url": f"/artifacts/{rows[0].id}",
                                   "sizeBytes": rows[0].size_bytes}]
    data = (settings.artifacts_dir / rows[0].path).read_bytes()
    assert data.startswith(PNG_MAGIC) and len(data) == rows[0].size_bytes
    assert rows[0].path.startswith(f"{ctx.workspace_id}/{ctx.execution_id}/")


async def test_a_missing_selector_fails_at_its_step_with_a_screenshot(site: str, settings: Settings,
                                                                      pool: BrowserPool, db: str) -> None:
    ctx = await make_ctx(settings, pool, TaskType.BROWSER_AUTOMATION)
    steps = [{"action": "navigate", "url": f"{site}/form"}, {"action": "type", "selector": "#name", "text": "x"},
             {"action": "click", "selector": "#does-not-exist", "timeoutMs": 400}, {"action": "screenshot"}]
    with pytest.raises(PermanentError, match=r"step 2 \(click\).*timed out after 400 ms"):
        await browser_automation.run(automation(steps), ctx)
    assert ctx.steps is not None
    assert [(s["index"], s["status"]) for s in ctx.steps] == [(0, "SUCCESS"), (1, "SUCCESS"), (2, "FAILED")]
    rows = await Artifact.filter(execution_id=ctx.execution_id)
    assert [r.name for r in rows] == ["failure-step-2"]
    assert ctx.steps[2]["screenshot"] == f"/artifacts/{rows[0].id}"
    assert (settings.artifacts_dir / rows[0].path).read_bytes().startswith(PNG_MAGIC)


async def test_a_page_that_does_not_load_is_retryable(settings: Settings, pool: BrowserPool, db: str) -> None:
    ctx = await make_ctx(settings, pool, TaskType.BROWSER_AUTOMATION)
    closed = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(RetryableError, match=r"step 0 \(navigate\): the page did not load"):
        await browser_automation.run(automation([{"action": "navigate", "url": closed}]), ctx)


async def test_a_refused_navigation_fails_permanently(settings: Settings, pool: BrowserPool, db: str) -> None:
    ctx = await make_ctx(settings, pool, TaskType.BROWSER_AUTOMATION)
    with pytest.raises(EgressRefused, match="loopback"):
        await browser_automation.run(automation([{"action": "navigate", "url": "http://127.0.0.2:9/"}]), ctx)


async def test_a_request_of_the_page_outside_the_allowlist_is_aborted(site: str, pool: BrowserPool) -> None:
    async with pool.context() as (context, guard):
        page = await context.new_page()
        await page.goto(f"{site}/egress")
        await page.wait_for_selector("#result.done", timeout=5000)
        assert (await page.inner_text("#result")).startswith("failed")
    refused = [url for url, _ in guard.refused]
    assert len(refused) == 1 and refused[0].startswith("http://127.0.0.2:")
    assert "loopback" in guard.refused[0][1] and "TASKLOOM_EGRESS_ALLOWLIST" in guard.refused[0][1]


async def test_the_browser_is_reused_across_tasks_and_relaunched_after_a_crash(settings: Settings) -> None:
    browsers = BrowserPool(settings)
    try:
        first = await browsers.browser()
        async with browsers.context():
            pass
        assert await browsers.browser() is first and browsers.launches == 1
        await first.close()  # as if it crashed
        assert (await browsers.browser()) is not first and browsers.launches == 2
    finally:
        await browsers.close()


async def test_selectors_extract_single_values_and_lists(site: str, settings: Settings, pool: BrowserPool,
                                                         db: str) -> None:
    ctx = await make_ctx(settings, pool, TaskType.DATA_EXTRACTION)
    config = extraction(url=f"{site}/list", waitFor=".item", fields={
        "names": {"selector": ".item a", "all": True},
        "links": {"selector": ".item a", "attribute": "href", "all": True},
        "count": {"selector": "#count"},
        "missing": {"selector": "#nope"},
    })
    result = await data_extraction.run(config, ctx)
    assert result.output == {"url": f"{site}/list", "data": {
        "names": ["Kettle", "Toaster", "Blender"], "links": ["/p/1", "/p/2", "/p/3"], "count": "3 products",
        "missing": None}}


@pytest.mark.parametrize("answers, calls", [
    pytest.param([{"company": "Acme Inc", "phone": "+1 555 0100"}], 1, id="valid answer"),
    pytest.param(["not json", {"company": "Acme Inc", "phone": "+1 555 0100"}], 2, id="invalid then valid"),
    pytest.param([{"company": 42}, {"company": "Acme Inc", "phone": "+1 555 0100"}], 2, id="wrong shape then valid"),
])
async def test_the_llm_extracts_data_matching_the_schema(site: str, settings: Settings, pool: BrowserPool,
                                                         llm: FakeLlm, db: str, answers: list[Any], calls: int) -> None:
    llm.script(*answers)
    ctx = await make_ctx(settings, pool, TaskType.DATA_EXTRACTION)
    config = extraction(url=f"{site}/article", instruction="Get the company name and phone.", schema=SCHEMA)
    result = await data_extraction.run(config, ctx)
    assert result.output == {"url": f"{site}/article", "data": {"company": "Acme Inc", "phone": "+1 555 0100"}}
    assert len(llm.requests) == calls
    first = llm.requests[0]
    assert first["headers"]["authorization"] == "Bearer sk-test" and first["body"]["model"] == "fake-model"
    assert first["body"]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "extraction", "schema": SCHEMA, "strict": True}}
    assert "Call us at +1 555 0100." in first["body"]["messages"][-1]["content"]
    if calls == 2:
        assert "did not match the JSON Schema" in llm.requests[1]["body"]["messages"][-1]["content"]


async def test_an_llm_answer_invalid_twice_fails_permanently(site: str, settings: Settings, pool: BrowserPool,
                                                              llm: FakeLlm, db: str) -> None:
    llm.script({"company": 1}, {"phone": "x"})
    ctx = await make_ctx(settings, pool, TaskType.DATA_EXTRACTION)
    config = extraction(url=f"{site}/article", instruction="Get the company name and phone.", schema=SCHEMA)
    with pytest.raises(PermanentError, match=r"did not match the schema after a corrective retry: .*'company'"):
        await data_extraction.run(config, ctx)
    assert len(llm.requests) == 2


# -- end to end: the embedded engine, the API and the artifact download ------------------------------------------

@pytest_asyncio.fixture(scope="module")
async def engine_url(settings: Settings) -> AsyncIterator[str]:
    engine_settings = settings.model_copy(update={"broker_url": "memory://", "retry_base_s": 0.05,
                                                  "retry_cap_s": 0.2, "heartbeat_s": 0.3})
    port = free_port()
    async for _ in serve(create_app(engine_settings, own_database=False), port):
        yield f"http://127.0.0.1:{port}"


async def test_a_browser_task_completes_and_its_screenshot_downloads_for_its_workspace_only(
        engine_url: str, site: str, db: str) -> None:
    async with httpx.AsyncClient(base_url=engine_url, timeout=30) as client:
        api: Caller = await make_caller(client, "acme", ["admin"], name="browser-admin")
        config = {"steps": form_steps(site)}
        payload = (await api(CREATE_TASK, {"input": task_input(
            "BROWSER_AUTOMATION", config, executionType="AUTOMATIC", assignedToBot=True)}))["createTask"]
        assert payload["userErrors"] == [], payload
        task_id = payload["task"]["id"]

        task = await settled(task_id, timeout_s=30)
        assert task.status == TaskStatus.COMPLETED, task.last_error
        assert task.result["extracted"]["greeting"] == "Hello, Ada (pro)"
        execution = await TaskExecution.get(task_id=task_id)
        assert [s["status"] for s in execution.steps] == ["SUCCESS"] * 8

        data = await api("query($id: ID!) { task(id: $id) { executions { nodes { screenshots { url contentType } } } } }",
                         {"id": task_id})
        shots = data["task"]["executions"]["nodes"][0]["screenshots"]
        assert [s["contentType"] for s in shots] == ["image/png"]
        url = shots[0]["url"]

        own = await client.get(url, headers={"Authorization": f"Bearer {api.key}"})
        assert own.status_code == 200 and own.headers["content-type"] == "image/png"
        assert own.content.startswith(PNG_MAGIC)
        other = await make_caller(client, "globex", ["admin"], name="globex-admin")
        assert (await client.get(url, headers={"Authorization": f"Bearer {other.key}"})).status_code == 404
        writer = await make_caller(client, "acme", ["tasks:write"], name="writer")
        assert (await client.get(url, headers={"Authorization": f"Bearer {writer.key}"})).status_code == 403
        assert (await client.get(url)).status_code == 401
