"""GraphQL enums, made from the domain's enums so the names cannot drift."""

from __future__ import annotations

from enum import Enum

import strawberry

from domain import enums as d
from domain.state_machine import TaskStatus as _TaskStatus

__all__ = [
    "ExecutionStatus",
    "ExecutionType",
    "LogLevel",
    "MessageStatus",
    "ReportType",
    "TaskOrder",
    "TaskPriority",
    "TaskStatus",
    "TaskType",
    "Trigger",
    "UserErrorCode",
]

TaskType = strawberry.enum(d.TaskType)
TaskStatus = strawberry.enum(_TaskStatus)
TaskPriority = strawberry.enum(d.TaskPriority)
ExecutionType = strawberry.enum(d.ExecutionType)
ExecutionStatus = strawberry.enum(d.ExecutionStatus)
Trigger = strawberry.enum(d.Trigger)
MessageStatus = strawberry.enum(d.MessageStatus)
ReportType = strawberry.enum(d.ReportType)


@strawberry.enum
class UserErrorCode(Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"


@strawberry.enum
class LogLevel(Enum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


@strawberry.enum
class TaskOrder(Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"
    PRIORITY_DESC = "PRIORITY_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"
