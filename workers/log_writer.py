"""Stores an attempt's `ctx.log` lines as they come, in batches, and wakes `executionLog` subscribers."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from domain.events import EventBus, Notice
from domain.services.execution_logs import append_lines
from workers.context import LogLine

__all__ = ["LogWriter"]

logger = logging.getLogger(__name__)

_DONE = None


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
        try:
            last = await append_lines(self.execution_id, self.workspace_id, lines)
            await self.bus.publish(Notice("log", last, self.workspace_id))
        except Exception:  # a lost log line must never fail the task
            logger.exception("storing %d log line(s) of execution %r failed", len(lines), self.execution_id)
