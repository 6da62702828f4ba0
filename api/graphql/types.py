"""The GraphQL object types of API.md, each built from its model; nested data comes through loaders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Info
from api.graphql.enums import (
    ExecutionStatus,
    ExecutionType,
    MessageStatus,
    ReportType,
    TaskPriority,
    TaskStatus,
    TaskType,
    Trigger,
)
from api.graphql.errors import UserError
from api.graphql.pagination import PageInfo, check_first, decode_cursor, encode_cursor
from domain import models as m
from domain.configs import mask_secrets

__all__ = [
    "ApiKey",
    "ApiKeyPayload",
    "Artifact",
    "DeletePayload",
    "MessagePayload",
    "OutboundMessage",
    "OutboundMessageConnection",
    "Report",
    "Task",
    "TaskConnection",
    "TaskEvent",
    "TaskExecution",
    "TaskExecutionConnection",
    "TaskPayload",
    "TasksPayload",
    "Webhook",
    "WebhookPayload",
]


@strawberry.type
class Webhook:
    id: strawberry.ID
    name: str
    url: str
    is_active: bool
    created_at: datetime

    @classmethod
    def of(cls, row: m.Webhook) -> Webhook:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, url=row.url, is_active=row.is_active,
                   created_at=row.created_at)


@strawberry.type
class Artifact:
    id: strawberry.ID
    content_type: str
    size_bytes: int
    url: str

    @classmethod
    def of(cls, row: m.Artifact) -> Artifact:
        return cls(id=strawberry.ID(str(row.id)), content_type=row.content_type, size_bytes=row.size_bytes,
                   url=f"/artifacts/{row.id}")


@strawberry.type
class TaskExecution:
    id: strawberry.ID
    attempt_number: int
    triggered_by: Trigger
    status: ExecutionStatus
    started_at: datetime
    completed_at: datetime | None
    duration_ms: int | None
    output: JSON | None
    error: str | None
    error_stack: str | None
    browser_session_id: str | None
    debug_url: str | None
    steps: JSON | None
    _row: strawberry.Private[m.TaskExecution]

    @classmethod
    def of(cls, row: m.TaskExecution) -> TaskExecution:
        return cls(
            id=strawberry.ID(str(row.id)), attempt_number=row.attempt_number, triggered_by=row.triggered_by,
            status=row.status, started_at=row.started_at, completed_at=row.completed_at,
            duration_ms=row.duration_ms, output=row.output, error=row.error, error_stack=row.error_stack,
            browser_session_id=row.browser_session_id, debug_url=row.debug_url, steps=row.steps, _row=row,
        )

    @strawberry.field
    async def task(self, info: Info) -> Annotated[Task, strawberry.lazy("api.graphql.types")]:
        row = await info.context.loaders.task.load(str(self._row.task_id))
        assert row is not None  # an execution never outlives its task (ON DELETE CASCADE)
        return Task.of(row)

    @strawberry.field
    async def screenshots(self, info: Info) -> list[Artifact]:
        return [Artifact.of(a) for a in await info.context.loaders.artifacts.load(str(self.id))]


@strawberry.type
class TaskExecutionConnection:
    nodes: list[TaskExecution]
    page_info: PageInfo
    total_count: int


@strawberry.type
class TaskEvent:
    id: strawberry.ID
    task_id: strawberry.ID
    from_status: TaskStatus | None
    to_status: TaskStatus
    reason: str | None
    execution_id: strawberry.ID | None
    actor: str
    at: datetime

    @classmethod
    def of(cls, row: m.TaskEvent) -> TaskEvent:
        return cls(
            id=strawberry.ID(str(row.id)), task_id=strawberry.ID(str(row.task_id)), from_status=row.from_status,
            to_status=row.to_status, reason=row.reason,
            execution_id=strawberry.ID(str(row.execution_id)) if row.execution_id else None,
            actor=row.actor, at=row.at,
        )

    @strawberry.field
    async def task(self, info: Info) -> Annotated[Task, strawberry.lazy("api.graphql.types")]:
        row = await info.context.loaders.task.load(str(self.task_id))
        assert row is not None  # events are deleted with their task
        return Task.of(row)


@strawberry.type
class Task:
    id: strawberry.ID
    title: str
    description: str | None
    task_type: TaskType
    status: TaskStatus
    status_reason: str | None
    priority: TaskPriority
    execution_type: ExecutionType
    assigned_to_bot: bool
    requires_human_review: bool
    scheduled_for: datetime | None
    cron: str | None
    cron_timezone: str
    labels: list[str]
    external_id: str | None
    max_retries: int
    timeout_seconds: int
    error_count: int
    last_error: str | None
    result: JSON | None
    result_summary: str | None
    notify_on_complete: bool
    notify_on_failure: bool
    review_notes: str | None
    queued_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime
    _row: strawberry.Private[m.Task]

    @classmethod
    def of(cls, row: m.Task) -> Task:
        return cls(
            id=strawberry.ID(str(row.id)), title=row.title, description=row.description,
            task_type=row.task_type, status=row.status, status_reason=row.status_reason,
            priority=row.priority, execution_type=row.execution_type, assigned_to_bot=row.assigned_to_bot,
            requires_human_review=row.requires_human_review, scheduled_for=row.scheduled_for, cron=row.cron,
            cron_timezone=row.cron_timezone, labels=list(row.labels), external_id=row.external_id,
            max_retries=row.max_retries, timeout_seconds=row.timeout_seconds, error_count=row.error_count,
            last_error=row.last_error, result=row.result, result_summary=row.result_summary,
            notify_on_complete=row.notify_on_complete, notify_on_failure=row.notify_on_failure,
            review_notes=row.review_notes, queued_at=row.queued_at, started_at=row.started_at,
            completed_at=row.completed_at, next_attempt_at=row.next_attempt_at, created_at=row.created_at,
            updated_at=row.updated_at, _row=row,
        )

    @strawberry.field(description='secrets (tokens, keys, passwords) come back as "***"')
    def execution_config(self) -> JSON:
        return mask_secrets(self._row.task_type, self._row.execution_config)

    @strawberry.field
    async def spawned_from(self, info: Info) -> Task | None:
        if self._row.spawned_from_id is None:
            return None
        row = await info.context.loaders.task.load(str(self._row.spawned_from_id))
        return Task.of(row) if row else None

    @strawberry.field
    async def source_webhook(self, info: Info) -> Webhook | None:
        if self._row.source_webhook_id is None:
            return None
        row = await info.context.loaders.webhook.load(str(self._row.source_webhook_id))
        return Webhook.of(row) if row else None

    @strawberry.field
    async def executions(self, info: Info, first: int = 20, after: str | None = None) -> TaskExecutionConnection:
        check_first(first)
        after_attempt = decode_cursor("execution", after)
        page = await info.context.loaders.executions.load((str(self.id), first, after_attempt))
        end = encode_cursor("execution", page.nodes[-1].attempt_number) if page.nodes else None
        return TaskExecutionConnection(
            nodes=[TaskExecution.of(e) for e in page.nodes],
            page_info=PageInfo(has_next_page=page.has_next, end_cursor=end),
            total_count=page.total,
        )

    @strawberry.field(description="oldest first")
    async def events(self, info: Info, first: int = 100, after: strawberry.ID | None = None) -> list[TaskEvent]:
        check_first(first)
        after_id = _event_id(after)
        rows = await info.context.loaders.events.load((str(self.id), first, after_id))
        return [TaskEvent.of(e) for e in rows]


def _event_id(value: str | None) -> int | None:
    from api.graphql.errors import bad_user_input

    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise bad_user_input(f"an event id is a decimal integer, not {value!r}") from None


@strawberry.type
class TaskConnection:
    nodes: list[Task]
    page_info: PageInfo
    total_count: int


@strawberry.type
class OutboundMessage:
    id: strawberry.ID
    recipient: str | None
    subject: str | None
    body: str
    status: MessageStatus
    scheduled_for: datetime | None
    sent_at: datetime | None
    attempts: int
    last_error: str | None
    response_status: int | None
    _row: strawberry.Private[m.OutboundMessage]

    @classmethod
    def of(cls, row: m.OutboundMessage) -> OutboundMessage:
        return cls(
            id=strawberry.ID(str(row.id)), recipient=row.recipient, subject=row.subject, body=row.body,
            status=row.status, scheduled_for=row.scheduled_for, sent_at=row.sent_at, attempts=row.attempts,
            last_error=row.last_error, response_status=row.response_status, _row=row,
        )

    @strawberry.field
    async def webhook(self, info: Info) -> Webhook | None:
        if self._row.webhook_id is None:
            return None
        row = await info.context.loaders.webhook.load(str(self._row.webhook_id))
        return Webhook.of(row) if row else None

    @strawberry.field
    async def task(self, info: Info) -> Task | None:
        if self._row.task_id is None:
            return None
        row = await info.context.loaders.task.load(str(self._row.task_id))
        return Task.of(row) if row else None


@strawberry.type
class OutboundMessageConnection:
    nodes: list[OutboundMessage]
    page_info: PageInfo
    total_count: int


@strawberry.type
class ApiKey:
    id: strawberry.ID
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: m.ApiKey) -> ApiKey:
        return cls(id=strawberry.ID(str(row.id)), name=row.name, prefix=row.prefix, scopes=list(row.scopes),
                   created_at=row.created_at, last_used_at=row.last_used_at, revoked_at=row.revoked_at)


@strawberry.type
class Report:
    type: ReportType
    from_: datetime = strawberry.field(name="from")
    to: datetime
    data: JSON
    summary: str


@strawberry.type
class TaskPayload:
    task: Task | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TasksPayload:
    tasks: list[Task] = strawberry.field(default_factory=list)
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookPayload:
    webhook: Webhook | None = None
    secret: str | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    key: str | None = None
    id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MessagePayload:
    message: OutboundMessage | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    deleted_id: strawberry.ID | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)
