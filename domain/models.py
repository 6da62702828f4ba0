"""Tortoise models: what Taskloom stores. Fields, Meta and small properties only; logic lives in services.

Ids are UUIDs except `TaskEvent.id`, a big integer that only grows: it orders events and is the cursor
of `taskEvents(after:)`. All datetimes are stored in UTC.
"""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from domain.enums import ExecutionStatus, ExecutionType, MessageStatus, TaskPriority, TaskType, Trigger
from domain.state_machine import TaskStatus

__all__ = [
    "ApiKey",
    "Artifact",
    "ExecutionLogLine",
    "OutboundMessage",
    "RateLimitHit",
    "Task",
    "TaskEvent",
    "TaskExecution",
    "TaskLabel",
    "Webhook",
    "Workspace",
]


class Workspace(Model):
    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=100, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "workspaces"


class ApiKey(Model):
    """An API key; only its SHA-256 hash is kept. `prefix` is the public start of the key, for display."""

    id = fields.UUIDField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="api_keys", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    key_hash = fields.CharField(max_length=64, unique=True)
    prefix = fields.CharField(max_length=16)
    scopes = fields.JSONField(default=list)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_keys"
        unique_together = (("workspace", "name"),)


class Webhook(Model):
    """Where notifications go. The secret signs every message and is never returned by the API."""

    id = fields.UUIDField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="webhooks", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    url = fields.CharField(max_length=2048)
    secret = fields.CharField(max_length=200)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webhooks"


class Task(Model):
    """One unit of work and its current state; every status change also writes a TaskEvent."""

    id = fields.UUIDField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="tasks", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=500)
    description = fields.TextField(null=True)
    task_type = fields.CharEnumField(TaskType, max_length=32)
    status = fields.CharEnumField(TaskStatus, max_length=32)
    status_reason = fields.TextField(null=True)
    priority = fields.IntEnumField(TaskPriority, default=TaskPriority.NORMAL)
    execution_type = fields.CharEnumField(ExecutionType, max_length=16, default=ExecutionType.MANUAL)
    assigned_to_bot = fields.BooleanField(default=False)
    requires_human_review = fields.BooleanField(default=False)
    scheduled_for = fields.DatetimeField(null=True)
    cron = fields.CharField(max_length=200, null=True)
    cron_timezone = fields.CharField(max_length=64, default="UTC")
    spawned_from: fields.ForeignKeyNullableRelation[Task] = fields.ForeignKeyField(
        "models.Task", related_name="spawned", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    labels = fields.JSONField(default=list)
    external_id = fields.CharField(max_length=200, null=True)
    idempotency_key = fields.CharField(max_length=200, null=True)
    execution_config = fields.JSONField(default=dict)
    max_retries = fields.IntField(default=3)
    timeout_seconds = fields.IntField(default=300)
    error_count = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    result = fields.JSONField(null=True)
    result_summary = fields.TextField(null=True)
    notify_on_complete = fields.BooleanField(default=False)
    notify_on_failure = fields.BooleanField(default=False)
    source_webhook: fields.ForeignKeyNullableRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="tasks", null=True, on_delete=fields.SET_NULL
    )
    review_notes = fields.TextField(null=True)
    queued_at = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # Engine bookkeeping: what queued the current run, which worker holds it, its last sign of life,
    # when it was last sent to the broker, a pending cancel request.
    trigger = fields.CharEnumField(Trigger, max_length=16, null=True)
    claimed_by = fields.CharField(max_length=200, null=True)
    heartbeat_at = fields.DatetimeField(null=True)
    dispatched_at = fields.DatetimeField(null=True)
    cancel_requested_at = fields.DatetimeField(null=True)

    class Meta:
        table = "tasks"
        unique_together = (("workspace", "idempotency_key"),)
        indexes = (
            ("workspace", "created_at"),
            ("workspace", "status"),
            ("workspace", "task_type"),
            ("workspace", "priority", "created_at"),
            ("workspace", "updated_at"),
            ("workspace", "external_id"),
            ("status", "scheduled_for"),
            ("status", "next_attempt_at"),
            ("status", "heartbeat_at"),
        )


class TaskLabel(Model):
    """One label of one task: makes "tasks carrying all of these labels" an indexed lookup."""

    id = fields.BigIntField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "models.Task", related_name="label_rows", on_delete=fields.CASCADE
    )
    label = fields.CharField(max_length=200)

    class Meta:
        table = "task_labels"
        unique_together = (("task", "label"),)
        indexes = (("label", "task"),)


class TaskExecution(Model):
    """One attempt at running a task."""

    id = fields.UUIDField(primary_key=True)
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "models.Task", related_name="executions", on_delete=fields.CASCADE
    )
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="executions", on_delete=fields.CASCADE
    )
    attempt_number = fields.IntField()
    triggered_by = fields.CharEnumField(Trigger, max_length=16)
    status = fields.CharEnumField(ExecutionStatus, max_length=16, default=ExecutionStatus.RUNNING)
    started_at = fields.DatetimeField(auto_now_add=True)
    completed_at = fields.DatetimeField(null=True)
    duration_ms = fields.IntField(null=True)
    output = fields.JSONField(null=True)
    error = fields.TextField(null=True)
    error_stack = fields.TextField(null=True)
    browser_session_id = fields.CharField(max_length=200, null=True)
    debug_url = fields.CharField(max_length=2048, null=True)
    steps = fields.JSONField(null=True)
    worker_id = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "task_executions"
        unique_together = (("task", "attempt_number"),)
        indexes = (("workspace", "started_at"),)


class ExecutionLogLine(Model):
    """One line an executor reported through `ctx.log`: kept, and streamed to `executionLog` subscribers."""

    id = fields.BigIntField(primary_key=True)
    execution: fields.ForeignKeyRelation[TaskExecution] = fields.ForeignKeyField(
        "models.TaskExecution", related_name="log_lines", on_delete=fields.CASCADE
    )
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="log_lines", on_delete=fields.CASCADE
    )
    at = fields.DatetimeField()
    level = fields.CharField(max_length=10)
    message = fields.TextField()
    step = fields.IntField(null=True)

    class Meta:
        table = "execution_log_lines"
        indexes = (("execution", "id"),)


class TaskEvent(Model):
    """One status change of one task. Ids only grow; `actor` says who caused it."""

    id = fields.BigIntField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="events", on_delete=fields.CASCADE
    )
    task: fields.ForeignKeyRelation[Task] = fields.ForeignKeyField(
        "models.Task", related_name="events", on_delete=fields.CASCADE
    )
    task_type = fields.CharEnumField(TaskType, max_length=32)
    from_status = fields.CharEnumField(TaskStatus, max_length=32, null=True)
    to_status = fields.CharEnumField(TaskStatus, max_length=32)
    reason = fields.TextField(null=True)
    execution_id = fields.UUIDField(null=True)
    actor = fields.CharField(max_length=200)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "task_events"
        indexes = (("workspace", "id"), ("task", "id"))


class OutboundMessage(Model):
    """A message to a webhook (notification, reminder, completion or failure notice, report)."""

    id = fields.UUIDField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="messages", on_delete=fields.CASCADE
    )
    webhook: fields.ForeignKeyNullableRelation[Webhook] = fields.ForeignKeyField(
        "models.Webhook", related_name="messages", null=True, on_delete=fields.SET_NULL
    )
    task: fields.ForeignKeyNullableRelation[Task] = fields.ForeignKeyField(
        "models.Task", related_name="messages", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    type = fields.CharField(max_length=50)
    recipient = fields.CharField(max_length=500, null=True)
    subject = fields.CharField(max_length=500, null=True)
    body = fields.TextField()
    payload = fields.JSONField(default=dict)
    status = fields.CharEnumField(MessageStatus, max_length=16, default=MessageStatus.QUEUED)
    scheduled_for = fields.DatetimeField(null=True)
    next_attempt_at = fields.DatetimeField(null=True)
    sent_at = fields.DatetimeField(null=True)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    response_status = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "outbound_messages"
        indexes = (("workspace", "created_at"), ("status", "next_attempt_at"), ("webhook", "status"))


class RateLimitHit(Model):
    """One request admitted by the database rate limiter (a sliding-window log per key)."""

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200)
    at = fields.DatetimeField()

    class Meta:
        table = "rate_limit_hits"
        indexes = (("key", "at"),)


class Artifact(Model):
    """A file an execution produced (a screenshot); its bytes live in the artifact store under `path`."""

    id = fields.UUIDField(primary_key=True)
    workspace: fields.ForeignKeyRelation[Workspace] = fields.ForeignKeyField(
        "models.Workspace", related_name="artifacts", on_delete=fields.CASCADE
    )
    execution: fields.ForeignKeyRelation[TaskExecution] = fields.ForeignKeyField(
        "models.TaskExecution", related_name="artifacts", on_delete=fields.CASCADE, db_index=True
    )
    name = fields.CharField(max_length=200)
    content_type = fields.CharField(max_length=100)
    size_bytes = fields.IntField()
    path = fields.CharField(max_length=1000)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "artifacts"
