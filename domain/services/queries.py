"""Read-side queries: filtered, keyset-paginated lists and single lookups, always within one workspace.

Keyset pagination (the sort values of the last row seen, then the id) keeps pages free of duplicates and
gaps while rows are inserted; the API wraps the key in an opaque cursor.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise.expressions import Q, Subquery
from tortoise.functions import Max
from tortoise.queryset import QuerySet

from domain.enums import MessageStatus, TaskPriority, TaskType
from domain.models import ApiKey, OutboundMessage, Task, TaskEvent, TaskExecution, TaskLabel
from domain.state_machine import TaskStatus

__all__ = [
    "InvalidCursor",
    "Page",
    "TaskFilter",
    "TaskOrder",
    "events_after",
    "get_execution",
    "key_is_active",
    "latest_event_id",
    "list_messages",
    "list_tasks",
]


class InvalidCursor(ValueError):
    """A pagination key that was not made by this query (another ordering, or tampered with)."""


class TaskOrder(StrEnum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    PRIORITY_DESC = "PRIORITY_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


#: (field, descending) per order; the id breaks ties and follows the last field's direction.
_ORDER_KEYS: dict[TaskOrder, list[tuple[str, bool]]] = {
    TaskOrder.CREATED_AT_DESC: [("created_at", True)],
    TaskOrder.CREATED_AT_ASC: [("created_at", False)],
    TaskOrder.PRIORITY_DESC: [("priority", True), ("created_at", True)],
    TaskOrder.UPDATED_AT_DESC: [("updated_at", True)],
}


@dataclass
class TaskFilter:
    status: Sequence[TaskStatus] | None = None
    task_type: Sequence[TaskType] | None = None
    priority: Sequence[TaskPriority] | None = None
    labels: Sequence[str] | None = None
    external_id: str | None = None
    search: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass
class Page:
    rows: list[Any]
    has_next: bool
    total: int
    keys: list[list[Any]] = field(default_factory=list)  # the keyset of each row, for cursors


def _filtered(workspace_id: str, f: TaskFilter) -> QuerySet[Task]:
    qs = Task.filter(workspace_id=workspace_id)
    if f.status:
        qs = qs.filter(status__in=list(f.status))
    if f.task_type:
        qs = qs.filter(task_type__in=list(f.task_type))
    if f.priority:
        qs = qs.filter(priority__in=[int(p) for p in f.priority])
    if f.external_id is not None:
        qs = qs.filter(external_id=f.external_id)
    if f.search:
        qs = qs.filter(Q(title__icontains=f.search) | Q(description__icontains=f.search))
    if f.created_after is not None:
        qs = qs.filter(created_at__gte=f.created_after)
    if f.created_before is not None:
        qs = qs.filter(created_at__lt=f.created_before)
    for label in dict.fromkeys(f.labels or ()):
        qs = qs.filter(id__in=Subquery(TaskLabel.filter(label=label).values("task_id")))
    return qs


def _key_of(task: Task, order: TaskOrder) -> list[Any]:
    values: list[Any] = []
    for name, _ in _ORDER_KEYS[order]:
        value = getattr(task, name)
        values.append(value.isoformat() if isinstance(value, datetime) else int(value))
    return [*values, str(task.id)]


def _after(order: TaskOrder, key: Sequence[Any]) -> Q:
    """Rows strictly after `key` in `order`: (a, b, id) > (ka, kb, kid) spelled out for any database."""
    spec = [*_ORDER_KEYS[order], ("id", _ORDER_KEYS[order][-1][1])]
    values: list[Any] = []
    try:
        for (name, _), raw in zip(spec, key, strict=True):
            if name in ("created_at", "updated_at"):
                values.append(datetime.fromisoformat(raw))
            elif name == "id":
                values.append(uuid.UUID(raw))
            else:
                values.append(int(raw))
    except (TypeError, ValueError):
        raise InvalidCursor("this cursor does not belong to this ordering") from None
    clauses = []
    for i, (name, desc) in enumerate(spec):
        equal = {spec[j][0]: values[j] for j in range(i)}
        beyond = {f"{name}__{'lt' if desc else 'gt'}": values[i]}
        clauses.append(Q(**equal, **beyond))
    result = clauses[0]
    for clause in clauses[1:]:
        result |= clause
    return result


async def list_tasks(
    workspace_id: str, f: TaskFilter, *, first: int, after: Sequence[Any] | None, order: TaskOrder
) -> Page:
    """One page of the workspace's tasks matching `f`, after the keyset `after`.

    Raises:
        InvalidCursor: `after` does not fit `order`.
    """
    base = _filtered(workspace_id, f)
    qs = base
    if after is not None:
        if not isinstance(after, list) or len(after) != len(_ORDER_KEYS[order]) + 1:
            raise InvalidCursor("this cursor belongs to another ordering")
        qs = qs.filter(_after(order, after))
    spec = _ORDER_KEYS[order]
    ordering = [("-" if desc else "") + name for name, desc in spec] + [("-" if spec[-1][1] else "") + "id"]
    rows = await qs.order_by(*ordering).limit(first + 1)
    total = await base.count()
    page = rows[:first]
    return Page(page, len(rows) > first, total, [_key_of(t, order) for t in page])


async def list_messages(
    workspace_id: str, statuses: Sequence[MessageStatus] | None, *, first: int, after: Sequence[Any] | None
) -> Page:
    """One page of the workspace's outbound messages, newest first."""
    base = OutboundMessage.filter(workspace_id=workspace_id)
    if statuses:
        base = base.filter(status__in=list(statuses))
    qs = base
    if after is not None:
        try:
            at, ident = datetime.fromisoformat(after[0]), uuid.UUID(after[1])
        except (TypeError, ValueError, IndexError, KeyError):
            raise InvalidCursor("invalid cursor") from None
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=ident))
    rows = await qs.order_by("-created_at", "-id").limit(first + 1)
    page = rows[:first]
    return Page(page, len(rows) > first, await base.count(),
                [[m.created_at.isoformat(), str(m.id)] for m in page])


async def get_execution(workspace_id: str, execution_id: str) -> TaskExecution | None:
    try:
        ident = uuid.UUID(str(execution_id))
    except ValueError:
        return None
    return await TaskExecution.get_or_none(id=ident, workspace_id=workspace_id)


async def events_after(workspace_id: str, after_id: int, *, limit: int) -> list[TaskEvent]:
    """The workspace's events with an id above `after_id`, oldest first (a subscription's replay)."""
    return await TaskEvent.filter(workspace_id=workspace_id, id__gt=after_id).order_by("id").limit(limit)


async def key_is_active(key_id: str) -> bool:
    """Whether the API key `key_id` exists and is not revoked."""
    try:
        ident = uuid.UUID(str(key_id))
    except ValueError:
        return False
    return await ApiKey.filter(id=ident, revoked_at=None).exists()


async def latest_event_id(workspace_id: str) -> int | None:
    """The newest event id of the workspace: a page loads, then subscribes after it."""
    rows = await TaskEvent.filter(workspace_id=workspace_id).annotate(m=Max("id")).values_list("m", flat=True)
    return rows[0] if rows and rows[0] is not None else None
