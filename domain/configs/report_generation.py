"""executionConfig of a REPORT_GENERATION task: build a report over a time range, optionally send it."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import model_validator

from ._base import AwareDateTime, ConfigModel, NonBlankStr, rule_error

__all__ = ["NotifyTarget", "ReportGenerationConfig"]


class NotifyTarget(ConfigModel):
    """Where to send the finished report: `webhookId` (else the task's source webhook), to `recipient`."""

    webhook_id: NonBlankStr | None = None
    recipient: str | None = None


class ReportGenerationConfig(ConfigModel):
    """A report type and range (default: the last 7 days); the result is `{report, summary}`."""

    report_type: Literal["task_summary", "execution_stats", "webhook_activity"]
    date_from: AwareDateTime | None = None
    date_to: AwareDateTime | None = None
    notify: NotifyTarget | None = None
    format: Literal["markdown", "json"] = "markdown"

    @model_validator(mode="after")
    def _range_is_forward(self) -> Self:
        if self.date_from is not None and self.date_to is not None and self.date_from >= self.date_to:
            raise rule_error("dateTo", "'dateTo' must be later than 'dateFrom'")
        return self
