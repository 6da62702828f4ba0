"""The Hub: reads new TaskEvents and log lines in id order and hands each to the subscribers that want it.

Bus notices only wake the Hub; it then reads `task_events` (and `execution_log_lines`) past the last id it
saw, so events reach subscribers in id order, once, whatever the bus does. A poll every `poll_s` covers
a notice lost while the bus reconnected. With no subscriber it reads only the newest id, not the rows. Each
subscriber has a bounded queue: one that falls `queue_size` events behind is marked slow and cut off, and never
slows the others or the writers.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

from tortoise.functions import Max

from domain.events import EventBus, Notice
from domain.models import ExecutionLogLine, TaskEvent

__all__ = ["DEFAULT_POLL_S", "DEFAULT_QUEUE_SIZE", "TASK_NAME_PREFIX", "Hub", "SlowSubscriber", "Subscriber"]

logger = logging.getLogger(__name__)

#: Events a subscriber may lag behind before it is cut off.
DEFAULT_QUEUE_SIZE = 1000
#: Seconds between safety reads when no notice arrives.
DEFAULT_POLL_S = 2.0
#: The Hub's background readers are asyncio tasks named with this prefix.
TASK_NAME_PREFIX = "taskloom-hub: "
#: Rows read per query.
_BATCH = 500

T = TypeVar("T")


class SlowSubscriber(Exception):
    """A subscriber fell too far behind; it may resume with `after`."""


class Subscriber(Generic[T]):
    """One subscription's inbox. `get()` raises SlowSubscriber once it overflowed.

    `accept` None takes every item of the workspace. The inbox is a plain deque and waiting costs one timer, not a
    task: with a thousand subscribers every event is a thousand offers and wake-ups.
    """

    __slots__ = ("_wake", "accept", "items", "overflowed", "queue_size", "workspace_id")

    def __init__(self, workspace_id: str, accept: Callable[[T], bool] | None,
                 queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self.workspace_id = workspace_id
        self.accept = accept
        self.queue_size = queue_size
        self.items: deque[T] = deque()
        self.overflowed = False
        self._wake = asyncio.Event()

    def offer(self, item: T) -> None:
        if self.overflowed:
            return
        if len(self.items) >= self.queue_size:
            self.overflowed = True
        else:
            self.items.append(item)
        self._wake.set()

    async def get(self, timeout_s: float) -> T | None:
        """The next item, or None after `timeout_s` without one."""
        if self.overflowed:
            raise SlowSubscriber
        if not self.items:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout_s):
                    await self._wake.wait()
        if self.overflowed:
            raise SlowSubscriber
        return self.items.popleft() if self.items else None


class _Tail(Generic[T]):
    """Reads one table past the last id seen and offers each row to the subscribers of its workspace."""

    def __init__(self, read: Callable[[int], object], newest: Callable[[], object], name: str,
                 poll_s: float) -> None:
        self.read = read
        self.newest = newest
        self.name = name
        self.poll_s = poll_s
        self.last_id = 0
        #: workspace id -> its subscribers
        self.subscribers: dict[str, set[Subscriber[T]]] = {}
        self.wake = asyncio.Event()

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll_s)
            self.wake.clear()
            try:
                await self.drain()
            except Exception:
                logger.exception("reading new %s failed; retrying", self.name)
                await asyncio.sleep(0.5)

    def add(self, subscriber: Subscriber[T]) -> None:
        self.subscribers.setdefault(subscriber.workspace_id, set()).add(subscriber)

    def discard(self, subscriber: Subscriber[T]) -> None:
        members = self.subscribers.get(subscriber.workspace_id)
        if members is not None:
            members.discard(subscriber)
            if not members:
                del self.subscribers[subscriber.workspace_id]

    @property
    def count(self) -> int:
        return sum(len(members) for members in self.subscribers.values())

    async def drain(self) -> None:
        if not self.subscribers:
            # Nobody listens (an API process under a write-heavy load, say): step past the new rows unread.
            newest = await self.newest()  # type: ignore[misc]
            if not self.subscribers:  # one that joined during that read is owed every row past last_id
                self.last_id = max(self.last_id, newest)
                return
        while True:
            rows = await self.read(self.last_id)  # type: ignore[misc]
            for row in rows:
                self.last_id = row.id
                for subscriber in tuple(self.subscribers.get(str(row.workspace_id), ())):
                    if subscriber.accept is None or subscriber.accept(row):
                        subscriber.offer(row)
            if len(rows) < _BATCH:
                return


async def _events_after(last_id: int) -> list[TaskEvent]:
    return await TaskEvent.filter(id__gt=last_id).order_by("id").limit(_BATCH)


async def _lines_after(last_id: int) -> list[ExecutionLogLine]:
    return await ExecutionLogLine.filter(id__gt=last_id).order_by("id").limit(_BATCH)


class Hub:
    """Fans committed events and log lines out to this process's subscribers."""

    def __init__(self, bus: EventBus, *, queue_size: int = DEFAULT_QUEUE_SIZE, poll_s: float = DEFAULT_POLL_S) -> None:
        self.bus = bus
        self.queue_size = queue_size
        self.events: _Tail[TaskEvent] = _Tail(_events_after, functools.partial(_max_id, TaskEvent), "events", poll_s)
        self.lines: _Tail[ExecutionLogLine] = _Tail(_lines_after, functools.partial(_max_id, ExecutionLogLine),
                                                    "log lines", poll_s)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Start after the newest rows: subscribers replay older ones from the database themselves."""
        self.events.last_id = await _max_id(TaskEvent)
        self.lines.last_id = await _max_id(ExecutionLogLine)
        self.bus.add_listener(self._on_notice)
        await self.bus.start()
        self._tasks = [asyncio.create_task(tail.run(), name=f"{TASK_NAME_PREFIX}{tail.name}")
                       for tail in (self.events, self.lines)]

    async def stop(self) -> None:
        self.bus.remove_listener(self._on_notice)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task
        await self.bus.stop()

    def _on_notice(self, notice: Notice) -> None:
        (self.lines if notice.kind == "log" else self.events).wake.set()

    def subscribe_events(self, workspace_id: str,
                         accept: Callable[[TaskEvent], bool] | None) -> Subscriber[TaskEvent]:
        subscriber: Subscriber[TaskEvent] = Subscriber(workspace_id, accept, self.queue_size)
        self.events.add(subscriber)
        return subscriber

    def subscribe_lines(self, workspace_id: str,
                        accept: Callable[[ExecutionLogLine], bool] | None) -> Subscriber[ExecutionLogLine]:
        subscriber: Subscriber[ExecutionLogLine] = Subscriber(workspace_id, accept, self.queue_size)
        self.lines.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber[object]) -> None:
        self.events.discard(subscriber)  # type: ignore[arg-type]
        self.lines.discard(subscriber)  # type: ignore[arg-type]

    @property
    def subscriber_count(self) -> int:
        return self.events.count + self.lines.count


async def _max_id(model: type[TaskEvent] | type[ExecutionLogLine]) -> int:
    rows = await model.all().annotate(m=Max("id")).values_list("m", flat=True)
    return int(rows[0]) if rows and rows[0] is not None else 0
