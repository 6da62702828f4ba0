"""Thin actors: ids in, a runner call out. Declared on THE broker by `declare(broker)`.

A task actor's message carries one or more task ids (`DramatiqDispatcher` sends a bulk creation in chunks): they
run at once on the worker's event loop, so one message, one thread and one acknowledgement serve many tasks.

`dramatiq workers.actors` (what `taskloom worker` runs) imports this module: it then sets up the broker
from the settings itself.
"""

from __future__ import annotations

import asyncio
import logging

import dramatiq
from dramatiq import Actor

from domain.enums import TaskPriority

__all__ = ["declare", "deliver_message", "task_actor"]

logger = logging.getLogger(__name__)

_TASK_ACTORS: dict[TaskPriority, Actor] = {}
deliver_message: Actor


async def _run_tasks(*task_ids: str) -> None:
    """Run the tasks of one message at once; all of them end before the first error (if any) is raised."""
    from workers.middleware import get_runtime
    from workers.runner import run_task
    from workers.tracing import message_trace_context, task_span

    runtime = get_runtime()
    parent = message_trace_context()  # the span that queued these tasks, if tracing is on

    async def one(task_id: str) -> None:
        with task_span(task_id, parent=parent):  # a no-op unless tracing is on
            await run_task(task_id, runtime)

    if len(task_ids) == 1:
        await one(task_ids[0])
        return
    outcomes = await asyncio.gather(*map(one, task_ids), return_exceptions=True)
    errors = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    for error in errors[1:]:
        logger.error("a task of the same message failed too", exc_info=error)
    if errors:
        raise errors[0]


async def _deliver(message_id: str) -> None:
    from workers.middleware import get_runtime

    await get_runtime().webhook_sender.deliver(message_id)


def declare(broker: dramatiq.Broker) -> None:
    """Declare one task actor per priority queue and the delivery actor on `broker`."""
    global deliver_message
    from workers.broker import DELIVERY_QUEUE, TASK_QUEUES

    for priority, (queue, rank) in TASK_QUEUES.items():
        _TASK_ACTORS[priority] = dramatiq.actor(
            _run_tasks, actor_name=f"run_{queue}", queue_name=queue, priority=rank, max_retries=0,
            broker=broker,
        )
    deliver_message = dramatiq.actor(
        _deliver, actor_name="deliver_message", queue_name=DELIVERY_QUEUE, max_retries=0, broker=broker,
    )


def task_actor(priority: TaskPriority) -> Actor:
    return _TASK_ACTORS[TaskPriority(priority)]
