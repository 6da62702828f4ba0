"""Retention: remove the history of finished tasks older than a cutoff (`taskloom purge --older-than 30d`).

A task is *finished and old* when its status is run-ending (COMPLETED, FAILED, CANCELLED: `RUN_ENDING_STATES`)
and its latest change (`updated_at`, written by every transition and update) is older than the cutoff. Of such
tasks, `purge` removes the events, the executions with their log lines and artifacts (rows and stored files),
and the outbound messages that are done (SENT, FAILED, CANCELLED); with `tasks=True` the task rows go too.
Done messages older than the cutoff that no longer belong to any task are removed as well.

Safe while the system is busy. It walks the finished, old tasks `batch_size` at a time (in id order), and
removes their rows at most `batch_size` per transaction (`DEFAULT_BATCH_SIZE`). Each of these short transactions
first reads those tasks again and keeps only the ones still finished and old, locked (`FOR NO KEY UPDATE SKIP
LOCKED` on PostgreSQL; SQLite has one writer) so that none can change before it commits: a task executed again
(QUEUED) meanwhile keeps what is left of its history. Other tasks are never touched.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from domain.enums import MessageStatus
from domain.models import Artifact, ExecutionLogLine, OutboundMessage, Task, TaskEvent, TaskExecution
from domain.state_machine import RUN_ENDING_STATES

__all__ = ["DEFAULT_BATCH_SIZE", "ArtifactFiles", "FileRemover", "PurgeCounts", "parse_age", "purge"]

logger = logging.getLogger(__name__)

#: Rows deleted per transaction: small enough to keep locks short, large enough to be quick.
DEFAULT_BATCH_SIZE = 500
#: Outbound messages in these statuses are done: delivery will not touch them again.
DONE_MESSAGE_STATES = frozenset({MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.CANCELLED})

_AGE = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def parse_age(text: str) -> timedelta:
    """Parse an age such as `30d`, `12h` or `90m` (days, hours, minutes).

    Raises:
        ValueError: not a positive whole number followed by d, h or m; the message says what is accepted.
    """
    match = _AGE.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"invalid age {text!r}: use a positive whole number and a unit, d (days), h (hours) "
                         "or m (minutes), e.g. 30d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass
class PurgeCounts:
    """Rows removed (or, on a dry run, that would be removed) per kind."""

    events: int = 0
    log_lines: int = 0
    artifacts: int = 0
    executions: int = 0
    messages: int = 0
    tasks: int = 0

    def __str__(self) -> str:
        return ", ".join(f"{getattr(self, f.name)} {f.name.replace('_', ' ')}" for f in fields(self))


class FileRemover(Protocol):
    """Removes stored artifact files by the store-relative paths recorded on Artifact rows."""

    async def remove(self, paths: list[str]) -> None: ...


class ArtifactFiles:
    """The files of `TASKLOOM_ARTIFACTS_DIR` (the filesystem artifact store's layout): removes files and the
    folders they leave empty; a path outside the root or already gone is skipped."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    async def remove(self, paths: list[str]) -> None:
        await asyncio.to_thread(self._remove, paths)

    def _remove(self, paths: list[str]) -> None:
        root = self.root.resolve()
        for path in paths:
            full = (root / path).resolve()
            if not full.is_relative_to(root) or full == root:
                logger.warning("artifact path %r is outside the artifacts folder: not removed", path)
                continue
            full.unlink(missing_ok=True)
            for folder in full.parents:  # <workspace>/<execution>/ folders left empty
                if folder == root:
                    break
                try:
                    folder.rmdir()
                except OSError:  # not empty (or already gone)
                    break


def _finished_tasks(cutoff: datetime) -> QuerySet[Task]:
    return Task.filter(status__in=list(RUN_ENDING_STATES), updated_at__lt=cutoff)


def _done_messages(cutoff: datetime) -> QuerySet[OutboundMessage]:
    return OutboundMessage.filter(status__in=list(DONE_MESSAGE_STATES), updated_at__lt=cutoff)


#: What goes, in this order (children before parents), and the rows of each that belong to some tasks.
_KINDS: dict[str, Callable[[list[UUID], datetime], QuerySet[Any]]] = {
    "events": lambda ids, cutoff: TaskEvent.filter(task_id__in=ids),
    "log_lines": lambda ids, cutoff: ExecutionLogLine.filter(
        execution_id__in=Subquery(TaskExecution.filter(task_id__in=ids).values("id"))),
    "artifacts": lambda ids, cutoff: Artifact.filter(
        execution_id__in=Subquery(TaskExecution.filter(task_id__in=ids).values("id"))),
    "executions": lambda ids, cutoff: TaskExecution.filter(task_id__in=ids),
    "messages": lambda ids, cutoff: _done_messages(cutoff).filter(task_id__in=ids),
    "tasks": lambda ids, cutoff: Task.filter(id__in=ids),
}


async def _lock_finished(conn: BaseDBAsyncClient, task_ids: list[UUID], cutoff: datetime) -> list[UUID]:
    """Those of `task_ids` still finished and old, locked until the transaction ends (PostgreSQL)."""
    rows = await (_finished_tasks(cutoff).filter(id__in=task_ids).using_db(conn)
                  .select_for_update(skip_locked=True, no_key=True).only("id"))
    return [row.id for row in rows]


async def _delete_batch(kind: str, task_ids: list[UUID], cutoff: datetime,
                        batch_size: int) -> tuple[int, list[str]]:
    """Delete up to `batch_size` rows of `kind` of the tasks in one transaction; returns (rows, their files)."""
    async with in_transaction() as conn:
        still = await _lock_finished(conn, task_ids, cutoff)
        if not still:
            return 0, []
        rows = _KINDS[kind](still, cutoff).using_db(conn).limit(batch_size)
        picked = await (rows.values_list("id", "path") if kind == "artifacts" else rows.values_list("id"))
        if picked:
            await rows.model.filter(id__in=[row[0] for row in picked]).using_db(conn).delete()
    return len(picked), [row[1] for row in picked] if kind == "artifacts" else []


async def _purge_tasks(task_ids: list[UUID], kinds: list[str], cutoff: datetime, batch_size: int,
                       files: FileRemover, counts: PurgeCounts) -> None:
    for kind in kinds:
        while True:
            deleted, paths = await _delete_batch(kind, task_ids, cutoff, batch_size)
            if paths:
                await files.remove(paths)  # after commit: a crash leaves a stray file, never a row without its file
            setattr(counts, kind, getattr(counts, kind) + deleted)
            if deleted < batch_size:
                break


async def _purge_orphan_messages(cutoff: datetime, batch_size: int) -> int:
    """Delete done, old messages whose task is gone (deleted); returns how many."""
    total = 0
    while True:
        async with in_transaction() as conn:
            ids = await (_done_messages(cutoff).filter(task_id__isnull=True).using_db(conn).limit(batch_size)
                         .values_list("id", flat=True))
            if ids:
                await OutboundMessage.filter(id__in=ids).using_db(conn).delete()
        total += len(ids)
        if len(ids) < batch_size:
            return total


async def purge(cutoff: datetime, *, files: FileRemover, tasks: bool = False, dry_run: bool = False,
                batch_size: int = DEFAULT_BATCH_SIZE) -> PurgeCounts:
    """Remove the history of tasks finished before `cutoff` (see the module docstring for what goes).

    Parameters:
        cutoff: timezone-aware; tasks whose latest change is at or after it are kept whole.
        files: removes the stored files of deleted artifacts (`ArtifactFiles(settings.artifacts_dir)`).
        tasks: delete the finished, old task rows too (with their labels), not only their history.
        dry_run: count what would go, delete nothing.
        batch_size: rows per transaction.

    Raises:
        ValueError: a naive `cutoff` or a `batch_size` below 1.

    Returns:
        The rows removed (or that would be removed on a dry run) per kind.
    """
    if cutoff.tzinfo is None:
        raise ValueError("cutoff must be timezone-aware")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    kinds = [kind for kind in _KINDS if tasks or kind != "tasks"]
    counts = PurgeCounts()
    after: UUID | None = None
    while True:
        # Keyset walk in id order: tasks kept (not --tasks) are not read twice in one run.
        batch = _finished_tasks(cutoff).order_by("id").limit(batch_size)
        task_ids = await (batch if after is None else batch.filter(id__gt=after)).values_list("id", flat=True)
        if not task_ids:
            break
        if dry_run:
            for kind in kinds:
                setattr(counts, kind, getattr(counts, kind) + await _KINDS[kind](task_ids, cutoff).count())
        else:
            await _purge_tasks(task_ids, kinds, cutoff, batch_size, files, counts)
        after = task_ids[-1]
    orphans = _done_messages(cutoff).filter(task_id__isnull=True)
    counts.messages += await orphans.count() if dry_run else await _purge_orphan_messages(cutoff, batch_size)
    if not dry_run:
        logger.info("purge of tasks finished before %s: removed %s", cutoff.isoformat(), counts)
    return counts
