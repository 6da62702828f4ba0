"""THE executor table: one `run(config, ctx)` per task type. No import-time self-registration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from domain.enums import TaskType
from workers.context import ExecutionContext, ExecutorResult
from workers.executors import (
    api_call,
    browser_automation,
    data_extraction,
    ghl_action,
    notification,
    reminder,
    report_generation,
)

__all__ = ["EXECUTORS", "Executor"]

Executor = Callable[[Any, ExecutionContext], Awaitable[ExecutorResult]]

#: The executor of each task type; a type missing here fails its attempts with a clear PermanentError.
EXECUTORS: Mapping[TaskType, Executor] = {
    TaskType.API_CALL: api_call.run,
    TaskType.BROWSER_AUTOMATION: browser_automation.run,
    TaskType.DATA_EXTRACTION: data_extraction.run,
    TaskType.GHL_ACTION: ghl_action.run,
    TaskType.NOTIFICATION: notification.run,
    TaskType.REMINDER: reminder.run,
    TaskType.REPORT_GENERATION: report_generation.run,
}
