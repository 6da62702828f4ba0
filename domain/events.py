"""The event bus: tells every process that something was committed, so live subscribers can read it.

A notice is a wake-up, not the data: `{kind, id, workspace_id}` (a few dozen bytes). Subscribers read the
rows themselves, in id order, from the database, which stays the one source of truth: a notice that is
lost, late or out of order can delay an event but never drop or reorder one.

- `InMemoryBus`: within one process (the embedded default);
- `PostgresBus`: LISTEN/NOTIFY on the application database (`postgres://…`);
- `RedisBus`: Redis pub/sub (`redis://…`).
`build_bus(events_url)` picks one; `Settings.events_url_resolved` gives ARCHITECTURE.md's default.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

__all__ = ["CHANNEL", "EventBus", "InMemoryBus", "Notice", "NoticeListener", "build_bus"]

logger = logging.getLogger(__name__)

#: The channel name on PostgreSQL and Redis.
CHANNEL = "taskloom_events"

NoticeKind = Literal["event", "log"]


@dataclass(frozen=True)
class Notice:
    """Something committed: a TaskEvent (`kind="event"`) or an execution log line (`kind="log"`)."""

    kind: NoticeKind
    id: int
    workspace_id: str

    def encode(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def decode(cls, raw: str | bytes) -> Notice:
        data = json.loads(raw)
        return cls(kind=data["kind"], id=int(data["id"]), workspace_id=str(data["workspace_id"]))


NoticeListener = Callable[[Notice], None]


class EventBus:
    """Publishes notices after commit and calls listeners (on the loop that started the bus) for each."""

    def __init__(self) -> None:
        self._listeners: list[NoticeListener] = []

    async def start(self) -> None:
        """Begin receiving notices from other processes (no-op for the in-process bus)."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    async def publish(self, notice: Notice) -> None:
        raise NotImplementedError

    def add_listener(self, listener: NoticeListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: NoticeListener) -> None:
        self._listeners.remove(listener)

    def _deliver(self, notice: Notice) -> None:
        for listener in list(self._listeners):
            try:
                listener(notice)
            except Exception:
                logger.exception("notice listener failed on %s %r", notice.kind, notice.id)


class InMemoryBus(EventBus):
    """Within one process: publishing calls the listeners directly."""

    async def publish(self, notice: Notice) -> None:
        self._deliver(notice)


def build_bus(events_url: str) -> EventBus:
    """The bus `events_url` names (`memory://`, `postgres://…`, `redis://…`)."""
    if events_url.startswith(("postgres://", "postgresql://")):
        from domain.event_buses.postgres import PostgresBus

        return PostgresBus(events_url)
    if events_url.startswith(("redis://", "rediss://")):
        from domain.event_buses.redis import RedisBus

        return RedisBus(events_url)
    return InMemoryBus()
