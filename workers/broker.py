"""The broker from `TASKLOOM_BROKER_URL`, THE middleware list, and the Dramatiq-backed Dispatcher.

- `memory://`: a StubBroker whose worker threads run inside `taskloom serve` (the embedded default);
- `redis://…`: RedisBroker, with a doorbell that wakes idle workers at once (`workers/doorbell.py`);
- `amqp://…`: RabbitmqBroker.

Priorities: each TaskPriority has its own queue and actor; an actor's `priority` makes a worker start the
prefetched messages of higher-priority queues first (dramatiq: lower number = sooner).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    AsyncIO,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
)

from domain.dispatch import Dispatcher, DispatchRequest
from domain.enums import TaskPriority
from domain.event_loop import loop_policy
from domain.services.effects import Effects
from domain.settings import Settings
from workers.metrics import metrics_middleware
from workers.middleware import HostLoop, Resources, WorkerRuntime
from workers.tracing import trace_options

__all__ = [
    "DELIVERY_QUEUE",
    "TASK_QUEUES",
    "ChosenLoopAsyncIO",
    "DramatiqDispatcher",
    "build_broker",
    "middleware_list",
    "setup_broker",
]

logger = logging.getLogger(__name__)

#: Queue of each priority, and the dramatiq actor priority that orders prefetched messages.
TASK_QUEUES: dict[TaskPriority, tuple[str, int]] = {
    TaskPriority.URGENT: ("tasks_urgent", 0),
    TaskPriority.HIGH: ("tasks_high", 10),
    TaskPriority.NORMAL: ("tasks_normal", 20),
    TaskPriority.LOW: ("tasks_low", 30),
}
DELIVERY_QUEUE = "webhooks"


class ChosenLoopAsyncIO(AsyncIO):
    """Dramatiq's AsyncIO middleware, with its event-loop thread's loop of the kind `event_loop` names (auto,
    asyncio or uvloop; see `domain.event_loop`).

    Dramatiq's EventLoopThread makes its loop with `asyncio.new_event_loop()`, which asks the global policy: the
    policy is swapped for the boot only and the previous one put back, whatever happens."""

    def __init__(self, event_loop: str = "auto") -> None:
        super().__init__()
        self.policy = loop_policy(event_loop)  # here, so that an unusable choice fails at start-up

    def before_worker_boot(self, broker: dramatiq.Broker, worker: object) -> None:
        previous = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(self.policy)
        try:
            super().before_worker_boot(broker, worker)
        finally:
            asyncio.set_event_loop_policy(previous)


def middleware_list(settings: Settings, *, host_loop: asyncio.AbstractEventLoop | None = None,
                    runtime: WorkerRuntime | None = None) -> list[Middleware]:
    """THE middleware stack. Retries stay listed with max_retries=0: the database owns retries, not Dramatiq;
    CurrentMessage lets a task run read the trace context its message carries (`workers.tracing`). Embedded
    (`host_loop`), async actors run on the API's loop; alone, on an event-loop thread of TASKLOOM_EVENT_LOOP's
    kind (ChosenLoopAsyncIO)."""
    return [
        *metrics_middleware(settings),
        AgeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=0),
        CurrentMessage(),
        HostLoop(host_loop) if host_loop is not None else ChosenLoopAsyncIO(settings.event_loop),
        Resources(settings, runtime=runtime),
    ]


def build_broker(settings: Settings, *, host_loop: asyncio.AbstractEventLoop | None = None,
                 runtime: WorkerRuntime | None = None) -> dramatiq.Broker:
    """The broker `settings.broker_url` names, with THE middleware list."""
    middleware = middleware_list(settings, host_loop=host_loop, runtime=runtime)
    url = settings.broker_url
    if url.startswith("memory://"):
        return StubBroker(middleware=middleware)
    if url.startswith(("redis://", "rediss://")):
        from workers.doorbell import DoorbellRedisBroker

        return DoorbellRedisBroker(url=url, middleware=middleware)
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    return RabbitmqBroker(url=url, middleware=middleware)


def setup_broker(settings: Settings, **kwargs: object) -> dramatiq.Broker:
    """Build the broker, make it THE broker (`dramatiq.set_broker`) and declare the actors on it."""
    broker = build_broker(settings, **kwargs)  # type: ignore[arg-type]
    dramatiq.set_broker(broker)
    from workers import actors

    actors.declare(broker)
    return broker


#: Most task ids one message carries. A bulk creation goes out in chunks (at least MIN_CHUNKS of them, so that
#: several worker processes share it); each chunk runs at once on one worker's event loop.
MAX_CHUNK = 50
MIN_CHUNKS = 8


def _chunks(task_ids: list[str]) -> list[list[str]]:
    size = max(1, min(MAX_CHUNK, -(-len(task_ids) // MIN_CHUNKS)))
    return [task_ids[i : i + size] for i in range(0, len(task_ids), size)]


class DramatiqDispatcher(Dispatcher):
    """Sends task ids to the priority queues. Sending blocks on the broker's socket, so it runs in a thread."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self.broker = broker

    async def dispatch(self, requests: list[DispatchRequest]) -> None:
        await asyncio.to_thread(self._send, requests)

    def _send(self, requests: Sequence[DispatchRequest]) -> None:
        from workers import actors

        options = trace_options()  # empty unless tracing is on and a span is current
        by_priority: dict[TaskPriority, list[str]] = {}
        for request in requests:
            by_priority.setdefault(TaskPriority(request.priority), []).append(request.task_id)
        for priority, task_ids in by_priority.items():
            for chunk in _chunks(task_ids):
                actors.task_actor(priority).send_with_options(args=tuple(chunk), **options)

    async def deliver(self, message_ids: list[str]) -> None:
        """Send outbound message ids to the delivery actor."""
        from workers import actors

        def send() -> None:
            for message_id in message_ids:
                actors.deliver_message.send(message_id)

        await asyncio.to_thread(send)


def worker_effects(broker: dramatiq.Broker, settings: Settings) -> Effects:
    """A worker process's effects: dispatch through `broker`, notices handed to the configured event bus without
    waiting for it."""
    from domain.events import build_bus

    return Effects(dispatcher=DramatiqDispatcher(broker), bus=build_bus(settings.events_url_resolved),
                   notify_later=True)
