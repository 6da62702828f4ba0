"""Retention: remove the history of finished tasks older than a cutoff (`taskloom purge --older-than 30d`).

A task is *finished and old* when its status is run-ending (COMPLETED, FAILED, CANCELLED: `RUN_ENDING_STATES`)
and its latest change (`updated_at`, written by every transition and update) is older than the cutoff. Of such
tasks, `purge` removes the events, the executions with their log lines and artifacts (rows and stored files),
and the outbound messages that are done (SENT, FAILED, CANCELLED); with `tasks=True` the task rows go too.
Done messages older than the cutoff that no longer belong to any task are removed as well.

Safe while the system is busy: each batch (`batch_size` rows, `DEFAULT_BATCH_SIZE`) is one short transaction
that selects rows of finished, old tasks and deletes them with the same condition checked again, so a task
that was executed again (QUEUED) or changed meanwhile is left alone. Other tasks are never touched.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from tortoise.expressions import Q, Subquery
from tortoise.models import Model
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


def _finished_task_ids(cutoff: datetime) -> Subquery:
    return Subquery(_finished_tasks(cutoff).values("id"))


def _finished_execution_ids(cutoff: datetime) -> Subquery:
    return Subquery(TaskExecution.filter(task_id__in=_finished_task_ids(cutoff)).values("id"))


def _rows(model: type[Model], cutoff: datetime) -> QuerySet[Model]:
    """The rows of `model` that belong to finished, old tasks (the same condition each time it is built)."""
    if model is Task:
        return _finished_tasks(cutoff)
    if model in (TaskEvent, TaskExecution):
        return model.filter(task_id__in=_finished_task_ids(cutoff))
    if model in (ExecutionLogLine, Artifact):
        return model.filter(execution_id__in=_finished_execution_ids(cutoff))
    if model is OutboundMessage:
        return OutboundMessage.filter(Q(task_id__in=_finished_task_ids(cutoff)) | Q(task_id__isnull=True),
                                      status__in=list(DONE_MESSAGE_STATES), updated_at__lt=cutoff)
    raise TypeError(f"no retention rule for {model.__name__}")


async def _delete_batch(model: type[Model], cutoff: datetime, batch_size: int) -> tuple[int, list[str]]:
    """Delete up to `batch_size` rows of `model` in one transaction; returns (rows deleted, their file paths)."""
    async with in_transaction() as conn:
        columns = ("id", "path") if model is Artifact else ("id",)
        picked = await _rows(model, cutoff).using_db(conn).limit(batch_size).values_list(*columns)
        if not picked:
            return 0, []
        ids = [row[0] for row in picked]
        # The condition is checked again in the DELETE: a task executed again meanwhile keeps its rows.
        await _rows(model, cutoff).using_db(conn).filter(id__in=ids).delete()
        # Counted by what is gone: SQLite's count of changed rows includes the rows a cascade deleted.
        kept = set(await model.filter(id__in=ids).using_db(conn).values_list("id", flat=True))
    gone = [row for row in picked if row[0] not in kept]
    return len(gone), [row[1] for row in gone] if model is Artifact else []


async def _drain(model: type[Model], cutoff: datetime, batch_size: int, files: FileRemover) -> int:
    total = 0
    while True:
        deleted, paths = await _delete_batch(model, cutoff, batch_size)
        if paths:
            await files.remove(paths)  # after commit: a crash leaves a stray file, never a row without its file
        total += deleted
        if deleted < batch_size:
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
    # Children before parents: an artifact's file is removed with its row, and executions go last but one.
    plan: list[tuple[str, type[Model]]] = [
        ("events", TaskEvent), ("log_lines", ExecutionLogLine), ("artifacts", Artifact),
        ("executions", TaskExecution), ("messages", OutboundMessage),
    ]
    if tasks:
        plan.append(("tasks", Task))
    counts = PurgeCounts()
    for name, model in plan:
        if dry_run:
            setattr(counts, name, await _rows(model, cutoff).count())
        else:
            setattr(counts, name, await _drain(model, cutoff, batch_size, files))
            logger.info("purge: %d %s removed (finished before %s)", getattr(counts, name), name,
                        cutoff.isoformat())
    return counts

