"""`run_task(task_id)`: one attempt, top to bottom — claim, execute under the timeout, record, retry.

While the executor runs, the event loop's watcher (`workers/watch.py`) beats the heartbeat every
`TASKLOOM_HEARTBEAT_S` and checks every `CANCEL_POLL_S` whether the task was cancelled: cancelTask on a running
task stops it within 2 s.
"""

from __future__ import annotations

import asyncio
import logging
import traceback

from domain.configs import validate_config
from domain.enums import TaskType
from domain.errors import ConfigInvalid, ExecutorError, PermanentError, RetryableError
from domain.logs import bind_run
from domain.services.messages import claim_now
from domain.services.runs import Claim, Failure, claim_task, finish_cancelled, finish_failure, finish_success
from workers.context import ExecutionContext, ExecutorResult
from workers.executors import EXECUTORS
from workers.log_writer import LogWriter
from workers.middleware.resources import WorkerRuntime
from workers.watch import watch

__all__ = ["run_task"]

logger = logging.getLogger(__name__)


class _Cancelled(Exception):
    """The task was cancelled (or taken away) while its attempt ran."""


async def run_task(task_id: str, runtime: WorkerRuntime) -> None:
    """Claim the task and run one attempt; a duplicate message or an unclaimable task does nothing."""
    claim = await claim_task(task_id, worker_id=runtime.worker_id, effects=runtime.effects)
    if claim is None:
        logger.debug("task %r not claimed: no longer QUEUED", task_id)
        return
    task = claim.task
    bind_run(str(task.id), str(claim.execution.id), task.task_type.value)  # every line of this run carries both ids
    loop = asyncio.get_running_loop()
    writer = LogWriter(str(claim.execution.id), str(task.workspace_id), runtime.effects.bus)
    ctx = ExecutionContext(
        task_id=str(task.id), execution_id=str(claim.execution.id), workspace_id=str(task.workspace_id),
        attempt=claim.execution.attempt_number, http=runtime.http, settings=runtime.settings,
        deadline=loop.time() + task.timeout_seconds, on_line=writer.push,
        source_webhook_id=str(task.source_webhook_id) if task.source_webhook_id else None,
        scheduled_for=task.scheduled_for, browser=runtime.browser_pool, artifacts=runtime.artifact_store,
        direct_http=runtime.direct_http,
    )
    try:
        result = await _execute(claim, ctx, runtime)
    except _Cancelled:
        await writer.close()
        await finish_cancelled(claim)
        logger.info("task %r: attempt %d cancelled", ctx.task_id, ctx.attempt)
        return
    except TimeoutError:
        failure = Failure(error=f"timed out after {task.timeout_seconds} s", retryable=True, timed_out=True)
    except RetryableError as exc:
        failure = Failure(error=exc.message, retryable=True, retry_after_s=exc.retry_after_s,
                          stack=traceback.format_exc())
    except (PermanentError, ExecutorError, ConfigInvalid) as exc:
        failure = Failure(error=exc.message, retryable=False, stack=traceback.format_exc())
    except Exception as exc:  # an executor bug: fail the attempt, keep the worker
        logger.exception("task %r: executor raised unexpectedly", ctx.task_id)
        failure = Failure(error=f"{type(exc).__name__}: {exc}", retryable=False, stack=traceback.format_exc())
    else:
        # Every line is stored before the execution ends (subscribers complete after it): the last ones with it.
        lines = await writer.take_unsent()
        if await finish_success(claim, result.output, result.summary, effects=runtime.effects,
                                steps=result.steps, lines=lines):
            await _send_now(ctx.outbound_message_ids, runtime)
        return
    lines = await writer.take_unsent()
    status = await finish_failure(claim, failure, policy=runtime.retry_policy, effects=runtime.effects,
                                  steps=ctx.steps, lines=lines)
    logger.info("task %r: attempt %d failed (%s) -> %s", ctx.task_id, ctx.attempt, failure.error,
                status.value if status else "cancelled")


async def _send_now(message_ids: list[str], runtime: WorkerRuntime) -> None:
    """Hand the messages an attempt queued straight to delivery (a reminder is due now), not at the next tick."""
    claimed = [m for m in message_ids if await claim_now(m, timeout_s=runtime.settings.webhook_timeout_s)]
    if claimed:
        try:
            await runtime.effects.dispatcher.deliver(claimed)
        except Exception:  # the lease runs out and the scheduler sends them
            logger.exception("handing %d message(s) to delivery failed", len(claimed))


async def _execute(claim: Claim, ctx: ExecutionContext, runtime: WorkerRuntime) -> ExecutorResult:
    """Run the executor of the task's type under its timeout, in this task, while the loop's watcher beats its
    heartbeat and cancels it if the task is cancelled meanwhile."""
    task = claim.task
    executor = EXECUTORS.get(TaskType(task.task_type))
    if executor is None:
        raise PermanentError(f"no executor for {task.task_type.value} tasks in this version")
    config = validate_config(
        TaskType(task.task_type), task.execution_config,
        llm_configured=runtime.settings.llm_configured, ghl_configured=runtime.settings.ghl_configured,
    )
    watched = watch(claim, heartbeat_s=runtime.settings.heartbeat_s)
    ctx.cancelled = lambda: watched.cancelled
    try:
        async with asyncio.timeout(task.timeout_seconds):
            return await executor(config, ctx)
    except asyncio.CancelledError:
        if not watched.cancelled:
            raise  # the worker is stopping, not the task
        watched.task.uncancel()
        raise _Cancelled from None
    finally:
        watched.release()
