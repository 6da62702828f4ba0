"""The one place that writes a task's status.

`apply_transitions()` moves a batch of tasks; `apply_transition()` is the same for one, and `transition()` runs
that in its own transaction. Each checks the state machine's table, moves the rows with a compare-and-set (the
status must still be what the caller read), appends the TaskEvents in the same transaction, and the caller hands
both to `Effects.after_commit` once committed. `record_creations()` writes the first events of new tasks inside
the caller's transaction. Nothing else assigns `Task.status`.

A batch costs a constant number of statements: one multi-row UPDATE per kind of move, then one event-append lock
and one multi-row INSERT of the events (`domain/services/bulk.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.errors import InvalidTransition
from domain.logs import run_ids
from domain.models import Task, TaskEvent
from domain.services.bulk import insert_rows, update_rows
from domain.services.effects import Effects
from domain.services.rows import assign, build
from domain.state_machine import RUN_ENDING_STATES, TaskStatus, can_transition

__all__ = ["Move", "append_events", "apply_transition", "apply_transitions", "record_creations", "transition"]

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


@dataclass
class Move:
    """One task's transition in a batch: the task as the caller read it, the new status and what goes with it."""

    task: Task
    to: TaskStatus
    reason: str | None = None
    execution_id: str | None = None
    changes: Mapping[str, Any] = field(default_factory=dict)


def _event(task: Task, from_status: TaskStatus | None, *, actor: str, reason: str | None,
           execution_id: str | None, at: datetime) -> TaskEvent:
    return build(TaskEvent, workspace_id=task.workspace_id, task_id=task.id, task_type=task.task_type,
                               from_status=from_status, to_status=task.status, reason=reason,
                               execution_id=execution_id, actor=actor, at=at)


async def append_events(conn: BaseDBAsyncClient, events: Sequence[TaskEvent]) -> None:
    """Insert `events` (in this order, ids growing) inside the caller's transaction `conn`.

    On PostgreSQL the transaction first takes the event-append lock, held to commit: event ids then become
    visible in id order, which the Hub's tail of `task_events` relies on (ARCHITECTURE.md, 8). Take it last,
    after every row lock of the transaction, so that its holder never waits for anything but its commit.
    """
    if not events:
        return
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock($1)", [_EVENT_APPEND_LOCK_KEY])
    await insert_rows(conn, events)


async def record_creations(conn: BaseDBAsyncClient, tasks: Sequence[Task], *, actor: str) -> list[TaskEvent]:
    """Write the first events of `tasks`, just inserted through `conn` (the caller commits and publishes)."""
    now = utcnow()
    for task in tasks:
        if not can_transition(None, task.status):
            raise InvalidTransition(f"a task cannot be created as {task.status.value}")
    events = [_event(t, None, actor=actor, reason="created", execution_id=None, at=now) for t in tasks]
    await append_events(conn, events)
    return events


async def apply_transitions(
    conn: BaseDBAsyncClient, moves: Sequence[Move], *, actor: str, events: bool = True
) -> tuple[list[Move], list[TaskEvent]]:
    """Many transitions inside the caller's transaction `conn`: check each, compare-and-set the rows, then (unless
    `events=False`, when the caller appends them itself with `append_events` as its last write) build and append
    their events.

    The caller commits, then calls `Effects.after_commit` with the events and the moved tasks.

    Returns:
        The moves that were written (in the order given; their tasks updated in place) and their events; a move
        whose task another writer moved first is left out, and nothing is written for it.

    Raises:
        InvalidTransition: the table does not allow one of the moves (then nothing is written).
    """
    now = utcnow()
    groups: dict[tuple[TaskStatus, tuple[str, ...]], list[tuple[Move, dict[str, Any]]]] = {}
    for move in moves:
        from_status = TaskStatus(move.task.status)
        if not can_transition(from_status, move.to):
            raise InvalidTransition(f"a {from_status.value} task cannot become {move.to.value}")
        fields = {**_timestamps(move.to, now), **move.changes}
        if "status" in fields:
            raise ValueError("pass the new status as `to`, not in `changes`")
        fields.update(status=move.to, status_reason=move.reason, updated_at=now)
        groups.setdefault((from_status, tuple(fields)), []).append((move, fields))
    written: dict[int, tuple[TaskStatus, dict[str, Any]]] = {}
    for (from_status, _), items in groups.items():
        ids = await update_rows(conn, Task, [{"id": m.task.id, **f} for m, f in items], where={"status": from_status})
        written.update({id(m): (from_status, f) for m, f in items if str(m.task.id) in ids})
    moved: list[Move] = []
    new_events: list[TaskEvent] = []
    log = logger.isEnabledFor(logging.INFO)  # once per batch: formatting the line's values costs more than the check
    for move in moves:
        if id(move) not in written:
            continue
        from_status, fields = written[id(move)]
        assign(move.task, fields)
        moved.append(move)
        new_events.append(_event(move.task, from_status, actor=actor, reason=move.reason,
                                 execution_id=move.execution_id, at=now))
        if log:
            task_id = str(move.task.id)
            logger.info("task %r: %s -> %s by %s", task_id, from_status.value, move.to.value, actor,
                        extra=run_ids(task_id, move.execution_id) if move.execution_id else None)
    if events:
        await append_events(conn, new_events)
    return moved, new_events


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
    """One transition inside the caller's transaction `conn`: check, compare-and-set, append the event.

    The caller commits, then calls `Effects.after_commit` with the returned event (`transition()` does both).

    Raises:
        InvalidTransition: the table does not allow it, or another writer moved the task first.
    """
    from_status = TaskStatus(task.status)
    moved, events = await apply_transitions(
        conn, [Move(task, to, reason=reason, execution_id=execution_id, changes=changes or {})], actor=actor
    )
    if not moved:
        raise InvalidTransition(f"the task is no longer {from_status.value}; read it again")
    return events[0]


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
