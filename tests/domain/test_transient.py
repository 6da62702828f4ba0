"""Writes tried again while the database fails transiently: which failures count, how long the tries go on, and
an attempt's end that survives its connection being killed mid-transaction on PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import UTC, datetime

import asyncpg
import pytest
from claims_support import claims
from pg_faults import holding, kill_the_waiter
from prometheus_client import REGISTRY
from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError, TransactionManagementError

from domain.enums import ExecutionStatus
from domain.models import ExecutionLogLine, Task, TaskExecution
from domain.services.effects import Effects
from domain.services.execution_logs import LineDraft
from domain.services.runs import finish_success
from domain.services.transitions import _EVENT_APPEND_LOCK_KEY
from domain.state_machine import TaskStatus
from domain.transient import is_transient, retry_transient


def _postgres_syntax_error() -> OperationalError:
    try:
        raise OperationalError("syntax") from asyncpg.exceptions.SyntaxOrAccessError("bad")
    except OperationalError as exc:
        return exc


@pytest.mark.parametrize(("exc", "transient"), [
    (OperationalError(sqlite3.OperationalError("database is locked")), True),
    (TransactionManagementError(sqlite3.OperationalError("database is locked")), True),
    (asyncpg.exceptions.ConnectionDoesNotExistError("closed in the middle of operation"), True),
    (asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator command"), True),
    (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), True),
    (asyncpg.exceptions.DeadlockDetectedError("deadlock detected"), True),
    (ConnectionRefusedError(111, "Connection refused"), True),
    (asyncpg.InterfaceError("cannot call Transaction.rollback(): the underlying connection is closed"), True),
    (asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress"), True),
    (asyncpg.exceptions._base.DataError("invalid input for query argument $1"), False),
    (IntegrityError(sqlite3.IntegrityError("UNIQUE constraint failed")), False),
    (_postgres_syntax_error(), False),
    (ValueError("a bug"), False),
])
def test_which_failures_are_worth_trying_again(exc: Exception, transient: bool) -> None:
    assert is_transient(exc) is transient


async def test_a_write_is_tried_again_until_it_succeeds() -> None:
    calls = 0

    async def write() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise OperationalError(sqlite3.OperationalError("database is locked"))
        return "written"

    assert await retry_transient(write, within_s=5, what="a write") == "written"
    assert calls == 3


async def test_a_lasting_failure_is_raised_once_the_time_is_up_and_another_at_once() -> None:
    calls = 0

    async def down() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionRefusedError(111, "Connection refused")

    started = time.monotonic()
    with pytest.raises(ConnectionRefusedError):
        await retry_transient(down, within_s=0.5, what="a write")
    assert time.monotonic() - started < 2 and 2 <= calls <= 5  # waits 0.1, 0.2 (0.4 would pass 0.5 s)

    async def bug() -> None:
        nonlocal calls
        calls = -1
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await retry_transient(bug, within_s=5, what="a write")
    assert calls == -1


async def test_an_end_whose_connection_is_killed_mid_transaction_is_written_on_the_next_try(db: str) -> None:
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("kills a PostgreSQL backend")
    effects = Effects()
    _, (claim,) = await claims(1, effects=effects)
    task = claim.task
    # Given another session holding the event-append lock, so that the end's transaction waits for it after it
    # has updated the task and its execution (and changed the task in memory)
    async with holding(db, "SELECT pg_advisory_xact_lock($1)", _EVENT_APPEND_LOCK_KEY) as blocker:
        line = LineDraft(at=datetime.now(UTC), level="INFO", message="GET -> 200")
        end = asyncio.ensure_future(finish_success(claim, {"status": 200}, "ok", effects=effects, lines=[line]))
        # When the backend running the end is killed while it waits
        await kill_the_waiter(blocker)
    # Then, the lock released, the end is written on a new connection: once, with its line
    assert await asyncio.wait_for(end, timeout=15) is True
    done = await Task.get(id=task.id)
    assert done.status == TaskStatus.COMPLETED and done.result == {"status": 200}
    executions = await TaskExecution.filter(task_id=task.id)
    assert [e.status for e in executions] == [ExecutionStatus.SUCCESS]
    assert [line.message for line in await ExecutionLogLine.filter(execution_id=claim.execution.id)] == ["GET -> 200"]


async def test_an_outage_failing_many_writes_at_once_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    tries: dict[int, int] = {}

    async def write(n: int) -> int:
        tries[n] = tries.get(n, 0) + 1
        if tries[n] == 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return n

    with caplog.at_level(logging.WARNING, logger="domain.transient"):
        done = await asyncio.gather(*(retry_transient(lambda n=n: write(n), within_s=5, what="writing a burst",
                                                      which=lambda n=n: f"write {n}") for n in range(50)))
    assert done == list(range(50)) and set(tries.values()) == {2}
    warned = [r.getMessage() for r in caplog.records if r.getMessage().startswith("writing a burst failed")]
    assert len(warned) == 1 and "(write 0, ConnectionRefusedError" in warned[0], warned


async def test_every_new_try_is_counted_by_kind_of_write() -> None:
    def retried() -> float:
        return REGISTRY.get_sample_value("taskloom_write_retries_total", {"write": "writing a counted thing"}) or 0.0

    before, calls = retried(), 0

    async def write() -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionRefusedError(111, "Connection refused")

    await retry_transient(write, within_s=5, what="writing a counted thing")
    assert retried() - before == 2
