"""A request whose database connection dies answers `extensions.code` UNAVAILABLE, writes nothing, and the same
request sent again succeeds once (the idempotencyKey makes a third send return the same task)."""

from __future__ import annotations

import asyncio

import pytest
from conftest import Caller
from pg_faults import holding, kill_the_waiter
from samples import CREATE_TASK, task_input
from tortoise import connections

from api.graphql.errors import UNAVAILABLE_MESSAGE
from domain.models import Task, TaskEvent
from domain.services.transitions import _EVENT_APPEND_LOCK_KEY


async def test_a_create_whose_connection_dies_is_unavailable_then_goes_through_once(admin: Caller, db: str) -> None:
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("kills a PostgreSQL backend")
    variables = {"input": task_input(idempotencyKey="import-42")}
    # Given another session holding the event-append lock, so that the create's transaction waits for it
    async with holding(db, "SELECT pg_advisory_xact_lock($1)", _EVENT_APPEND_LOCK_KEY) as blocker:
        sent = asyncio.ensure_future(admin.raw(CREATE_TASK, variables))
        # When the backend running the create is killed while it waits
        await kill_the_waiter(blocker)
    response = await asyncio.wait_for(sent, timeout=15)
    # Then the answer says to send it again, and nothing was written
    body = response.json()
    assert response.status_code == 200 and body["data"] is None, body
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (UNAVAILABLE_MESSAGE, {"code": "UNAVAILABLE"})]
    assert await Task.all().count() == 0 and await TaskEvent.all().count() == 0
    # And sent again (twice), it creates one task
    first = (await admin(CREATE_TASK, variables))["createTask"]
    again = (await admin(CREATE_TASK, variables))["createTask"]
    assert first["userErrors"] == [] and again["task"]["id"] == first["task"]["id"]
    assert await Task.all().count() == 1
