"""Stores an attempt's `ctx.log` lines as they come, in batches, and wakes `executionLog` subscribers.

The lines of every attempt running on the event loop are group-committed: one INSERT for whatever the attempts
logged meanwhile, then one notice per workspace (`domain/services/group_commit.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from domain.events import EventBus, Notice
from domain.services.execution_logs import append_batches
from domain.services.group_commit import GroupCommit, per_loop
from workers.context import LogLine

__all__ = ["LogWriter"]

logger = logging.getLogger(__name__)

_DONE = None


@dataclass(frozen=True)
class _Lines:
    execution_id: str
    workspace_id: str
    lines: list[LogLine]
    bus: EventBus


async def _store_batches(items: list[_Lines]) -> list[None]:
    lasts = await append_batches([(i.execution_id, i.workspace_id, i.lines) for i in items])
    newest: dict[tuple[int, str], tuple[EventBus, int]] = {}
    for item, last in zip(items, lasts, strict=True):
        newest[(id(item.bus), item.workspace_id)] = (item.bus, last)
    for (_, workspace_id), (bus, last) in newest.items():
        try:
            await bus.publish(Notice("log", last, workspace_id))
        except Exception:  # subscribers catch up from the table on the next notice
            logger.exception("publishing log line %r failed", last)
    return [None] * len(items)


class LogWriter:
    """One per attempt: `push` never blocks the executor; `close` waits until every line is stored."""

    def __init__(self, execution_id: str, workspace_id: str, bus: EventBus) -> None:
        self.execution_id = execution_id
        self.workspace_id = workspace_id
        self.bus = bus
        self._queue: asyncio.Queue[LogLine | None] = asyncio.Queue()
        self._task = asyncio.ensure_future(self._run())

    def push(self, line: LogLine) -> None:
        self._queue.put_nowait(line)

    async def close(self) -> None:
        self._queue.put_nowait(_DONE)
        with contextlib.suppress(Exception):
            await self._task

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            lines = [line for line in batch if line is not None]
            if lines:
                await self._store(lines)
            if _DONE in batch:
                return

    async def _store(self, lines: list[LogLine]) -> None:
        group: GroupCommit[_Lines, None] = per_loop("log lines", lambda: GroupCommit(_store_batches))
        try:
            await group.submit(_Lines(self.execution_id, self.workspace_id, lines, self.bus))
        except Exception:  # a lost log line must never fail the task
            logger.exception("storing %d log line(s) of execution %r failed", len(lines), self.execution_id)
