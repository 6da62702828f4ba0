"""LogWriter (workers/log_writer.py): lines pushed together share one entry of a batch; lines pushed once that
batch has been written go in a new one. All are stored in the order pushed, against the real database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from claims_support import claims
from pg_faults import holding, kill_the_waiter
from tortoise import connections

from domain.events import InMemoryBus
from domain.models import ExecutionLogLine
from workers.context import LogLine
from workers.log_writer import LogWriter


async def test_lines_pushed_before_and_after_a_batch_is_written_are_stored_in_order(db: str) -> None:
    workspace_id, (claim,) = await claims(1)
    writer = LogWriter(str(claim.execution.id), workspace_id, InMemoryBus())

    def push(message: str) -> None:
        writer.push(LogLine(datetime.now(UTC), "INFO", message))

    async def stored() -> list[str]:
        return await ExecutionLogLine.filter(execution_id=claim.execution.id).order_by("id").values_list(
            "message", flat=True)

    push("one")
    push("two")  # same loop turn: joins the entry of "one"
    for _ in range(500):
        if await stored():
            break
        await asyncio.sleep(0.01)
    assert await stored() == ["one", "two"]
    push("three")  # that batch is written: a new entry
    push("four")
    await writer.close()
    assert await stored() == ["one", "two", "three", "four"]


async def test_take_unsent_hands_over_the_lines_no_batch_took_and_waits_for_the_others(db: str) -> None:
    workspace_id, (claim,) = await claims(1)
    writer = LogWriter(str(claim.execution.id), workspace_id, InMemoryBus())

    async def stored() -> list[str]:
        return await ExecutionLogLine.filter(execution_id=claim.execution.id).order_by("id").values_list(
            "message", flat=True)

    writer.push(LogLine(datetime.now(UTC), "INFO", "sending"))
    for _ in range(100):  # until the batch of "sending" has taken it (and is writing it)
        if writer._open is not None and writer._open.taken:
            break
        await asyncio.sleep(0)
    writer.push(LogLine(datetime.now(UTC), "INFO", "done"))  # a new entry, not taken by any batch yet

    unsent = await writer.take_unsent()
    # Then "done" is the caller's to write, and "sending", taken by a batch, is stored by the time it returns
    assert [line.message for line in unsent] == ["done"]
    assert await stored() == ["sending"]
    await asyncio.sleep(0.2)  # the batch "done" was queued in has run: it wrote nothing of it
    assert await stored() == ["sending"]
    assert await writer.take_unsent() == []  # nothing left


async def test_a_batch_whose_connection_is_killed_mid_insert_is_stored_on_the_next_try(db: str) -> None:
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("kills a PostgreSQL backend")
    workspace_id, (claim,) = await claims(1)
    writer = LogWriter(str(claim.execution.id), workspace_id, InMemoryBus())
    # Given another session holding the execution's row lock: a line's foreign-key check waits for it
    async with holding(db, "SELECT 1 FROM task_executions WHERE id = $1 FOR UPDATE", claim.execution.id) as blocker:
        writer.push(LogLine(datetime.now(UTC), "INFO", "sending"))
        # When the backend inserting the batch is killed while it waits
        await kill_the_waiter(blocker)
    # Then the line is stored once, on a new connection
    await asyncio.wait_for(writer.close(), timeout=15)
    assert await ExecutionLogLine.filter(execution_id=claim.execution.id).values_list("message", flat=True) == [
        "sending"]
