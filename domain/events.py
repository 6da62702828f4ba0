"""The event bus: how a committed status change reaches subscribers.

`EventBus` is the port (publish after commit, subscribe); `InMemoryBus` delivers within one process (the
embedded default). The live issue adds buses that cross processes (PostgreSQL NOTIFY, Redis pub/sub).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from domain.models import TaskEvent

__all__ = ["EventBus", "EventListener", "InMemoryBus"]

logger = logging.getLogger(__name__)

EventListener = Callable[[TaskEvent], Awaitable[None]]


class EventBus:
    """Publishes committed TaskEvents to whoever listens."""

    async def publish(self, event: TaskEvent) -> None:
        raise NotImplementedError

    def add_listener(self, listener: EventListener) -> None:
        raise NotImplementedError

    def remove_listener(self, listener: EventListener) -> None:
        raise NotImplementedError


class InMemoryBus(EventBus):
    """Calls every listener in this process; a failing listener is logged and never stops the others."""

    def __init__(self) -> None:
        self._listeners: list[EventListener] = []

    async def publish(self, event: TaskEvent) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:
                logger.exception("event listener failed on event %r", event.id)

    def add_listener(self, listener: EventListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: EventListener) -> None:
        self._listeners.remove(listener)
