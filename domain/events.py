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

import asyncio
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
        self._unsent: dict[tuple[str, str], Notice] = {}
        self._sender: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin receiving notices from other processes (no-op for the in-process bus)."""

    async def stop(self) -> None:
        """Stop receiving and release connections."""

    async def publish(self, notice: Notice) -> None:
        raise NotImplementedError

    def notify(self, notice: Notice) -> None:
        """Publish `notice` soon, without waiting for the server: a write's transaction is over before its notice
        goes out. Notices of one kind and workspace that pile up meanwhile go out as one, the newest: a notice
        only says "read past the last id you saw". A failed publish is logged."""
        key = (notice.kind, notice.workspace_id)
        unsent = self._unsent.get(key)
        if unsent is None or unsent.id < notice.id:
            self._unsent[key] = notice
        loop = asyncio.get_running_loop()
        if self._sender is None or self._sender.done() or self._sender.get_loop() is not loop:
            self._sender = loop.create_task(self._send_unsent())

    async def _send_unsent(self) -> None:
        while self._unsent:
            notices, self._unsent = list(self._unsent.values()), {}
            for notice in notices:
                try:
                    await self.publish(notice)
                except Exception:  # subscribers catch up from the table on the next notice or poll
                    logger.exception("publishing %s notice %r failed", notice.kind, notice.id)

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

    def notify(self, notice: Notice) -> None:
        self._deliver(notice)  # no server to wait for: at once, as `publish`


def build_bus(events_url: str) -> EventBus:
    """The bus `events_url` names (`memory://`, `postgres://…`, `redis://…`)."""
    if events_url.startswith(("postgres://", "postgresql://")):
        from domain.event_buses.postgres import PostgresBus

        return PostgresBus(events_url)
    if events_url.startswith(("redis://", "rediss://")):
        from domain.event_buses.redis import RedisBus

        return RedisBus(events_url)
    return InMemoryBus()
