"""executionConfig of a NOTIFICATION task: one message sent to a webhook."""

from __future__ import annotations

from ._base import ConfigModel, NonBlankStr

__all__ = ["NotificationConfig"]


class NotificationConfig(ConfigModel):
    """A message for `webhookId` (else the task's source webhook); the result is `{outboundMessageId}`."""

    message: NonBlankStr
    recipient: str | None = None
    subject: str | None = None
    webhook_id: NonBlankStr | None = None
