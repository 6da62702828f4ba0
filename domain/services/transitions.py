"""The one place that writes a task's status.

`apply_transition()` is the transition; `transition()` runs it in its own transaction. It checks the
state machine's table, moves the row with a compare-and-set (the status must
still be what the caller read), appends the TaskEvent in the same transaction, and hands both to
`Effects.after_commit` once committed. `record_creation()` writes the first event of a new task inside
the caller's transaction. Nothing else assigns `Task.status`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.errors import InvalidTransition
from domain.models import Task, TaskEvent
from domain.services.effects import Effects
from domain.state_machine import RUN_ENDING_STATES, TaskStatus, can_transition

__all__ = ["apply_transition", "record_creation", "transition"]

logger = logging.getLogger(__name__)

#: Serialises event appends on PostgreSQL so event ids become visible in id order (ARCHITECTURE.md, 8).
_EVENT_APPEND_LOCK_KEY = 0x7A5C_100F


def utcnow() -> datetime:
    return datetime.now(UTC)


def _timestamps(to: TaskStatus, now: datetime) -> dict[str, Any]:
    if to == TaskStatus.QUEUED:
        return {"queued_at": now, "dispatched_at": None}
    if to == TaskStatus.IN_PROGRESS:
        return {"started_at": now, "heartbeat_at": now}
    if to in RUN_ENDING_STATES:
        return {"completed_at": now}
    return {}


async def _append_event(
    conn: BaseDBAsyncClient,
    task: Task,
    from_status: TaskStatus | None,
    *,
    actor: str,
    reason: str | None,
    execution_id: str | None,
) -> TaskEvent:
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_EVENT_APPEND_LOCK_KEY])
    return await TaskEvent.create(
        workspace_id=task.workspace_id,
        task_id=task.id,
        task_type=task.task_type,
        from_status=from_status,
        to_status=task.status,
        reason=reason,
        execution_id=execution_id,
        actor=actor,
        using_db=conn,
    )


async def record_creation(conn: BaseDBAsyncClient, task: Task, *, actor: str) -> TaskEvent:
    """Write the first event of `task`, just inserted through `conn` (the caller commits and publishes)."""
    if not can_transition(None, task.status):
        raise InvalidTransition(f"a task cannot be created as {task.status.value}")
    return await _append_event(conn, task, None, actor=actor, reason="created", execution_id=None)


async def apply_transition(
    conn: BaseDBAsyncClient,
    task: Task,
    to: TaskStatus,
    *,
    actor: str,
    reason: str | None = None,
    execution_id: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> TaskEvent:
    """The transition itself, inside the caller's transaction `conn`: check, compare-and-set, append the event.

    The caller commits, then calls `Effects.after_commit` with the returned event (`transition()` does both).

    Raises:
        InvalidTransition: the table does not allow it, or another writer moved the task first.
    """
    from_status = TaskStatus(task.status)
    if not can_transition(from_status, to):
        raise InvalidTransition(f"a {from_status.value} task cannot become {to.value}")
    now = utcnow()
    fields = {**_timestamps(to, now), **(changes or {})}
    if "status" in fields:
        raise ValueError("pass the new status as `to`, not in `changes`")
    fields.update(status=to, status_reason=reason, updated_at=now)
    moved = await Task.filter(id=task.id, status=from_status).using_db(conn).update(**fields)
    if moved == 0:
        raise InvalidTransition(f"the task is no longer {from_status.value}; read it again")
    for name, value in fields.items():
        setattr(task, name, value)
    event = await _append_event(conn, task, from_status, actor=actor, reason=reason, execution_id=execution_id)
    logger.info("task %r: %s -> %s by %s", str(task.id), from_status.value, to.value, actor)
    return event


async def transition(
    task: Task,
    to: TaskStatus,
    *,
    actor: str,
    effects: Effects,
    reason: str | None = None,
    execution_id: str | None = None,
    changes: Mapping[str, Any] | None = None,
) -> TaskEvent:
    """Move `task` from the status it was read with to `to`, with its event, in one transaction.

    Parameters:
        task: the task as the caller read it; updated in place on success.
        to: the new status.
        actor: who causes it ("key:<name>", "worker", "scheduler", "system").
        effects: the bus and dispatcher to tell after commit.
        reason: kept as the task's statusReason and on the event.
        execution_id: the execution this change belongs to, if any.
        changes: other task fields to write in the same update (never `status`).

    Raises:
        InvalidTransition: the table does not allow it, or another writer moved the task first
            (then nothing is written).

    Returns:
        The TaskEvent written.
    """
    async with in_transaction() as conn:
        event = await apply_transition(
            conn, task, to, actor=actor, reason=reason, execution_id=execution_id, changes=changes
        )
    await effects.after_commit([event], [task])
    return event
