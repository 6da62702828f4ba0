"""A run's worker-side life: claim, heartbeat, and the end of an attempt (success, failure, cancel, lost).

Each end writes the execution record, the task's transition and the attempt's log lines not stored yet in ONE
transaction, with the completion or failure notice when the task asks for one. The retry policy is API.md's: a
failed attempt worth retrying goes RETRYING while `errorCount <= maxRetries`, else FAILED.

Claims and ends are group-committed (`domain/services/group_commit.py`): the attempts running at once on a
worker's event loop share one transaction per batch, written with multi-row statements — a batch of claims is
SELECT ... FOR UPDATE SKIP LOCKED, one UPDATE, one COUNT, one INSERT of executions and one of events; a batch of
ends one INSERT of log lines, one UPDATE of tasks, one of executions and one INSERT of events. Each task still
changes by compare-and-set with its event in the same transaction, and a duplicate message still claims nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.enums import ExecutionStatus, Trigger
from domain.models import Task, TaskEvent, TaskExecution
from domain.retry import next_attempt_at, should_retry
from domain.services.bulk import insert_rows, select_in, update_rows
from domain.services.effects import Effects
from domain.services.execution_logs import LineDraft, append_batches
from domain.services.group_commit import GroupCommit, per_loop
from domain.services.messages import enqueue_message
from domain.services.rows import assign, build, load
from domain.services.transitions import Move, append_events, apply_transitions
from domain.state_machine import TaskStatus
from domain.transient import retry_transient

__all__ = ["Claim", "Failure", "RetryPolicy", "claim_task", "finish_cancelled", "finish_failure",
           "finish_success", "heartbeat", "record_browser_session", "recover_lost", "still_running"]

logger = logging.getLogger(__name__)

WORKER = "worker"


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float
    cap_s: float


#: The task columns a claim reads: what running an attempt, ending it and telling about it need. The claimed task
#: has only these (reading another raises AttributeError): 40-column rows cost a worker more to read than to run.
CLAIMED_COLUMNS = (
    "id", "workspace_id", "title", "task_type", "status", "priority", "execution_config", "timeout_seconds",
    "max_retries", "error_count", "notify_on_complete", "notify_on_failure", "source_webhook_id", "scheduled_for",
    "queued_at", "started_at", "trigger", "claimed_by", "heartbeat_at", "updated_at",
)


@dataclass
class Claim:
    """A task this worker holds (its CLAIMED_COLUMNS), and the execution of this attempt."""

    task: Task
    execution: TaskExecution
    worker_id: str


@dataclass(frozen=True)
class Failure:
    """Why an attempt failed."""

    error: str
    retryable: bool
    stack: str | None = None
    retry_after_s: float | None = None
    timed_out: bool = False
    trigger: Trigger = Trigger.RETRY


def _now() -> datetime:
    return datetime.now(UTC)


def _duration_ms(execution: TaskExecution, now: datetime) -> int:
    return max(0, int((now - execution.started_at).total_seconds() * 1000))


@dataclass(frozen=True)
class _ClaimRequest:
    task_id: str
    worker_id: str
    effects: Effects


def _by_effects(items: Sequence[Any]) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = {}
    for item in items:
        groups.setdefault(id(item.effects), []).append(item)
    return groups


async def claim_task(task_id: str, *, worker_id: str, effects: Effects) -> Claim | None:
    """QUEUED -> IN_PROGRESS by compare-and-set, with a RUNNING execution; None when someone else has it.

    Concurrent claims on this event loop are group-committed (one transaction per batch).
    """
    batch: GroupCommit[_ClaimRequest, Claim | None] = per_loop("claims", lambda: GroupCommit(_claim_batch))
    return await batch.submit(_ClaimRequest(str(task_id), worker_id, effects))


async def _claim_batch(requests: list[_ClaimRequest]) -> list[Claim | None]:
    claims: dict[str, Claim] = {}
    for group in _by_effects(requests).values():
        claims.update(await _claim_group(group, group[0].effects))
    # A task id given twice (a duplicate message) is claimed once: the first request gets it.
    return [claims.pop(r.task_id, None) for r in requests]


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


async def _claim_group(requests: list[_ClaimRequest], effects: Effects) -> dict[str, Claim]:
    worker_of: dict[str, str] = {}
    for request in requests:
        worker_of.setdefault(request.task_id, request.worker_id)
    ids = [key for key in map(_uuid_or_none, worker_of) if key is not None]
    if not ids:
        return {}
    now = _now()
    async with in_transaction() as conn:
        # Rows another claim holds are skipped, not waited for: that claim moves them out of QUEUED anyway.
        rows = await select_in(conn, Task, "id", ids, where={"status": TaskStatus.QUEUED}, lock="skip locked",
                               columns=CLAIMED_COLUMNS)
        tasks = [load(Task, row, CLAIMED_COLUMNS) for row in rows]
        if not tasks:
            return {}
        moves = [Move(t, TaskStatus.IN_PROGRESS, execution_id=str(uuid.uuid4()),
                      changes={"claimed_by": worker_of[str(t.id)], "heartbeat_at": now, "cancel_requested_at": None})
                 for t in tasks]
        moved, events = await apply_transitions(conn, moves, actor=WORKER, events=False)
        if not moved:
            return {}
        earlier = await select_in(conn, TaskExecution, "task_id", [m.task.id for m in moved], columns=["task_id"])
        attempts = Counter(str(row["task_id"]) for row in earlier)
        executions = [
            build(TaskExecution, id=uuid.UUID(m.execution_id), task_id=m.task.id, workspace_id=m.task.workspace_id,
                  attempt_number=attempts.get(str(m.task.id), 0) + 1, triggered_by=m.task.trigger or Trigger.CREATE,
                  worker_id=worker_of[str(m.task.id)], status=ExecutionStatus.RUNNING, started_at=now)
            for m in moved
        ]
        await insert_rows(conn, executions)
        await append_events(conn, events)
    await effects.after_commit(events, [m.task for m in moved])
    return {str(m.task.id): Claim(m.task, execution, worker_of[str(m.task.id)])
            for m, execution in zip(moved, executions, strict=True)}


async def heartbeat(claims: Sequence[Claim]) -> list[bool]:
    """Beat the heartbeats of `claims` in one UPDATE per worker; each False when that task is no longer its
    worker's to run (cancelled, recovered)."""
    now, beaten = _now(), set()
    by_worker: dict[str, dict[str, Claim]] = {}
    for claim in claims:
        by_worker.setdefault(claim.worker_id, {})[str(claim.task.id)] = claim
    for worker_id, held in by_worker.items():
        beaten |= await update_rows(connections.get("default"), Task,
                                    [{"id": c.task.id, "heartbeat_at": now} for c in held.values()],
                                    where={"status": TaskStatus.IN_PROGRESS, "claimed_by": worker_id})
    return [str(c.task.id) in beaten for c in claims]


async def still_running(claims: Sequence[Claim]) -> list[bool]:
    """Whether each task of `claims` is still IN_PROGRESS for its worker (one cheap read, polled for
    cancellation)."""
    rows = await select_in(connections.get("default"), Task, "id", list({c.task.id for c in claims}),
                           where={"status": TaskStatus.IN_PROGRESS}, columns=["id", "claimed_by"])
    holder = {str(row["id"]): row["claimed_by"] for row in rows}
    return [holder.get(str(c.task.id)) == c.worker_id for c in claims]


async def record_browser_session(execution_id: str, session_id: str, debug_url: str | None) -> None:
    """Note the remote browser session of a running attempt (visible while it runs)."""
    await TaskExecution.filter(id=execution_id).update(browser_session_id=session_id[:200],
                                                       debug_url=debug_url[:2048] if debug_url else None)


async def _notice(conn: BaseDBAsyncClient, task: Task, kind: str, data: dict[str, Any]) -> None:
    if task.source_webhook_id is None:
        return
    await enqueue_message(
        workspace_id=str(task.workspace_id), webhook_id=str(task.source_webhook_id), task_id=str(task.id),
        type=kind, data=data, using_db=conn,
    )


async def _close_execution(
    conn: BaseDBAsyncClient, claim: Claim, status: ExecutionStatus, now: datetime, **fields: Any
) -> None:
    values = _closing(claim, status, now, **fields)
    await TaskExecution.filter(id=claim.execution.id, status=ExecutionStatus.RUNNING).using_db(conn).update(**values)
    assign(claim.execution, values)


@dataclass
class _End:
    """The end of one attempt, waiting for its batch: the task's move, the execution's closing values, a notice."""

    claim: Claim
    to: TaskStatus
    reason: str
    changes: dict[str, Any]
    execution: dict[str, Any]
    effects: Effects
    notice: tuple[str, dict[str, Any]] | None = field(default=None)
    lines: Sequence[LineDraft] = ()  # the attempt's log lines not stored yet: written in the end's transaction


def _closing(claim: Claim, status: ExecutionStatus, now: datetime, **fields: Any) -> dict[str, Any]:
    return {"status": status, "completed_at": now, "duration_ms": _duration_ms(claim.execution, now), **fields}


def _attempt(claim: Claim) -> str:
    return f"attempt {claim.execution.attempt_number} of task {str(claim.task.id)!r}"


async def _end(item: _End) -> bool:
    """Write `item` in the next batch, tried again while the database fails transiently (`retry_transient`);
    False when the task was no longer this attempt's (cancelled, or recovered as lost meanwhile)."""
    batch: GroupCommit[_End, bool] = per_loop("ends", lambda: GroupCommit(_end_batch))
    return await retry_transient(lambda: batch.submit(item), what="writing an attempt's end",
                                 which=lambda: _attempt(item.claim))


async def _end_batch(items: list[_End]) -> list[bool]:
    done: set[int] = set()
    for group in _by_effects(items).values():
        done.update(await _end_group(group, group[0].effects))
    return [id(item) in done for item in items]


async def _end_group(items: list[_End], effects: Effects) -> set[int]:
    logged = [i for i in items if i.lines]
    # The tasks as their attempts read them: when the transaction fails it is rolled back, and so are the changes
    # `apply_transitions` made to them in memory, so that `_end` can try again.
    read = [(item.claim.task, dict(item.claim.task.__dict__)) for item in items]
    try:
        async with in_transaction() as conn:
            ended, moved, events, lasts = await _write_ends(conn, items, logged)
    except BaseException:
        for task, state in read:
            task.__dict__.update(state)
        raise
    for item in ended:
        assign(item.claim.execution, item.execution)
    newest_lines = {str(item.claim.task.workspace_id): last for item, last in zip(logged, lasts, strict=True)}
    await effects.after_commit(events, [m.task for m in moved], newest_lines)
    return {id(item) for item in ended}


async def _write_ends(conn: BaseDBAsyncClient, items: list[_End], logged: list[_End]
                      ) -> tuple[list[_End], list[Move], list[TaskEvent], list[int]]:
    """The writes of a batch of ends in `conn`'s transaction: the items that ended their task, the moves and events
    written, and the id of the last line stored for each of `logged`."""
    # An attempt ends its task only while its own execution is RUNNING: one the scheduler recovered as lost
    # (heartbeat late, worker alive) must not end the retry that another attempt now runs.
    running = {str(row["id"]) for row in await select_in(
        conn, TaskExecution, "id", [i.claim.execution.id for i in items], where={"status": ExecutionStatus.RUNNING},
        columns=["id"], lock="update")}
    # The attempts' last lines, whether or not the end itself is still theirs to write (cancelled meanwhile);
    # after the executions' row locks, as before this INSERT was here, so that ends lock in the same order.
    lasts = await append_batches([(str(i.claim.execution.id), str(i.claim.task.workspace_id), i.lines)
                                  for i in logged], conn=conn)
    items = [i for i in items if str(i.claim.execution.id) in running]
    moves = [Move(i.claim.task, i.to, reason=i.reason, execution_id=str(i.claim.execution.id),
                  changes=i.changes) for i in items]
    moved, events = await apply_transitions(conn, moves, actor=WORKER, events=False)
    item_of = {id(move): item for move, item in zip(moves, items, strict=True)}
    ended = [item_of[id(m)] for m in moved]
    closing: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for item in ended:
        closing.setdefault(tuple(item.execution), []).append({"id": item.claim.execution.id, **item.execution})
    for rows in closing.values():
        await update_rows(conn, TaskExecution, rows, where={"status": ExecutionStatus.RUNNING})
    for item in ended:
        if item.notice is not None:
            await _notice(conn, item.claim.task, *item.notice)
    await append_events(conn, events)
    return ended, moved, events, lasts


async def finish_success(claim: Claim, output: dict[str, Any], summary: str, *, effects: Effects,
                         steps: Any = None, lines: Sequence[LineDraft] = ()) -> bool:
    """Record a successful attempt: execution SUCCESS, task COMPLETED with result, and the attempt's `lines` not
    stored yet; False if cancelled meanwhile."""
    task, now = claim.task, _now()
    execution = _closing(claim, ExecutionStatus.SUCCESS, now, output=output, steps=steps)
    notice = None
    if task.notify_on_complete:
        notice = ("task.completed", {
            "task": {"id": str(task.id), "title": task.title, "taskType": task.task_type.value,
                     "status": "COMPLETED", "resultSummary": summary, "completedAt": now.isoformat()},
            "executionId": str(claim.execution.id), "durationMs": execution["duration_ms"],
        })
    ended = await _end(_End(claim, TaskStatus.COMPLETED, "completed",
                            {"result": output, "result_summary": summary, "claimed_by": None}, execution, effects,
                            notice, lines))
    if not ended:
        await finish_cancelled(claim)
    return ended


async def finish_failure(claim: Claim, failure: Failure, *, policy: RetryPolicy, effects: Effects,
                         steps: Any = None, lines: Sequence[LineDraft] = ()) -> TaskStatus | None:
    """Record a failed attempt (with its `lines` not stored yet) and apply the retry policy; returns RETRYING or
    FAILED (None if cancelled)."""
    task, now = claim.task, _now()
    error_count = task.error_count + 1
    retry = should_retry(retryable=failure.retryable, error_count=error_count, max_retries=task.max_retries)
    to = TaskStatus.RETRYING if retry else TaskStatus.FAILED
    changes: dict[str, Any] = {"error_count": error_count, "last_error": failure.error, "claimed_by": None}
    if retry:
        changes["next_attempt_at"] = next_attempt_at(now, error_count, base_s=policy.base_s, cap_s=policy.cap_s,
                                                     retry_after_s=failure.retry_after_s)
        changes["trigger"] = failure.trigger
    reason = f"attempt {claim.execution.attempt_number} failed: {failure.error}"[:1000]
    status = ExecutionStatus.TIMED_OUT if failure.timed_out else ExecutionStatus.FAILED
    execution = _closing(claim, status, now, error=failure.error, error_stack=failure.stack, steps=steps)
    notice = None
    if to == TaskStatus.FAILED and task.notify_on_failure:
        notice = ("task.failed", {
            "task": {"id": str(task.id), "title": task.title, "taskType": task.task_type.value,
                     "status": "FAILED", "lastError": failure.error},
            "executionId": str(claim.execution.id), "error": failure.error, "errorCount": error_count,
        })
    if not await _end(_End(claim, to, reason, changes, execution, effects, notice, lines)):
        await finish_cancelled(claim)
        return None
    return to


async def finish_cancelled(claim: Claim) -> None:
    """Record the attempt of a task cancelled while it ran (the task is already CANCELLED)."""
    async def close() -> None:
        async with in_transaction() as conn:
            await _close_execution(conn, claim, ExecutionStatus.CANCELLED, _now(), error="cancelled")

    await retry_transient(close, what="writing a cancelled attempt", which=lambda: _attempt(claim))


async def recover_lost(*, lost_after_s: float, policy: RetryPolicy, effects: Effects, limit: int = 100) -> int:
    """IN_PROGRESS tasks whose heartbeat stopped (worker killed): the attempt fails "worker lost", the retry
    policy applies and the next attempt is triggered by RECOVERY. Returns how many were recovered."""
    cutoff = _now() - timedelta(seconds=lost_after_s)
    lost = await Task.filter(status=TaskStatus.IN_PROGRESS, heartbeat_at__lt=cutoff).limit(limit)
    recovered = 0
    for task in lost:
        execution = await TaskExecution.filter(task_id=task.id, status=ExecutionStatus.RUNNING).order_by(
            "-attempt_number").first()
        if execution is None:  # claimed, then died before the execution row: nothing ran
            execution = await TaskExecution.create(
                task_id=task.id, workspace_id=task.workspace_id, triggered_by=task.trigger or Trigger.CREATE,
                attempt_number=await TaskExecution.filter(task_id=task.id).count() + 1,
            )
        claim = Claim(task, execution, task.claimed_by or "")
        silence = f"worker lost: no heartbeat from {task.claimed_by or 'its worker'} for over {lost_after_s:g} s"
        failure = Failure(error=silence, retryable=True, trigger=Trigger.RECOVERY)
        if await finish_failure(claim, failure, policy=policy, effects=effects) is not None:
            recovered += 1
            logger.warning("task %r recovered: %s", str(task.id), silence)
    return recovered


