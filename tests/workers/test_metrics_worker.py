"""A real `taskloom worker` process on Redis, its metrics served on a free 127.0.0.1 port and its logs in JSON:
the tasks it finished are counted there, every line of a run carries the task and execution ids, and a
secret of a task's config appears nowhere in its output."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from broker_support import TASKLOOM, WorkerProcess, purge, require, worker_env
from conftest import free_port
from engine_support import Target, settled, target  # noqa: F401 (target: a fixture)
from metrics_support import sample

from domain.enums import ExecutionType, TaskType
from domain.models import Task, TaskExecution, Workspace
from domain.services.effects import Effects
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks
from domain.settings import load_settings
from domain.state_machine import TaskStatus
from workers.broker import DramatiqDispatcher, setup_broker

SECRET = "sk-never-log-me-4242"
#: A Redis database of these tests alone: the broker tests purge theirs (7) whenever they start.
REDIS_URL = "redis://127.0.0.1:6379/11"
#: The scheduler test's broker: no worker consumes it, so the task it queues stays QUEUED (the module's worker,
#: polling every 100 ms, would run it, fail it and have the scheduler queue it a second time).
SCHEDULER_REDIS_URL = "redis://127.0.0.1:6379/8"


@pytest_asyncio.fixture(scope="module")
async def metrics_worker(database_url: str, tmp_path_factory: pytest.TempPathFactory
                         ) -> AsyncIterator[tuple[WorkerProcess, str]]:
    """`taskloom worker` on Redis with JSON logs and its metrics on a free loopback port; yields it and the URL."""
    require(REDIS_URL, "Redis")
    purge(REDIS_URL)
    folder = tmp_path_factory.mktemp("metrics-worker")
    port = free_port()
    env = worker_env(database_url, REDIS_URL, folder / "artifacts")
    env.update(TASKLOOM_LOG_FORMAT="json", TASKLOOM_WORKER_METRICS_PORT=str(port))
    log_path = folder / "worker.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(TASKLOOM), "worker", "--processes", "2", "--threads", "2"], env=env,
                                cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process = WorkerProcess(proc, log_path)
    try:
        await process.ready()
        yield process, f"http://127.0.0.1:{port}/metrics"
    finally:
        process.kill()
        purge(REDIS_URL)


async def run_two(database_url: str, target: Target) -> tuple[Task, Task]:
    """One API_CALL that completes (with a bearer token in its config) and one that fails, through the broker."""
    broker = setup_broker(load_settings(database_url=database_url, broker_url=REDIS_URL, _env_file=None))
    try:
        effects = Effects(dispatcher=DramatiqDispatcher(broker))
        workspace, _ = await Workspace.get_or_create(name="metrics")
        configs = [{"apiEndpoint": target.script("worker-ok", 200) + f"?api_key={SECRET}-q", "authType": "bearer",
                    "bearerToken": SECRET},
                   {"apiEndpoint": target.script("worker-bad", 404)}]
        drafts = [TaskDraft(title=f"call {i}", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                            assigned_to_bot=True, execution_config=config, max_retries=0)
                  for i, config in enumerate(configs)]
        ok, bad = await create_tasks(str(workspace.id), drafts, actor="test", effects=effects,
                                     capabilities=Capabilities())
        return await settled(str(ok.id), timeout_s=20), await settled(str(bad.id), timeout_s=20)
    finally:
        broker.close()


async def scrape_until(url: str, check: Any, timeout_s: float = 10) -> str:
    """The exposition once `check(text)` holds (the exporter starts after the workers; counts land at once)."""
    deadline = time.monotonic() + timeout_s
    text = ""
    async with httpx.AsyncClient(timeout=5) as client:
        while time.monotonic() < deadline:
            try:
                response = await client.get(url)
                text = response.text
                if response.status_code == 200 and check(text):
                    return text
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never satisfied the check; last answer:\n{text[-3000:]}")


async def test_the_worker_exposes_the_tasks_it_finished(metrics_worker: tuple[WorkerProcess, str], db: str,
                                                        target: Target) -> None:
    process, url = metrics_worker
    ok, bad = await run_two(db, target)
    assert (ok.status, bad.status) == (TaskStatus.COMPLETED, TaskStatus.FAILED)

    def counted(text: str) -> bool:
        return sample(text, "taskloom_tasks_finished_total", task_type="API_CALL", status="FAILED") >= 1

    text = await scrape_until(url, counted)
    assert sample(text, "taskloom_tasks_finished_total", task_type="API_CALL", status="COMPLETED") == 1
    assert sample(text, "taskloom_tasks_finished_total", task_type="API_CALL", status="FAILED") == 1
    assert sample(text, "taskloom_tasks_started_total", task_type="API_CALL") == 2
    assert sample(text, "taskloom_task_duration_seconds_count", task_type="API_CALL") == 2
    assert sample(text, "taskloom_task_queue_lag_seconds_count", task_type="API_CALL") == 2
    assert sample(text, "dramatiq_messages_total") >= 2  # dramatiq's own series, from the same folder
    assert process.alive()


async def test_a_runs_log_lines_are_json_with_its_ids_and_no_secret(metrics_worker: tuple[WorkerProcess, str],
                                                                   db: str, target: Target) -> None:
    process, _ = metrics_worker
    ok, _bad = await run_two(db, target)
    (execution,) = await TaskExecution.filter(task_id=ok.id)
    deadline = time.monotonic() + 10
    while f"task '{ok.id}': IN_PROGRESS -> COMPLETED" not in process.log():
        assert time.monotonic() < deadline, process.log()
        await asyncio.sleep(0.05)
    log = process.log()
    assert SECRET not in log
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]  # every line is JSON
    completed = [e for e in entries if e["message"] == f"task '{ok.id}': IN_PROGRESS -> COMPLETED by worker"]
    assert len(completed) == 1
    assert completed[0]["task_id"] == str(ok.id) and completed[0]["execution_id"] == str(execution.id)
    assert {"at", "level", "logger"} <= completed[0].keys()
    assert any(e["message"] == "Worker process is ready for action." for e in entries)


async def test_serve_with_two_processes_adds_up_their_series_on_every_scrape(database_url: str,
                                                                               tmp_path: Path) -> None:
    # Given `taskloom serve --workers 2` (each process writes its series to the shared multiprocess folder)
    require(REDIS_URL, "Redis")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = worker_env(database_url, REDIS_URL, tmp_path / "artifacts")
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen([str(TASKLOOM), "serve", "--workers", "2", "--port", str(port)], env=env,
                                cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = WorkerProcess(proc, tmp_path / "serve.log")
    try:
        await server.logged("Application startup complete", timeout_s=30)

        async def fresh(method: str, path: str, **kwargs: Any) -> httpx.Response:
            async with httpx.AsyncClient(base_url=base, timeout=10) as client:  # a new connection: any process
                return await client.request(method, path, **kwargs)

        # When 20 unauthenticated GraphQL requests are refused, each on its own connection
        for _ in range(20):
            assert (await fresh("POST", "/graphql", json={"query": "{ latestEventId }"})).status_code == 401
        # Then every scrape, whichever process answers it, counts all 20
        for _ in range(6):
            text = (await fresh("GET", "/metrics")).text
            assert sample(text, "taskloom_http_requests_total", route="/graphql", method="POST", status="4xx") == 20
    finally:
        server.kill()


async def test_the_scheduler_exposes_the_changes_it_commits(database_url: str, db: str, tmp_path: Path) -> None:
    # Given `taskloom scheduler` with its metrics on a free port, and a bot task due in a second
    require(SCHEDULER_REDIS_URL, "Redis")
    port = free_port()
    env = worker_env(database_url, SCHEDULER_REDIS_URL, tmp_path / "artifacts")
    env.update(TASKLOOM_SCHEDULER_METRICS_PORT=str(port))
    with (tmp_path / "scheduler.log").open("wb") as log:
        proc = subprocess.Popen([str(TASKLOOM), "scheduler"], env=env, cwd=tmp_path, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    scheduler = WorkerProcess(proc, tmp_path / "scheduler.log")
    try:
        workspace, _ = await Workspace.get_or_create(name="metrics")
        draft = TaskDraft(title="later", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                          assigned_to_bot=True, execution_config={"apiEndpoint": "http://127.0.0.1:9/x"},
                          scheduled_for=datetime.now(UTC) + timedelta(seconds=1))
        (task,) = await create_tasks(str(workspace.id), [draft], actor="test", effects=Effects(),
                                     capabilities=Capabilities())
        assert task.status == TaskStatus.SCHEDULED
        # When it comes due, the scheduler queues it (nobody consumes: the queue is purged after)
        await settled(str(task.id), timeout_s=20, statuses=frozenset({TaskStatus.QUEUED}))
        # Then the scheduler's own /metrics counts that change
        text = await scrape_until(f"http://127.0.0.1:{port}/metrics",
                                  lambda t: sample(t, "taskloom_events_published_total", to_status="QUEUED") >= 1)
        assert sample(text, "taskloom_events_published_total", to_status="QUEUED") == 1
    finally:
        scheduler.kill()
        purge(SCHEDULER_REDIS_URL)
