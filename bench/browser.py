"""Benchmark: BROWSER_AUTOMATION tasks with the worker's reused browser pool vs a cold Chromium launch per task.

Each task is five steps (navigate, type, click, extract, screenshot) against a form page served on 127.0.0.1,
run through the real executor (`workers.executors.browser_automation.run`) with an ExecutionContext, so the
egress guard, the step records and the screenshot artifact (file + row in a scratch SQLite database) are all
paid for. Modes:
- `cold` (baseline): a new BrowserPool per task, closed after it: Playwright's driver and Chromium start
  for every task (what a worker without a pool would do);
- `reused`: one BrowserPool for the whole run (one Chromium launch, a fresh context per task), as a worker
  process does. Its wall time includes that one launch.
Tasks run CONCURRENCY at a time; per-task latency is measured around `run()`. Chromium is Debian's
(`/usr/bin/chromium`). Run: `.venv/bin/python bench/browser.py [--tasks N] [--concurrency N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from http_client import free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from tortoise import Tortoise

from domain.configs import validate_config
from domain.db import tortoise_config
from domain.enums import TaskType, Trigger
from domain.models import Task, TaskExecution
from domain.services.api_keys import ensure_workspace
from domain.settings import Settings, load_settings
from domain.state_machine import TaskStatus
from workers.artifacts import FilesystemStore
from workers.browser import BrowserPool
from workers.context import ExecutionContext
from workers.executors import browser_automation

DEFAULT_TASKS = 50
DEFAULT_CONCURRENCY = 4
CHROMIUM = Path("/usr/bin/chromium")

PAGE = """<!doctype html><html><head><title>Bench form</title></head><body>
<input id="name"><button id="go" onclick="document.getElementById('out').textContent =
  'Hello, ' + document.getElementById('name').value">Go</button><p id="out"></p></body></html>"""


def steps(site: str, n: int) -> list[dict[str, Any]]:
    return [
        {"action": "navigate", "url": f"{site}/form"},
        {"action": "type", "selector": "#name", "text": f"task {n}"},
        {"action": "click", "selector": "#go"},
        {"action": "extract", "selector": "#out", "name": "greeting"},
        {"action": "screenshot", "name": "done"},
    ]


async def make_ctx(settings: Settings, pool: BrowserPool, workspace_id: str,
                   http: httpx.AsyncClient) -> ExecutionContext:
    task = await Task.create(workspace_id=workspace_id, title="bench", task_type=TaskType.BROWSER_AUTOMATION,
                             status=TaskStatus.IN_PROGRESS)
    execution = await TaskExecution.create(task=task, workspace_id=workspace_id, attempt_number=1,
                                           triggered_by=Trigger.CREATE)
    return ExecutionContext(
        task_id=str(task.id), execution_id=str(execution.id), workspace_id=workspace_id, attempt=1, http=http,
        settings=settings, deadline=asyncio.get_running_loop().time() + 120, browser=pool,
        artifacts=FilesystemStore(settings.artifacts_dir),
    )


async def run_mode(mode: str, settings: Settings, site: str, workspace_id: str, tasks: int,
                   concurrency: int, http: httpx.AsyncClient) -> dict[str, Any]:
    shared = BrowserPool(settings) if mode == "reused" else None
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    failures = 0

    async def one(n: int) -> None:
        nonlocal failures
        async with gate:
            pool = shared or BrowserPool(settings)
            try:
                ctx = await make_ctx(settings, pool, workspace_id, http)
                config = validate_config(TaskType.BROWSER_AUTOMATION, {"steps": steps(site, n)})
                started = time.perf_counter()
                result = await browser_automation.run(config, ctx)
                latencies.append(time.perf_counter() - started)
                if result.output["extracted"]["greeting"] != f"Hello, task {n}":
                    failures += 1
            except Exception as exc:
                failures += 1
                print(f"  {mode} task {n} failed: {exc}")
            finally:
                if shared is None:
                    await pool.close()

    started = time.perf_counter()
    try:
        await asyncio.gather(*(one(n) for n in range(tasks)))
    finally:
        if shared is not None:
            await shared.close()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))] if ordered else float("nan")
    return {"mode": mode, "tasks": len(latencies), "failed": failures, "wall": wall,
            "rate": len(latencies) / wall, "p50": statistics.median(ordered) * 1000 if ordered else float("nan"),
            "p95": p95 * 1000, "launches": tasks if shared is None else shared.launches}


async def main(tasks: int, concurrency: int) -> None:
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite://{tmp}/bench.db"
        settings = load_settings(database_url=database_url, chromium_path=CHROMIUM, egress_allowlist="127.0.0.1/32",
                                 artifacts_dir=Path(tmp) / "artifacts", _env_file=None)
        await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)
        await Tortoise.generate_schemas()

        async def form(request: Request) -> HTMLResponse:
            return HTMLResponse(PAGE)

        port = free_port()
        server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/form", form)]), host="127.0.0.1",
                                               port=port, log_level="warning", lifespan="off"))
        serving = asyncio.ensure_future(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        site = f"http://127.0.0.1:{port}"
        workspace = await ensure_workspace("bench")
        rows = []
        try:
            async with httpx.AsyncClient() as http:  # unused by browser tasks
                runs: list[Callable[[], Awaitable[dict[str, Any]]]] = [
                    lambda: run_mode("cold", settings, site, str(workspace.id), tasks, concurrency, http),
                    lambda: run_mode("reused", settings, site, str(workspace.id), tasks, concurrency, http),
                ]
                for run in runs:
                    rows.append(await run())
        finally:
            server.should_exit = True
            await serving
            await Tortoise.close_connections()
    base = rows[0]["rate"]
    print(f"\n{tasks} five-step BROWSER_AUTOMATION tasks, {concurrency} at a time (baseline: cold)")
    print(f"{'mode':<8} {'tasks':>5} {'failed':>6} {'launches':>8} {'wall s':>7} {'tasks/s':>8} {'vs cold':>7} "
          f"{'p50 ms':>7} {'p95 ms':>7}")
    for row in rows:
        print(f"{row['mode']:<8} {row['tasks']:>5} {row['failed']:>6} {row['launches']:>8} {row['wall']:>7.2f} "
              f"{row['rate']:>8.2f} {row['rate'] / base:>6.1f}x {row['p50']:>7.0f} {row['p95']:>7.0f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    args = parser.parse_args()
    asyncio.run(main(args.tasks, args.concurrency))
