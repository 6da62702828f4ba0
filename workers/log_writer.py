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
from domain.transient import retry_transient
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
    results: list[None] = [None] * len(items)
    items = [item for item in items if not item.taken]  # an attempt's end took these lines to write itself
    for item in items:
        item.taken = True
    if not items:
        return results
    batches = [(i.execution_id, i.workspace_id, i.lines) for i in items]
    lasts = await retry_transient(lambda: append_batches(batches), what="storing log lines",
                                  which=lambda: f"{len(items)} attempt(s)")
    newest: dict[tuple[int, str], tuple[EventBus, int]] = {}
    for item, last in zip(items, lasts, strict=True):
        newest[(id(item.bus), item.workspace_id)] = (item.bus, last)
    for (_, workspace_id), (bus, last) in newest.items():
        bus.notify(Notice("log", last, workspace_id))
    return results


class LogWriter:
    """One per attempt: `push` never blocks the executor; `close` waits until every line is stored, `take_unsent`
    hands the lines no batch has taken yet to the attempt's end.

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
        """Wait until every line pushed is stored."""
        await self._wait(self._stored)

    async def take_unsent(self) -> list[LogLine]:
        """The lines no batch has taken yet, for the caller to store itself (an attempt's end writes them in its own
        transaction, so that it does not wait for the next batch); returns once the lines batches took are stored,
        so that ids keep the order the lines were pushed in."""
        if self._open is None or self._open.taken:
            await self._wait(self._stored)
            return []
        self._open.taken = True  # its batch skips it; its future is the last one and resolves with nothing written
        await self._wait(self._stored[:-1])
        return self._open.lines

    async def _wait(self, stored: list[asyncio.Future[None]]) -> None:
        outcomes = await asyncio.gather(*stored, return_exceptions=True)
        errors = [o for o in outcomes if isinstance(o, BaseException)]
        if errors:  # a lost log line must never fail the task
            logger.error("storing %d log line(s) of execution %r failed", len(errors), self.execution_id,
                         exc_info=errors[0])
