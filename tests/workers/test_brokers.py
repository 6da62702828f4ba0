"""The engine across processes: real `taskloom worker` processes on Redis and on RabbitMQ, the scheduler loop
ticking in the test process, tasks created at the domain level and a scripted HTTP target, all on 127.0.0.1.

Tasks complete once each, a duplicate message runs nothing twice, a worker killed with `kill -9` mid-task
loses nothing (the task is recovered and finished by another worker), and a task created while the broker
is down completes once the broker is back. The drills use a private redis-server, never the shared one.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import dramatiq
import pytest
import pytest_asyncio
from broker_support import (
    BROKER_LOST_LINE,
    FAST_TIMINGS,
    SHARED_RABBITMQ_URL,
    SHARED_REDIS_URL,
    DrillTarget,
    RedisServer,
    WorkerProcess,
    private_redis,  # noqa: F401 (a fixture)
    purge,
    require,
    scheduling,
    waiting_messages,
)
from conftest import free_port
from engine_support import serve, settled

from domain.enums import ExecutionStatus, ExecutionType, TaskPriority, TaskType, Trigger
from domain.models import Task, TaskEvent, TaskExecution, Workspace
from domain.services.effects import Effects
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks
from domain.settings import Settings, load_settings
from domain.state_machine import TaskStatus
from workers.broker import TASK_QUEUES, DramatiqDispatcher, setup_broker

BROKERS = [
    pytest.param((SHARED_REDIS_URL, "Redis"), id="redis"),
    pytest.param((SHARED_RABBITMQ_URL, "RabbitMQ"), id="rabbitmq"),
]


def settings_for(database_url: str, broker_url: str) -> Settings:
    return load_settings(database_url=database_url, broker_url=broker_url, egress_allowlist="127.0.0.1",
                         _env_file=None, **FAST_TIMINGS)


async def create(effects: Effects, urls: list[str], **fields: object) -> list[Task]:
    """AUTOMATIC API_CALL tasks for the bot, one per URL, created through the domain service."""
    workspace, _ = await Workspace.get_or_create(name="brokers")
    drafts = [TaskDraft(title=f"call {i}", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                        assigned_to_bot=True, execution_config={"apiEndpoint": url}, **fields)  # type: ignore[arg-type]
              for i, url in enumerate(urls)]
    return await create_tasks(str(workspace.id), drafts, actor="test", effects=effects, capabilities=Capabilities())


async def executions(task_id: object) -> list[TaskExecution]:
    return await TaskExecution.filter(task_id=task_id).order_by("attempt_number")


async def nothing_in_progress() -> None:
    assert await Task.filter(status=TaskStatus.IN_PROGRESS).count() == 0
    assert await TaskExecution.filter(status=ExecutionStatus.RUNNING).count() == 0


# -- fixtures ------------------------------------------------------------------------------------------------

@pytest_asyncio.fixture(scope="module")
async def target() -> AsyncIterator[DrillTarget]:
    stub = DrillTarget()
    port = free_port()
    stub.url = f"http://127.0.0.1:{port}"
    async for _ in serve(stub.app(), port):
        try:
            yield stub
        finally:
            stub.released.set()  # a stalled first call answers, so the server stops at once


@pytest.fixture(scope="module", params=BROKERS)
def broker_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The shared Redis (on its own DB number) or the shared RabbitMQ, emptied before and after the module."""
    url, what = request.param
    require(url, what)
    purge(url)
    yield url
    purge(url)


@pytest_asyncio.fixture(scope="module")
async def worker(broker_url: str, database_url: str, target: DrillTarget,
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkerProcess]:
    """One `taskloom worker --processes 1 --threads 4` on the broker, kept for the module's ordinary tests."""
    process = WorkerProcess.start(database_url=database_url, broker_url=broker_url,
                                  folder=tmp_path_factory.mktemp("worker"), name="worker")
    try:
        await process.ready()
        yield process
    finally:
        process.kill()


@pytest_asyncio.fixture
async def effects(worker: WorkerProcess, broker_url: str, db: str) -> AsyncIterator[Effects]:
    """Effects whose dispatcher sends to the broker the worker consumes; queues empty before and after."""
    purge(broker_url)
    broker = setup_broker(settings_for(db, broker_url))
    try:
        yield Effects(dispatcher=DramatiqDispatcher(broker))
    finally:
        broker.close()
        assert worker.alive(), f"the worker process died during the test:\n{worker.log()}"
        purge(broker_url)


@pytest_asyncio.fixture
async def drill_broker(private_redis: RedisServer, db: str) -> AsyncIterator[tuple[Settings, dramatiq.Broker]]:
    settings = settings_for(db, private_redis.url)
    broker = setup_broker(settings)
    try:
        yield settings, broker
    finally:
        broker.close()


# -- ordinary work, per broker ---------------------------------------------------------------------------------

async def test_automatic_api_calls_complete_in_a_worker_process_with_one_execution_each(
    effects: Effects, target: DrillTarget, worker: WorkerProcess
) -> None:
    # Given 20 AUTOMATIC API_CALL tasks, dispatched to the broker after commit
    run = uuid.uuid4().hex[:8]
    tasks = await create(effects, [target.script(f"many-{run}-{i}", 200) for i in range(20)])
    assert {t.status for t in tasks} == {TaskStatus.QUEUED}
    # When the worker process runs them
    started = time.monotonic()
    done = [await settled(str(t.id), timeout_s=20) for t in tasks]
    elapsed = time.monotonic() - started
    # Then each completed with the target's answer after exactly one call and one execution, out of process
    assert [t.status for t in done] == [TaskStatus.COMPLETED] * 20, [t.last_error for t in done]
    assert all(t.result["status"] == 200 for t in done)
    assert [len(target.hits(f"many-{run}-{i}")) for i in range(20)] == [1] * 20
    runs = await TaskExecution.filter(task_id__in=[t.id for t in tasks])
    assert len(runs) == 20
    assert {(r.status, r.attempt_number, r.triggered_by) for r in runs} == {(ExecutionStatus.SUCCESS, 1, Trigger.CREATE)}
    assert all(r.worker_id and not r.worker_id.endswith(f":{os.getpid()}") for r in runs), "ran in the test process"
    await nothing_in_progress()
    # TASKLOOM_WORKER_POLL_MS (default 100) reached Dramatiq in the worker process, instead of its 1000 ms
    assert "consumers ask for messages at least every 100 ms while idle" in worker.log()
    logging.getLogger(__name__).info("20 tasks through a worker process in %.2f s", elapsed)


async def test_the_same_task_sent_twice_runs_once(effects: Effects, target: DrillTarget, broker_url: str) -> None:
    from workers import actors

    # Given a QUEUED task whose message went to the broker at creation
    key = f"twice-{uuid.uuid4().hex[:8]}"
    (task,) = await create(effects, [target.script(key, 200)])
    # When the same actor message for it is sent twice more, racing the first on the worker's 4 threads
    queue, _ = TASK_QUEUES[TaskPriority.NORMAL]
    for _ in range(2):
        await asyncio.to_thread(actors.task_actor(TaskPriority.NORMAL).send, str(task.id))
    done = await settled(str(task.id))
    deadline = time.monotonic() + 10
    while await asyncio.to_thread(waiting_messages, broker_url, queue):
        assert time.monotonic() < deadline, "the duplicate messages were not consumed"
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # RabbitMQ counts only waiting messages: let prefetched duplicates finish
    # Then the task ran once: one claim, one execution, one call to the target
    assert done.status == TaskStatus.COMPLETED
    assert [r.status for r in await executions(task.id)] == [ExecutionStatus.SUCCESS]
    assert len(target.hits(key)) == 1
    events = await TaskEvent.filter(task_id=task.id).order_by("id")
    assert [e.to_status for e in events] == [TaskStatus.QUEUED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED]
    await nothing_in_progress()


# -- drills on a private redis-server ------------------------------------------------------------------------

async def test_a_task_of_a_worker_killed_mid_call_is_recovered_and_completed_by_another(
    drill_broker: tuple[Settings, dramatiq.Broker], target: DrillTarget, database_url: str, tmp_path: Path
) -> None:
    settings, broker = drill_broker
    dispatcher = DramatiqDispatcher(broker)
    effects = Effects(dispatcher=dispatcher)
    key = f"killed-{uuid.uuid4().hex[:8]}"
    worker_a = WorkerProcess.start(database_url=database_url, broker_url=settings.broker_url, folder=tmp_path,
                                   name="worker-a")
    worker_b: WorkerProcess | None = None
    try:
        # Given a task whose first call hangs, claimed by worker A and in flight at the target
        await worker_a.ready()
        (task,) = await create(effects, [target.stall_once(key)])
        await settled(str(task.id), statuses=frozenset({TaskStatus.IN_PROGRESS}), timeout_s=10)
        deadline = time.monotonic() + 10
        while not target.hits(key):
            assert time.monotonic() < deadline, "worker A never called the target"
            await asyncio.sleep(0.02)
        # When worker A's whole process group is killed with SIGKILL, worker B starts, and the scheduler ticks
        worker_a.kill()
        killed_at = time.monotonic()
        assert worker_a.proc.returncode == -9
        worker_b = WorkerProcess.start(database_url=database_url, broker_url=settings.broker_url, folder=tmp_path,
                                       name="worker-b")
        async with scheduling(settings, effects):
            done = await settled(str(task.id), timeout_s=15)
        took_s = time.monotonic() - killed_at
        assert worker_b.alive(), worker_b.log()
    finally:
        worker_a.kill()
        if worker_b is not None:
            worker_b.kill()
    # Then the lost attempt is on record and the recovery attempt completed the task, on another worker
    assert done.status == TaskStatus.COMPLETED, done.last_error
    runs = await executions(task.id)
    assert [(r.attempt_number, r.status, r.triggered_by) for r in runs] == [
        (1, ExecutionStatus.FAILED, Trigger.CREATE), (2, ExecutionStatus.SUCCESS, Trigger.RECOVERY)]
    assert (runs[0].error or "").startswith("worker lost"), runs[0].error
    assert runs[0].worker_id != runs[1].worker_id
    assert done.error_count == 1 and len(target.hits(key)) == 2
    events = await TaskEvent.filter(task_id=task.id).order_by("id")
    assert [e.to_status for e in events] == [TaskStatus.QUEUED, TaskStatus.IN_PROGRESS, TaskStatus.RETRYING,
                                             TaskStatus.QUEUED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED]
    assert took_s < 15
    await nothing_in_progress()


async def test_a_task_created_while_the_broker_is_down_completes_once_it_is_back(
    drill_broker: tuple[Settings, dramatiq.Broker], private_redis: RedisServer, target: DrillTarget,
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    settings, broker = drill_broker
    effects = Effects(dispatcher=DramatiqDispatcher(broker))
    key = f"outage-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess.start(database_url=database_url, broker_url=settings.broker_url, folder=tmp_path,
                                 name="worker")
    try:
        # Given a running worker, and then the broker stopped
        await worker.ready()
        private_redis.stop()
        # When a task is created meanwhile
        with caplog.at_level(logging.ERROR, logger="domain.services.effects"):
            (task,) = await create(effects, [target.script(key, 200)])
        # Then the creation succeeds and the task waits QUEUED in the database; the failed send is only logged
        assert task.status == TaskStatus.QUEUED
        assert (await Task.get(id=task.id)).status == TaskStatus.QUEUED
        assert "dispatch of 1 task(s) failed" in caplog.text
        await worker.logged(BROKER_LOST_LINE, timeout_s=10)  # the worker noticed the outage too
        # When the broker is back on the same port and the scheduler ticks
        private_redis.start()
        back_at = time.monotonic()
        async with scheduling(settings, effects):
            done = await settled(str(task.id), timeout_s=15)
        took_s = time.monotonic() - back_at
        assert worker.alive(), f"the worker did not survive the broker outage:\n{worker.log()}"
    finally:
        worker.kill()
    # Then the re-sent task completed once, in the worker that lived through the outage
    assert done.status == TaskStatus.COMPLETED, done.last_error
    assert [(r.status, r.triggered_by) for r in await executions(task.id)] == [(ExecutionStatus.SUCCESS, Trigger.CREATE)]
    assert len(target.hits(key)) == 1
    assert took_s < 15
    await nothing_in_progress()
