"""GraphQL input types of API.md and their conversion to domain drafts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import strawberry
from strawberry.scalars import JSON, is_scalar
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryList, StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition

from api.graphql.enums import ExecutionType, TaskPriority, TaskStatus, TaskType
from domain import enums as d
from domain.services.queries import TaskFilter as TaskFilterQuery
from domain.services.task_rules import TaskDraft
from domain.services.tasks import UNSET, TaskChanges

__all__ = [
    "CreateTaskInput",
    "CreateWebhookInput",
    "TaskFilter",
    "UpdateTaskInput",
    "UpdateWebhookInput",
]

C = TypeVar("C", bound=type)


def _leaf_converter(type_: Any, context: InputContext) -> Callable[[Any], Any] | None:
    """How a value of `type_` is taken as it comes (None when it needs Strawberry's own conversion).

    graphql-core has already parsed scalars and enums; a list is copied, as Strawberry does (graphql-core gives
    the same default to every request that omits it).
    """
    while isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    if isinstance(type_, StrawberryList):
        return list if _leaf_converter(type_.of_type, context) is not None else None
    if isinstance(type_, StrawberryEnumDefinition) or is_scalar(type_, context.scalar_registry):
        return lambda value: value
    return None


def built_directly(cls: C) -> C:
    """Build input type `cls` from its GraphQL value in one call per value.

    Strawberry's default conversion resolves every field's annotation and name again for every value:
    for `createTasks` with 1000 inputs that was a third of the API's CPU. This `from_input` hook works the
    fields out once; a field that is not a leaf (or a list of leaves) still goes through Strawberry.
    """
    definition = cls.__strawberry_definition__
    plan: list[tuple[str, str, Callable[[Any], Any] | None, Any]] = []

    def from_input(type_: type, value: Mapping[str, Any], context: InputContext) -> Any:
        if not plan:
            for field in definition.fields:
                field_type = field.resolve_type(type_definition=definition)
                plan.append((context.config.name_converter.from_field(field), field.python_name,
                             _leaf_converter(field_type, context), field_type))
        kwargs = {}
        for name, python_name, convert, field_type in plan:
            if name in value:
                item = value[name]
                if item is not None:
                    item = convert(item) if convert is not None else context.convert(item, field_type, name)
                kwargs[python_name] = item
        return type_(**kwargs)

    definition.from_input = from_input
    return cls


@strawberry.input
class TaskFilter:
    status: list[TaskStatus] | None = None
    task_type: list[TaskType] | None = None
    priority: list[TaskPriority] | None = None
    labels: list[str] | None = strawberry.field(default=None, description="tasks carrying all of them")
    external_id: str | None = None
    search: str | None = strawberry.field(default=None, description="in title and description")
    created_after: datetime | None = None
    created_before: datetime | None = None

    def to_domain(self) -> TaskFilterQuery:
        return TaskFilterQuery(
            status=self.status, task_type=self.task_type, priority=self.priority, labels=self.labels,
            external_id=self.external_id, search=self.search, created_after=self.created_after,
            created_before=self.created_before,
        )

@built_directly
@strawberry.input
class CreateTaskInput:
    title: str
    description: str | None = None
    task_type: TaskType
    execution_type: ExecutionType = d.ExecutionType.MANUAL
    assigned_to_bot: bool = False
    requires_human_review: bool = False
    priority: TaskPriority = d.TaskPriority.NORMAL
    scheduled_for: datetime | None = None
    cron: str | None = None
    execution_config: JSON = strawberry.field(default_factory=dict)
    max_retries: int = 3
    timeout_seconds: int = 300
    notify_on_complete: bool = False
    notify_on_failure: bool = False
    source_webhook_id: strawberry.ID | None = None
    cron_timezone: str = "UTC"
    labels: list[str] = strawberry.field(default_factory=list)
    external_id: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="same key in the same workspace returns the first task, creates nothing"
    )

    def to_draft(self) -> TaskDraft:
        return TaskDraft(
            title=self.title, task_type=d.TaskType(self.task_type), description=self.description,
            execution_type=d.ExecutionType(self.execution_type), assigned_to_bot=self.assigned_to_bot,
            requires_human_review=self.requires_human_review, priority=d.TaskPriority(self.priority),
            scheduled_for=self.scheduled_for, cron=self.cron, cron_timezone=self.cron_timezone,
            execution_config=self.execution_config, max_retries=self.max_retries,
            timeout_seconds=self.timeout_seconds, notify_on_complete=self.notify_on_complete,
            notify_on_failure=self.notify_on_failure,
            source_webhook_id=str(self.source_webhook_id) if self.source_webhook_id is not None else None,
            labels=list(self.labels), external_id=self.external_id, idempotency_key=self.idempotency_key,
        )

@strawberry.input(description="a field left out stays as it is; null clears description, scheduledFor, cron "
                              "and externalId")
class UpdateTaskInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    priority: TaskPriority | None = strawberry.UNSET
    scheduled_for: datetime | None = strawberry.UNSET
    execution_config: JSON | None = strawberry.UNSET
    max_retries: int | None = strawberry.UNSET
    timeout_seconds: int | None = strawberry.UNSET
    notify_on_complete: bool | None = strawberry.UNSET
    notify_on_failure: bool | None = strawberry.UNSET
    cron: str | None = strawberry.UNSET
    cron_timezone: str | None = strawberry.UNSET
    labels: list[str] | None = strawberry.UNSET
    external_id: str | None = strawberry.UNSET

    def to_changes(self) -> TaskChanges:
        changes = TaskChanges()
        for name in TaskChanges.__dataclass_fields__:
            value = getattr(self, name)
            if value is strawberry.UNSET:
                continue
            if name == "priority" and value is not None:
                value = d.TaskPriority(value)
            setattr(changes, name, value if value is not strawberry.UNSET else UNSET)
        return changes

@strawberry.input
class CreateWebhookInput:
    name: str
    url: str
    secret: str | None = None
    is_active: bool = True

@strawberry.input
class UpdateWebhookInput:
    name: str | None = strawberry.UNSET
    url: str | None = strawberry.UNSET
    secret: str | None = strawberry.UNSET
    is_active: bool | None = strawberry.UNSET

    def to_changes(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in ("name", "url", "secret", "is_active")
                if getattr(self, k) is not strawberry.UNSET}

