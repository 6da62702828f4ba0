"""The scheduler loop outlives a database connection that dies under it (found by `make drills`, PostgreSQL restart).

Tortoise (1.1) sets its "current transaction" context variable before it sends BEGIN and does not reset it when
BEGIN fails, so a transaction that could not start leaves the task it ran in believing it is inside one: every
later `in_transaction()` there became a savepoint on a released connection, and a scheduler whose one tick hit a
dying connection failed every tick after it — no more due tasks, retries, re-sends or recovery — while its
process stayed up. Each tick now runs in a task of its own.

After a tick failed on the database, runs are called lost only once it has been reachable for
`TASKLOOM_LOST_AFTER_S` again: during the outage no worker could beat a heartbeat or write an attempt's end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
from claims_support import claims
from tortoise import connections

from domain.enums import ExecutionType, TaskType
from domain.models import Task, Workspace
from domain.services.effects import Effects
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks
from domain.settings import load_settings
from domain.state_machine import TaskStatus
from workers.scheduler import Scheduler

#: Tries at breaking a tick's connection between the pool handing it out and BEGIN.
ATTEMPTS = 40


async def _no_messages(message_ids: list[str]) -> None:
    return None


async def _terminate_pool_backends() -> None:
    """End every other server process of this database: the pool's connections die under their owners."""
    conn = connections.get("default")
    await conn.execute_query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()")


async def _break_a_tick(caplog: pytest.LogCaptureFixture) -> None:
    """Kill the pool's connections until one of the running scheduler's ticks fails on its dead connection."""
    with caplog.at_level(logging.ERROR, logger="workers.scheduler"):
        for _ in range(ATTEMPTS):
            await _terminate_pool_backends()
            await asyncio.sleep(0.05)
            if "scheduler tick failed" in caplog.text:
                return
    raise AssertionError("no tick failed: the drill's fault was not reproduced")


async def test_a_tick_whose_transaction_could_not_begin_does_not_break_the_next_ticks(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    if not db.startswith("postgres"):
        pytest.skip("the pooled transaction of this failure is PostgreSQL's (SQLite has one connection)")
    effects = Effects()
    scheduler = Scheduler(load_settings(database_url=db, _env_file=None), effects, deliver=_no_messages,
                          tick_s=0.01)
    running = asyncio.ensure_future(scheduler.run())
    try:
        # Given ticks that failed because their connection died as the transaction began
        await _break_a_tick(caplog)
        # When a scheduled task becomes due
        workspace = await Workspace.create(name="reconnect")
        draft = TaskDraft(title="later", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                          assigned_to_bot=True, scheduled_for=datetime.now(UTC) + timedelta(milliseconds=200),
                          execution_config={"apiEndpoint": "http://127.0.0.1:9/"})
        (task,) = await create_tasks(str(workspace.id), [draft], actor="test", effects=effects,
                                     capabilities=Capabilities())
        assert task.status == TaskStatus.SCHEDULED
        # Then the same scheduler loop still queues it
        deadline = time.monotonic() + 10
        while (await Task.get(id=task.id)).status != TaskStatus.QUEUED:
            assert time.monotonic() < deadline, f"the scheduler stopped working after a failed tick:\n{caplog.text[-3000:]}"
            await asyncio.sleep(0.05)
    finally:
        scheduler.stop()
        await running


async def test_after_a_tick_failed_on_the_database_silent_runs_get_lost_after_s_more(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    if not db.startswith("postgres"):
        pytest.skip("the pooled transaction of this failure is PostgreSQL's (SQLite has one connection)")
    effects = Effects()
    scheduler = Scheduler(load_settings(database_url=db, lost_after_s=3, _env_file=None), effects,
                          deliver=_no_messages, tick_s=0.01)
    running = asyncio.ensure_future(scheduler.run())
    try:
        # Given a tick that failed on the database (its connection died)
        await _break_a_tick(caplog)
        # And a run silent for a minute, as one is whose worker could not beat its heartbeat meanwhile
        _, (claim,) = await claims(1, effects=effects)
        task = claim.task
        await Task.filter(id=task.id).update(heartbeat_at=datetime.now(UTC) - timedelta(minutes=1))
        # Then it is left to its worker at first (its end may still come), and called lost 3 s after the failure
        failed_at = time.monotonic()
        await asyncio.sleep(1)
        assert (await Task.get(id=task.id)).status == TaskStatus.IN_PROGRESS
        while (await Task.get(id=task.id)).status == TaskStatus.IN_PROGRESS:
            assert time.monotonic() - failed_at < 15, "the silent run was never recovered"
            await asyncio.sleep(0.05)
        assert (await Task.get(id=task.id)).status == TaskStatus.RETRYING
    finally:
        scheduler.stop()
        await running
