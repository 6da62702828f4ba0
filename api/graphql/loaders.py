"""Per-request DataLoaders: each batches one kind of lookup into one SQL statement, whatever the page size.

These are the only GraphQL-side ORM reads; every key is scoped to the caller's workspace.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from domain.models import Artifact, Task, TaskEvent, TaskExecution, Webhook

__all__ = ["ExecutionPage", "Loaders"]


@dataclass(frozen=True)
class ExecutionPage:
    nodes: list[TaskExecution]
    has_next: bool
    total: int


def _uuids(keys: Sequence[str]) -> list[uuid.UUID]:
    out = []
    for key in keys:
        try:
            out.append(uuid.UUID(str(key)))
        except ValueError:
            continue
    return out


class Loaders:
    """Built per request (DataLoader caches must not outlive one)."""

    def __init__(self, workspace_id: str) -> None:
        self.workspace_id = workspace_id
        self.task = DataLoader(self._tasks)
        self.webhook = DataLoader(self._webhooks)
        self.executions = DataLoader(self._executions)
        self.events = DataLoader(self._events)
        self.artifacts = DataLoader(self._artifacts)

    async def _tasks(self, ids: Sequence[str]) -> list[Task | None]:
        rows = {str(t.id): t for t in await Task.filter(workspace_id=self.workspace_id, id__in=_uuids(ids))}
        return [rows.get(str(i)) for i in ids]

    async def _webhooks(self, ids: Sequence[str]) -> list[Webhook | None]:
        found = await Webhook.filter(workspace_id=self.workspace_id, id__in=_uuids(ids))
        rows = {str(w.id): w for w in found}
        return [rows.get(str(i)) for i in ids]

    async def _executions(self, keys: Sequence[tuple[str, int, int | None]]) -> list[ExecutionPage]:
        """Key: (task id, first, after attempt number); newest attempt first."""
        task_ids = {k[0] for k in keys}
        by_task: dict[str, list[TaskExecution]] = defaultdict(list)
        rows = await TaskExecution.filter(workspace_id=self.workspace_id, task_id__in=_uuids(list(task_ids)))
        for row in sorted(rows, key=lambda e: -e.attempt_number):
            by_task[str(row.task_id)].append(row)
        pages = []
        for task_id, first, after in keys:
            all_rows = by_task.get(task_id, [])
            rest = [e for e in all_rows if after is None or e.attempt_number < after]
            pages.append(ExecutionPage(rest[:first], len(rest) > first, len(all_rows)))
        return pages

    async def _events(self, keys: Sequence[tuple[str, int, int | None]]) -> list[list[TaskEvent]]:
        """Key: (task id, first, after event id); oldest first."""
        rows = await TaskEvent.filter(
            workspace_id=self.workspace_id, task_id__in=_uuids([k[0] for k in keys])
        ).order_by("id")
        by_task: dict[str, list[TaskEvent]] = defaultdict(list)
        for row in rows:
            by_task[str(row.task_id)].append(row)
        return [
            [e for e in by_task.get(task_id, []) if after is None or e.id > after][:first]
            for task_id, first, after in keys
        ]

    async def _artifacts(self, execution_ids: Sequence[str]) -> list[list[Artifact]]:
        rows = await Artifact.filter(
            workspace_id=self.workspace_id, execution_id__in=_uuids(execution_ids)
        ).order_by("created_at")
        grouped: dict[str, list[Artifact]] = defaultdict(list)
        for row in rows:
            grouped[str(row.execution_id)].append(row)
        return [grouped.get(str(i), []) for i in execution_ids]


