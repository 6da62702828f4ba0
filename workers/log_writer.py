"""Stores an attempt's `ctx.log` lines as they come, in batches, and wakes `executionLog` subscribers.

The lines of every attempt running on the event loop are group-committed: one INSERT for whatever the attempts
logged meanwhile, then one notice per workspace (`domain/services/group_commit.py`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from domain.events import EventBus, Notice
from domain.services.execution_logs import append_batches
from domain.services.group_commit import GroupCommit, per_loop
from workers.context import LogLine

__all__ = ["LogWriter"]

logger = logging.getLogger(__name__)


@dataclass
class _Lines:
    """Lines of one attempt waiting for the next batch; more join them until that batch takes them."""

    execution_id: str
    workspace_id: str
    lines: list[LogLine]
    bus: EventBus
    taken: bool = False


async def _store_batches(items: list[_Lines]) -> list[None]:
    for item in items:
        item.taken = True
    lasts = await append_batches([(i.execution_id, i.workspace_id, i.lines) for i in items])
    newest: dict[tuple[int, str], tuple[EventBus, int]] = {}
    for item, last in zip(items, lasts, strict=True):
        newest[(id(item.bus), item.workspace_id)] = (item.bus, last)
    for (_, workspace_id), (bus, last) in newest.items():
        bus.notify(Notice("log", last, workspace_id))
    return [None] * len(items)


class LogWriter:
    """One per attempt: `push` never blocks the executor; `close` waits until every line is stored.

    Each line joins the loop's next log-line batch at once (no task or queue per attempt); lines pushed before
    that batch is written join the same entry. Batches are written in the order their lines were pushed, so an
    attempt's lines keep their order.
    """

    def __init__(self, execution_id: str, workspace_id: str, bus: EventBus) -> None:
        self.execution_id = execution_id
        self.workspace_id = workspace_id
        self.bus = bus
        self._stored: list[asyncio.Future[None]] = []
        self._open: _Lines | None = None

    def push(self, line: LogLine) -> None:
        if self._open is not None and not self._open.taken:
            self._open.lines.append(line)
            return
        group: GroupCommit[_Lines, None] = per_loop("log lines", lambda: GroupCommit(_store_batches))
        self._open = _Lines(self.execution_id, self.workspace_id, [line], self.bus)
        self._stored.append(group.enqueue(self._open))

    async def close(self) -> None:
        outcomes = await asyncio.gather(*self._stored, return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors:  # a lost log line must never fail the task
            logger.error("storing %d log line(s) of execution %r failed", len(errors), self.execution_id,
                         exc_info=errors[0])
