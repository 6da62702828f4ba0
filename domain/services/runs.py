"""A run's worker-side life: claim, heartbeat, and the end of an attempt (success, failure, cancel, lost).

Each end writes the execution record and the task's transition in ONE transaction, with the completion or
failure notice when the task asks for one. The retry policy is API.md's: a failed attempt worth retrying
goes RETRYING while `errorCount <= maxRetries`, else FAILED.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from domain.enums import ExecutionStatus, Trigger
from domain.errors import InvalidTransition
from domain.models import Task, TaskExecution
from domain.retry import next_attempt_at, should_retry
from domain.services.effects import Effects
from domain.services.messages import enqueue_message
from domain.services.transitions import apply_transition
from domain.state_machine import TaskStatus

__all__ = ["Claim", "Failure", "RetryPolicy", "claim_task", "finish_cancelled", "finish_failure",
           "finish_success", "heartbeat", "record_browser_session", "recover_lost"]

logger = logging.getLogger(__name__)

WORKER = "worker"


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float
    cap_s: float


@dataclass
class Claim:
    """A task this worker holds, and the execution of this attempt."""

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


async def claim_task(task_id: str, *, worker_id: str, effects: Effects) -> Claim | None:
    """QUEUED -> IN_PROGRESS by compare-and-set, with a RUNNING execution; None when someone else has it."""
    task = await Task.get_or_none(id=task_id)
    if task is None or task.status != TaskStatus.QUEUED:
        return None
    now = _now()
    execution_id = uuid.uuid4()
    try:
        async with in_transaction() as conn:
            event = await apply_transition(
                conn, task, TaskStatus.IN_PROGRESS, actor=WORKER, execution_id=str(execution_id),
                changes={"claimed_by": worker_id, "heartbeat_at": now, "cancel_requested_at": None},
            )
            attempts = await TaskExecution.filter(task_id=task.id).using_db(conn).count()
            execution = await TaskExecution.create(
                id=execution_id, task_id=task.id, workspace_id=task.workspace_id, attempt_number=attempts + 1,
                triggered_by=task.trigger or Trigger.CREATE, worker_id=worker_id, started_at=now, using_db=conn,
            )
    except InvalidTransition:
        return None
    await effects.after_commit([event], [task])
    return Claim(task, execution, worker_id)


async def heartbeat(claim: Claim) -> bool:
    """Beat the heartbeat; False when the task is no longer this worker's to run (cancelled, recovered)."""
    beat = await Task.filter(
        id=claim.task.id, status=TaskStatus.IN_PROGRESS, claimed_by=claim.worker_id
    ).update(heartbeat_at=_now())
    return beat == 1


async def still_running(claim: Claim) -> bool:
    """Whether the task is still IN_PROGRESS for this worker (a cheap read, polled for cancellation)."""
    return await Task.filter(
        id=claim.task.id, status=TaskStatus.IN_PROGRESS, claimed_by=claim.worker_id
    ).exists()


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
    execution = claim.execution
    values = {"status": status, "completed_at": now, "duration_ms": _duration_ms(execution, now), **fields}
    await TaskExecution.filter(id=execution.id, status=ExecutionStatus.RUNNING).using_db(conn).update(**values)
    for name, value in values.items():
        setattr(execution, name, value)


async def finish_success(claim: Claim, output: dict[str, Any], summary: str, *, effects: Effects,
                         steps: Any = None) -> bool:
    """Record a successful attempt: execution SUCCESS, task COMPLETED with result; False if cancelled meanwhile."""
    task, now = claim.task, _now()
    try:
        async with in_transaction() as conn:
            event = await apply_transition(
                conn, task, TaskStatus.COMPLETED, actor=WORKER, execution_id=str(claim.execution.id),
                reason="completed", changes={"result": output, "result_summary": summary, "claimed_by": None},
            )
            await _close_execution(conn, claim, ExecutionStatus.SUCCESS, now, output=output, steps=steps)
            if task.notify_on_complete:
                await _notice(conn, task, "task.completed", {
                    "task": {"id": str(task.id), "title": task.title, "taskType": task.task_type.value,
                             "status": "COMPLETED", "resultSummary": summary, "completedAt": now.isoformat()},
                    "executionId": str(claim.execution.id), "durationMs": claim.execution.duration_ms,
                })
    except InvalidTransition:
        await finish_cancelled(claim)
        return False
    await effects.after_commit([event], [task])
    return True


async def finish_failure(claim: Claim, failure: Failure, *, policy: RetryPolicy, effects: Effects,
                         steps: Any = None) -> TaskStatus | None:
    """Record a failed attempt and apply the retry policy; returns RETRYING or FAILED (None if cancelled)."""
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
    try:
        async with in_transaction() as conn:
            event = await apply_transition(conn, task, to, actor=WORKER, execution_id=str(claim.execution.id),
                                           reason=reason, changes=changes)
            await _close_execution(conn, claim, status, now, error=failure.error, error_stack=failure.stack,
                                   steps=steps)
            if to == TaskStatus.FAILED and task.notify_on_failure:
                await _notice(conn, task, "task.failed", {
                    "task": {"id": str(task.id), "title": task.title, "taskType": task.task_type.value,
                             "status": "FAILED", "lastError": failure.error},
                    "executionId": str(claim.execution.id), "error": failure.error, "errorCount": error_count,
                })
    except InvalidTransition:
        await finish_cancelled(claim)
        return None
    await effects.after_commit([event], [task])
    return to


async def finish_cancelled(claim: Claim) -> None:
    """Record the attempt of a task cancelled while it ran (the task is already CANCELLED)."""
    async with in_transaction() as conn:
        await _close_execution(conn, claim, ExecutionStatus.CANCELLED, _now(), error="cancelled")


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


