"""Execution log lines: appended while an attempt runs, read back in id order by `executionLog`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient

from domain.models import ExecutionLogLine
from domain.services.bulk import insert_rows
from domain.services.rows import build

__all__ = ["LineDraft", "append_batches", "append_lines", "lines_after"]

#: A stored message is cut to this many characters.
MAX_MESSAGE_CHARS = 4000


@dataclass(frozen=True)
class LineDraft:
    at: datetime
    level: str
    message: str
    step: int | None = None

    def as_json(self) -> dict[str, object]:
        return {"at": self.at.isoformat(), "level": self.level, "message": self.message, "step": self.step}


async def append_lines(execution_id: str, workspace_id: str, lines: Sequence[LineDraft]) -> int:
    """Store `lines` in order; returns the id of the last one."""
    return (await append_batches([(execution_id, workspace_id, lines)]))[0]


async def append_batches(
    batches: Sequence[tuple[str, str, Sequence[LineDraft]]], *, conn: BaseDBAsyncClient | None = None
) -> list[int]:
    """Store the lines of several executions, `(execution_id, workspace_id, lines)` each, in one statement (inside
    the transaction `conn` when given); returns the id of each batch's last line, 0 for none (ids grow in the
    order given)."""
    rows = [
        build(ExecutionLogLine, execution_id=execution_id, workspace_id=workspace_id, at=line.at,
                                   level=line.level, message=line.message[:MAX_MESSAGE_CHARS], step=line.step)
        for execution_id, workspace_id, lines in batches
        for line in lines
    ]
    await insert_rows(conn or connections.get("default"), rows)
    lasts, seen = [], 0
    for _, _, lines in batches:
        seen += len(lines)
        lasts.append(rows[seen - 1].id if lines else 0)
    return lasts


async def lines_after(execution_id: str, after_id: int, *, limit: int = 500) -> list[ExecutionLogLine]:
    """The execution's lines with an id above `after_id`, oldest first."""
    return await ExecutionLogLine.filter(execution_id=execution_id, id__gt=after_id).order_by("id").limit(limit)
