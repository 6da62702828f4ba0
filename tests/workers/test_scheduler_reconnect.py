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
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from claims_support import claims
from tortoise import connections

from domain.enums import ExecutionStatus, ExecutionType, TaskType
from domain.models import Task, TaskExecution, Workspace
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


@contextlib.asynccontextmanager
async def _scheduler_after_a_failed_tick(db: str, caplog: pytest.LogCaptureFixture, effects: Effects,
                                         **settings: Any) -> AsyncIterator[Scheduler]:
    """A scheduler loop ticking every 10 ms, one of whose ticks failed on its dead connection (the pool's
    connections are killed until one does and the scheduler logs that the database is reachable again); stopped
    when the block ends."""
    if not db.startswith("postgres"):
        pytest.skip("the pooled transaction of this failure is PostgreSQL's (SQLite has one connection)")
    scheduler = Scheduler(load_settings(database_url=db, _env_file=None, **settings), effects,
                          deliver=_no_messages, tick_s=0.01)
    running = asyncio.ensure_future(scheduler.run())
    try:
        with caplog.at_level(logging.WARNING, logger="workers.scheduler"):
            for _ in range(ATTEMPTS):
                await _terminate_pool_backends()
                await asyncio.sleep(0.05)
                if "database reachable again" in caplog.text:
                    break
        assert "scheduler tick failed" in caplog.text, "no tick failed: the drill's fault was not reproduced"
        assert "database reachable again" in caplog.text, caplog.text[-3000:]
        yield scheduler
    finally:
        scheduler.stop()
        await running


async def test_a_tick_whose_transaction_could_not_begin_does_not_break_the_next_ticks(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    effects = Effects()
    # Given ticks that failed because their connection died as the transaction began
    async with _scheduler_after_a_failed_tick(db, caplog, effects):
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


async def test_after_a_tick_failed_on_the_database_silent_runs_get_lost_after_s_more(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    effects = Effects()
    # Given a tick that failed on the database (its connection died)
    async with _scheduler_after_a_failed_tick(db, caplog, effects, lost_after_s=3):
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
        # (its attempt failed "worker lost"; the retry's full-jitter backoff may already have queued it again)
        assert (await Task.get(id=task.id)).status in (TaskStatus.RETRYING, TaskStatus.QUEUED)
        attempt = await TaskExecution.get(id=claim.execution.id)
        assert attempt.status == ExecutionStatus.FAILED and attempt.error.startswith("worker lost"), attempt.error
