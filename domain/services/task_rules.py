"""What a task must satisfy beyond its config schema, and where a new or approved task starts.

Paths in the errors are relative to the input object and use the API's camelCase field names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from domain.configs import normalized, validate_config
from domain.enums import ExecutionType, TaskPriority, TaskType
from domain.errors import ConfigInvalid, FieldError, ValidationFailed
from domain.models import Webhook
from domain.schedule import cron_problem, next_due, timezone_problem
from domain.state_machine import TaskStatus

__all__ = ["Capabilities", "TaskDraft", "check_draft", "initial_status", "is_bot", "start_status"]

#: Bounds of the numeric task fields.
MAX_RETRIES_LIMIT = 100
MAX_TIMEOUT_S = 24 * 3600
MAX_LABELS = 50
MAX_LABEL_LENGTH = 100


@dataclass(frozen=True)
class Capabilities:
    """What the deployment offers that some configs need."""

    llm_configured: bool = False
    ghl_configured: bool = False


@dataclass
class TaskDraft:
    """A task's writable fields, as given to createTask or as they would be after updateTask."""

    title: str
    task_type: TaskType
    description: str | None = None
    execution_type: ExecutionType = ExecutionType.MANUAL
    assigned_to_bot: bool = False
    requires_human_review: bool = False
    priority: TaskPriority = TaskPriority.NORMAL
    scheduled_for: datetime | None = None
    cron: str | None = None
    cron_timezone: str = "UTC"
    execution_config: Mapping[str, Any] = field(default_factory=dict)
    max_retries: int = 3
    timeout_seconds: int = 300
    notify_on_complete: bool = False
    notify_on_failure: bool = False
    source_webhook_id: str | None = None
    labels: list[str] = field(default_factory=list)
    external_id: str | None = None
    idempotency_key: str | None = None


def is_bot(execution_type: ExecutionType, assigned_to_bot: bool) -> bool:
    """A worker runs it on its own: AUTOMATIC and assigned to the bot."""
    return execution_type == ExecutionType.AUTOMATIC and assigned_to_bot


def start_status(draft: TaskDraft | Any, now: datetime) -> TaskStatus:
    """Where an unreviewed (or just approved) task goes: SCHEDULED, QUEUED or PENDING (API.md)."""
    if not is_bot(draft.execution_type, draft.assigned_to_bot):
        return TaskStatus.PENDING
    if draft.cron or (draft.scheduled_for is not None and draft.scheduled_for > now):
        return TaskStatus.SCHEDULED
    return TaskStatus.QUEUED


def initial_status(draft: TaskDraft, now: datetime) -> TaskStatus:
    if draft.requires_human_review:
        return TaskStatus.AWAITING_REVIEW
    return start_status(draft, now)


async def check_draft(
    draft: TaskDraft, *, workspace_id: str, capabilities: Capabilities, now: datetime
) -> dict[str, Any]:
    """Validate `draft` and fill in what derives from it; returns the normalised executionConfig.

    Sets `draft.scheduled_for` from a REMINDER's `remindAt`/`delayMinutes` and from a cron schedule.

    Raises:
        ValidationFailed: with every problem found, paths relative to the input.
    """
    problems: list[FieldError] = []
    config: dict[str, Any] = {}

    def bad(path: tuple[str, ...], message: str) -> None:
        problems.append(FieldError(path, message))

    if not draft.title.strip():
        bad(("title",), "title must not be empty")
    elif len(draft.title) > 500:
        bad(("title",), "title is longer than 500 characters")
    if not 0 <= draft.max_retries <= MAX_RETRIES_LIMIT:
        bad(("maxRetries",), f"maxRetries must be between 0 and {MAX_RETRIES_LIMIT}")
    if not 1 <= draft.timeout_seconds <= MAX_TIMEOUT_S:
        bad(("timeoutSeconds",), f"timeoutSeconds must be between 1 and {MAX_TIMEOUT_S}")
    if draft.scheduled_for is not None and draft.scheduled_for.tzinfo is None:
        bad(("scheduledFor",), "scheduledFor needs a UTC offset, e.g. 2026-11-27T09:00:00+00:00")
    if len(draft.labels) > MAX_LABELS:
        bad(("labels",), f"at most {MAX_LABELS} labels")
    for i, label in enumerate(draft.labels):
        if not label.strip() or len(label) > MAX_LABEL_LENGTH:
            bad(("labels", str(i)), f"a label is 1 to {MAX_LABEL_LENGTH} characters")
    if problem := timezone_problem(draft.cron_timezone):
        bad(("cronTimezone",), problem)
    if draft.cron is not None:
        if problem := cron_problem(draft.cron):
            bad(("cron",), problem)
        elif not is_bot(draft.execution_type, draft.assigned_to_bot):
            bad(("cron",), "a cron schedule needs executionType AUTOMATIC and assignedToBot true")

    webhook_ids = await _existing_webhooks(workspace_id, draft, bad)
    if (draft.notify_on_complete or draft.notify_on_failure) and draft.source_webhook_id is None:
        which = "notifyOnComplete" if draft.notify_on_complete else "notifyOnFailure"
        bad((which,), f"{which} needs sourceWebhookId: notices are sent to the task's source webhook")

    try:
        model = validate_config(
            draft.task_type,
            draft.execution_config,
            llm_configured=capabilities.llm_configured,
            ghl_configured=capabilities.ghl_configured,
        )
    except ConfigInvalid as exc:
        problems.extend(exc.prefixed("executionConfig").errors)
    else:
        config = normalized(model)
        _check_config_links(draft, config, webhook_ids, bad, now)

    if problems:
        raise ValidationFailed(problems)
    if draft.cron is not None:
        draft.scheduled_for = next_due(draft.cron, draft.cron_timezone, now)
    return config


async def _existing_webhooks(workspace_id: str, draft: TaskDraft, bad: Any) -> set[str]:
    wanted = _valid_uuids({str(v) for v in _webhook_refs(draft) if v})
    found = {  # no query when the draft names no webhook (bulk creation checks every draft)
        str(w) for w in await Webhook.filter(workspace_id=workspace_id, id__in=wanted).values_list("id", flat=True)
    } if wanted else set()
    if draft.source_webhook_id is not None and str(draft.source_webhook_id) not in found:
        bad(("sourceWebhookId",), f"no webhook with id {draft.source_webhook_id!r}")
    return found


def _webhook_refs(draft: TaskDraft) -> list[Any]:
    config = draft.execution_config if isinstance(draft.execution_config, Mapping) else {}
    notify = config.get("notify") if isinstance(config.get("notify"), Mapping) else {}
    return [draft.source_webhook_id, config.get("webhookId"), notify.get("webhookId")]


def _valid_uuids(values: set[str]) -> list[str]:
    import uuid

    out = []
    for value in values:
        try:
            out.append(str(uuid.UUID(value)))
        except ValueError:
            continue
    return out


def _check_config_links(
    draft: TaskDraft, config: dict[str, Any], webhook_ids: set[str], bad: Any, now: datetime
) -> None:
    """Rules that tie the config to the rest of the task: webhooks that exist, a reminder's time."""
    webhook_id = config.get("webhookId")
    if webhook_id is not None and str(webhook_id) not in webhook_ids:
        bad(("executionConfig", "webhookId"), f"no webhook with id {webhook_id!r}")
    notify = config.get("notify") or {}
    if notify.get("webhookId") is not None and str(notify["webhookId"]) not in webhook_ids:
        bad(("executionConfig", "notify", "webhookId"), f"no webhook with id {notify['webhookId']!r}")
    sends = draft.task_type in (TaskType.NOTIFICATION, TaskType.REMINDER)
    if sends and webhook_id is None and draft.source_webhook_id is None:
        bad(
            ("executionConfig", "webhookId"),
            f"a {draft.task_type.value} needs executionConfig.webhookId or sourceWebhookId to send to",
        )
    if config.get("notify") is not None and notify.get("webhookId") is None and draft.source_webhook_id is None:
        bad(("executionConfig", "notify", "webhookId"), "a report to notify needs notify.webhookId or sourceWebhookId")
    if draft.task_type == TaskType.REMINDER:
        if config.get("remindAt") is not None:
            draft.scheduled_for = datetime.fromisoformat(config["remindAt"])
        elif config.get("delayMinutes") is not None:
            draft.scheduled_for = now + timedelta(minutes=config["delayMinutes"])
