"""Task operations: create (one or many), update, execute, approve, reject, cancel, delete.

Every status change goes through `transitions.transition`; creation writes the first event through
`transitions.record_creations` in the same transaction as the rows.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from domain.configs import merge_secrets
from domain.enums import ExecutionType, TaskType, Trigger
from domain.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from domain.models import Task, TaskEvent, TaskLabel
from domain.schedule import next_due
from domain.services.bulk import insert_rows
from domain.services.effects import Effects
from domain.services.rows import build
from domain.services.task_rules import Capabilities, TaskDraft, check_draft, initial_status, start_status
from domain.services.transitions import record_creations, transition
from domain.state_machine import ACTIVE_STATES, RUN_ENDING_STATES, TaskStatus

__all__ = [
    "MAX_BULK",
    "UNSET",
    "TaskChanges",
    "approve_task",
    "cancel_task",
    "create_task",
    "create_tasks",
    "delete_task",
    "execute_task",
    "get_task",
    "insert_tasks",
    "reject_task",
    "run_of",
    "spawn_run",
    "update_task",
]

logger = logging.getLogger(__name__)

#: Most tasks createTasks accepts in one call.
MAX_BULK = 1000


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: "Not given" in an update, as opposed to None ("clear it").
UNSET: Any = _Unset()

#: Fields that null clears in updateTask; null anywhere else is a VALIDATION error.
_CLEARABLE = {"description", "scheduled_for", "cron", "external_id"}


@dataclass
class TaskChanges:
    """updateTask's input: UNSET leaves a field as it is."""

    title: Any = UNSET
    description: Any = UNSET
    priority: Any = UNSET
    scheduled_for: Any = UNSET
    execution_config: Any = UNSET
    max_retries: Any = UNSET
    timeout_seconds: Any = UNSET
    notify_on_complete: Any = UNSET
    notify_on_failure: Any = UNSET
    cron: Any = UNSET
    cron_timezone: Any = UNSET
    labels: Any = UNSET
    external_id: Any = UNSET


def _now() -> datetime:
    return datetime.now(UTC)


async def get_task(workspace_id: str, task_id: str) -> Task:
    """The task `task_id` of the workspace.

    Raises:
        NotFound: no such task in this workspace (another workspace's id included).
    """
    try:
        key = uuid.UUID(str(task_id))
    except ValueError:
        raise NotFound(f"no task with id {task_id!r}", field=["id"]) from None
    task = await Task.get_or_none(id=key, workspace_id=workspace_id)
    if task is None:
        raise NotFound(f"no task with id {task_id!r}", field=["id"])
    return task


def _new_task(workspace_id: str, draft: TaskDraft, config: dict[str, Any], now: datetime, **extra: Any) -> Task:
    """A new task, not yet stored. Built with `build`, `Task.construct`'s shortcut (a bulk create makes a thousand
    of these, and `Task(...)` converts and checks every field of each): the values are given in the types a task
    read back from the database has (UUIDs, UTC datetimes, enums)."""
    status = initial_status(draft, now)
    return build(
        Task,
        id=uuid.uuid4(),
        workspace_id=uuid.UUID(str(workspace_id)),
        title=draft.title,
        description=draft.description,
        task_type=draft.task_type,
        status=status,
        priority=draft.priority,
        execution_type=draft.execution_type,
        assigned_to_bot=draft.assigned_to_bot,
        requires_human_review=draft.requires_human_review,
        scheduled_for=draft.scheduled_for.astimezone(UTC) if draft.scheduled_for is not None else None,
        cron=draft.cron,
        cron_timezone=draft.cron_timezone,
        labels=list(dict.fromkeys(draft.labels)),
        external_id=draft.external_id,
        idempotency_key=draft.idempotency_key,
        execution_config=config,
        max_retries=draft.max_retries,
        timeout_seconds=draft.timeout_seconds,
        notify_on_complete=draft.notify_on_complete,
        notify_on_failure=draft.notify_on_failure,
        source_webhook_id=uuid.UUID(str(draft.source_webhook_id)) if draft.source_webhook_id else None,
        queued_at=now if status == TaskStatus.QUEUED else None,
        trigger=Trigger.CREATE,
        created_at=now,
        updated_at=now,
        **extra,
    )


async def insert_tasks(conn: BaseDBAsyncClient, tasks: Sequence[Task], *, actor: str) -> list[TaskEvent]:
    """Insert new tasks with their labels and first events through `conn` (the caller commits and publishes)."""
    await insert_rows(conn, tasks)
    await insert_rows(conn, [TaskLabel(task_id=t.id, label=label) for t in tasks for label in t.labels])
    return await record_creations(conn, tasks, actor=actor)


async def _insert(tasks: Sequence[Task], *, actor: str) -> list[TaskEvent]:
    async with in_transaction() as conn:
        return await insert_tasks(conn, tasks, actor=actor)


async def create_task(
    workspace_id: str, draft: TaskDraft, *, actor: str, effects: Effects, capabilities: Capabilities
) -> Task:
    """Validate and store one task with its first event; returns the existing task for a known idempotencyKey.

    Raises:
        ValidationFailed: paths relative to the input.
    """
    return (await create_tasks(workspace_id, [draft], actor=actor, effects=effects, capabilities=capabilities,
                               prefix=()))[0]


async def create_tasks(
    workspace_id: str,
    drafts: Sequence[TaskDraft],
    *,
    actor: str,
    effects: Effects,
    capabilities: Capabilities,
    prefix: tuple[str, ...] | None = None,
) -> list[Task]:
    """Create up to MAX_BULK tasks, all or nothing; a known idempotencyKey yields the existing task there.

    Parameters:
        prefix: put before each error path; default `("inputs", "<i>")` per draft.

    Raises:
        ValidationFailed: every problem of every draft; nothing is written.
    """
    if not 1 <= len(drafts) <= MAX_BULK:
        raise ValidationFailed([FieldError(("inputs",), f"give 1 to {MAX_BULK} tasks, not {len(drafts)}")])
    now = _now()
    problems: list[FieldError] = []
    configs: list[dict[str, Any]] = []
    seen_keys: dict[str, int] = {}
    for i, draft in enumerate(drafts):
        where = (("inputs", str(i)) if prefix is None else prefix)
        try:
            configs.append(await check_draft(draft, workspace_id=workspace_id, capabilities=capabilities, now=now))
        except ValidationFailed as exc:
            problems.extend(exc.prefixed(*where).errors)
            configs.append({})
        key = draft.idempotency_key
        if key is not None:
            if key in seen_keys:
                problems.append(FieldError((*where, "idempotencyKey"), f"idempotencyKey {key!r} is given twice"))
            seen_keys[key] = i
    if problems:
        logger.info("createTask refused in workspace %r: %s", workspace_id,
                    ", ".join(".".join(p.path) for p in problems))
        raise ValidationFailed(problems)

    existing = await _by_idempotency_key(workspace_id, list(seen_keys))
    # One microsecond apart, so that a batch lists in the order it was given (ids are random).
    fresh = [
        _new_task(workspace_id, d, c, now + timedelta(microseconds=i))
        for i, (d, c) in enumerate(zip(drafts, configs, strict=True))
        if d.idempotency_key not in existing
    ]
    events: list[TaskEvent] = []
    if fresh:
        try:
            events = await _insert(fresh, actor=actor)
        except IntegrityError:
            # A concurrent call inserted one of the keys first: answer as if we had come second.
            existing = await _by_idempotency_key(workspace_id, list(seen_keys))
            if not existing:
                raise
            return await create_tasks(workspace_id, drafts, actor=actor, effects=effects,
                                      capabilities=capabilities, prefix=prefix)
        await effects.after_commit(events, fresh)
        for task in fresh:
            logger.info("task %r created as %s (%s) by %s", str(task.id), task.status.value,
                        task.task_type.value, actor)
    made = iter(fresh)
    return [existing[d.idempotency_key] if d.idempotency_key in existing else next(made) for d in drafts]


async def _by_idempotency_key(workspace_id: str, keys: list[str]) -> dict[str, Task]:
    if not keys:
        return {}
    found = await Task.filter(workspace_id=workspace_id, idempotency_key__in=keys)
    return {t.idempotency_key: t for t in found if t.idempotency_key is not None}


def _draft_of(task: Task) -> TaskDraft:
    return TaskDraft(
        title=task.title,
        task_type=TaskType(task.task_type),
        description=task.description,
        execution_type=ExecutionType(task.execution_type),
        assigned_to_bot=task.assigned_to_bot,
        requires_human_review=task.requires_human_review,
        priority=task.priority,
        scheduled_for=task.scheduled_for,
        cron=task.cron,
        cron_timezone=task.cron_timezone,
        execution_config=task.execution_config,
        max_retries=task.max_retries,
        timeout_seconds=task.timeout_seconds,
        notify_on_complete=task.notify_on_complete,
        notify_on_failure=task.notify_on_failure,
        source_webhook_id=str(task.source_webhook_id) if task.source_webhook_id else None,
        labels=list(task.labels),
        external_id=task.external_id,
    )


async def update_task(
    workspace_id: str, task_id: str, changes: TaskChanges, *, capabilities: Capabilities
) -> Task:
    """Change the given fields of a task that no worker holds; the status does not change.

    Raises:
        NotFound, InvalidTransition (QUEUED or IN_PROGRESS), ValidationFailed.
    """
    task = await get_task(workspace_id, task_id)
    if task.status in ACTIVE_STATES:
        raise InvalidTransition(f"a {task.status.value} task cannot be updated; cancel it first")
    given = {f.name: getattr(changes, f.name) for f in dataclasses.fields(changes)
             if getattr(changes, f.name) is not UNSET}
    nulls = [name for name, value in given.items() if value is None and name not in _CLEARABLE]
    if nulls:
        raise ValidationFailed([FieldError((_camel(n),), f"{_camel(n)} cannot be null") for n in nulls])
    draft = _draft_of(task)
    if "execution_config" in given and isinstance(given["execution_config"], Mapping):
        given["execution_config"] = merge_secrets(
            draft.task_type, given["execution_config"], task.execution_config
        )
    for name, value in given.items():
        setattr(draft, name, value)
    # An unchanged cron schedule or reminder keeps its due time instead of being recomputed from now.
    keep_schedule = "scheduled_for" not in given and (
        (draft.cron is not None and not {"cron", "cron_timezone"} & given.keys())
        or (draft.task_type == TaskType.REMINDER and "execution_config" not in given)
    )
    config = await check_draft(draft, workspace_id=workspace_id, capabilities=capabilities, now=_now())
    if keep_schedule:
        draft.scheduled_for = task.scheduled_for
    fields = {
        "title": draft.title,
        "description": draft.description,
        "priority": draft.priority,
        "scheduled_for": draft.scheduled_for,
        "execution_config": config,
        "max_retries": draft.max_retries,
        "timeout_seconds": draft.timeout_seconds,
        "notify_on_complete": draft.notify_on_complete,
        "notify_on_failure": draft.notify_on_failure,
        "cron": draft.cron,
        "cron_timezone": draft.cron_timezone,
        "labels": list(dict.fromkeys(draft.labels)),
        "external_id": draft.external_id,
        "updated_at": _now(),
    }
    async with in_transaction() as conn:
        moved = await Task.filter(id=task.id, status=task.status).using_db(conn).update(**fields)
        if moved == 0:
            raise InvalidTransition("the task changed while it was being updated; read it again")
        if "labels" in given:
            await TaskLabel.filter(task_id=task.id).using_db(conn).delete()
            await insert_rows(conn, [TaskLabel(task_id=task.id, label=label) for label in fields["labels"]])
    for name, value in fields.items():
        setattr(task, name, value)
    return task


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def execute_task(workspace_id: str, task_id: str, *, actor: str, effects: Effects,
                       capabilities: Capabilities) -> Task:
    """Run a task now (API.md's executeTask rules); on a cron schedule, spawn one run and return it.

    Raises:
        NotFound; InvalidTransition for AWAITING_REVIEW, QUEUED, IN_PROGRESS, RETRYING, COMPLETED.
    """
    task = await get_task(workspace_id, task_id)
    now = _now()
    status = TaskStatus(task.status)
    if status == TaskStatus.SCHEDULED:
        if task.cron:
            return await spawn_run(task, actor=actor, effects=effects, now=now)
        await transition(task, TaskStatus.QUEUED, actor=actor, effects=effects, reason="executed now",
                         changes={"trigger": Trigger.MANUAL})
        return task
    if status not in (TaskStatus.PENDING, TaskStatus.FAILED, TaskStatus.CANCELLED):
        raise InvalidTransition(f"a {status.value} task cannot be executed")
    changes: dict[str, Any] = {"error_count": 0, "trigger": Trigger.MANUAL, "cancel_requested_at": None,
                               "next_attempt_at": None}
    if task.cron:
        changes["scheduled_for"] = next_due(task.cron, task.cron_timezone, now)
        to = TaskStatus.SCHEDULED
    elif task.task_type == TaskType.REMINDER and task.scheduled_for is not None and task.scheduled_for > now:
        to = TaskStatus.SCHEDULED
    else:
        to = TaskStatus.QUEUED
    await transition(task, to, actor=actor, effects=effects, reason="executed", changes=changes)
    return task


def run_of(schedule: Task, now: datetime) -> Task:
    """One run of a cron schedule, not yet stored: a copy that enters the state machine at create."""
    draft = _draft_of(schedule)
    draft.cron = None
    draft.scheduled_for = None
    draft.execution_type = ExecutionType.AUTOMATIC
    draft.assigned_to_bot = True
    run = _new_task(str(schedule.workspace_id), draft, dict(schedule.execution_config), now,
                    spawned_from_id=schedule.id)
    run.trigger = Trigger.SCHEDULE
    return run


async def spawn_run(schedule: Task, *, actor: str, effects: Effects, now: datetime) -> Task:
    """Create and store one run of a cron schedule now."""
    run = run_of(schedule, now)
    events = await _insert([run], actor=actor)
    await effects.after_commit(events, [run])
    return run


async def approve_task(workspace_id: str, task_id: str, notes: str | None, *, actor: str,
                       effects: Effects) -> Task:
    """AWAITING_REVIEW -> QUEUED | SCHEDULED | PENDING by API.md's approve rule."""
    task = await get_task(workspace_id, task_id)
    if task.status != TaskStatus.AWAITING_REVIEW:
        raise InvalidTransition(f"only a task AWAITING_REVIEW can be approved; this one is {task.status.value}")
    to = start_status(task, _now())
    await transition(task, to, actor=actor, effects=effects, reason="approved",
                     changes={"review_notes": notes, "trigger": Trigger.APPROVAL})
    return task


async def reject_task(workspace_id: str, task_id: str, reason: str, *, actor: str, effects: Effects) -> Task:
    """AWAITING_REVIEW -> CANCELLED, statusReason "rejected: <reason>"."""
    task = await get_task(workspace_id, task_id)
    if task.status != TaskStatus.AWAITING_REVIEW:
        raise InvalidTransition(f"only a task AWAITING_REVIEW can be rejected; this one is {task.status.value}")
    await transition(task, TaskStatus.CANCELLED, actor=actor, effects=effects, reason=f"rejected: {reason}",
                     changes={"review_notes": reason})
    return task


async def cancel_task(workspace_id: str, task_id: str, reason: str | None, *, actor: str,
                      effects: Effects) -> Task:
    """Any non-terminal status -> CANCELLED; a running attempt is asked to stop."""
    task = await get_task(workspace_id, task_id)
    if task.status in RUN_ENDING_STATES:
        raise InvalidTransition(f"a {task.status.value} task cannot be cancelled")
    changes: dict[str, Any] = {"next_attempt_at": None}
    if task.status == TaskStatus.IN_PROGRESS:
        changes["cancel_requested_at"] = _now()
    text = f"cancelled: {reason}" if reason else "cancelled"
    await transition(task, TaskStatus.CANCELLED, actor=actor, effects=effects, reason=text, changes=changes)
    return task


async def delete_task(workspace_id: str, task_id: str) -> str:
    """Delete a task with its executions and events; refused while IN_PROGRESS. Returns its id."""
    task = await get_task(workspace_id, task_id)
    deleted = await Task.filter(id=task.id).exclude(status=TaskStatus.IN_PROGRESS).delete()
    if deleted == 0:
        raise InvalidTransition("an IN_PROGRESS task cannot be deleted; cancel it first")
    return str(task.id)
