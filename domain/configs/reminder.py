"""executionConfig of a REMINDER task: a notification sent at `remindAt` or `delayMinutes` after creation."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, StrictInt, model_validator

from ._base import AwareDateTime, rule_error
from .notification import NotificationConfig

__all__ = ["MAX_REMINDER_DELAY_MINUTES", "ReminderConfig"]

#: The furthest ahead `delayMinutes` may put a reminder: ten years, in minutes.
MAX_REMINDER_DELAY_MINUTES = 10 * 366 * 24 * 60


class ReminderConfig(NotificationConfig):
    """A notification with a time; the result is `{outboundMessageId, scheduledFor}`."""

    remind_at: AwareDateTime | None = None
    delay_minutes: Annotated[StrictInt, Field(ge=0, le=MAX_REMINDER_DELAY_MINUTES)] | None = None

    @model_validator(mode="after")
    def _exactly_one_time(self) -> Self:
        if self.remind_at is None and self.delay_minutes is None:
            raise rule_error(
                "remindAt",
                "a reminder needs a time: give 'remindAt' (e.g. 2026-05-01T09:00:00+00:00) or 'delayMinutes'",
            )
        if self.remind_at is not None and self.delay_minutes is not None:
            raise rule_error("delayMinutes", "give either 'remindAt' or 'delayMinutes', not both")
        return self
