"""Enumerations shared by the models, the services and the API (names as API.md spells them)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "ExecutionStatus",
    "ExecutionType",
    "MessageStatus",
    "ReportType",
    "Scope",
    "TaskPriority",
    "TaskType",
    "Trigger",
]


class TaskType(StrEnum):
    BROWSER_AUTOMATION = "BROWSER_AUTOMATION"
    API_CALL = "API_CALL"
    GHL_ACTION = "GHL_ACTION"
    NOTIFICATION = "NOTIFICATION"
    REMINDER = "REMINDER"
    DATA_EXTRACTION = "DATA_EXTRACTION"
    REPORT_GENERATION = "REPORT_GENERATION"


class TaskPriority(IntEnum):
    """Stored as its integer so that `ORDER BY priority DESC` puts URGENT first."""

    LOW = 0
    NORMAL = 1
    HIGH = 2
    URGENT = 3


class ExecutionType(StrEnum):
    AUTOMATIC = "AUTOMATIC"  # a worker runs it when it is due
    MANUAL = "MANUAL"  # a person (or an explicit executeTask) starts it


class ExecutionStatus(StrEnum):
    RUNNING = "RUNNING"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    CANCELLED = "CANCELLED"


class Trigger(StrEnum):
    """What started an execution."""

    CREATE = "CREATE"
    MANUAL = "MANUAL"
    APPROVAL = "APPROVAL"
    SCHEDULE = "SCHEDULE"
    RETRY = "RETRY"
    RECOVERY = "RECOVERY"


class MessageStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class ReportType(StrEnum):
    TASK_SUMMARY = "TASK_SUMMARY"
    EXECUTION_STATS = "EXECUTION_STATS"
    WEBHOOK_ACTIVITY = "WEBHOOK_ACTIVITY"


class Scope(StrEnum):
    """What an API key may do; ADMIN implies every other scope."""

    TASKS_READ = "tasks:read"
    TASKS_WRITE = "tasks:write"
    TASKS_REVIEW = "tasks:review"
    ADMIN = "admin"
