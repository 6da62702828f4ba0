"""What NOTIFICATION, REMINDER and REPORT_GENERATION share: queue one message to a webhook."""

from __future__ import annotations

from typing import Any

from domain.configs import NotificationConfig
from domain.errors import PermanentError
from domain.services.messages import enqueue_message
from workers.context import ExecutionContext

__all__ = ["queue_message", "send_config_message"]


async def queue_message(ctx: ExecutionContext, *, kind: str, webhook_id: str | None, data: dict[str, Any],
                        body: str, recipient: str | None = None, subject: str | None = None) -> str:
    """Queue a message to `webhook_id` (else the task's source webhook); returns its id. Delivery (signing,
    retries, records) is the delivery actor's: the task is done once the message is queued."""
    target = webhook_id or ctx.source_webhook_id
    if target is None:
        raise PermanentError("nowhere to send: give executionConfig.webhookId or the task a sourceWebhookId")
    message = await enqueue_message(workspace_id=ctx.workspace_id, webhook_id=target, task_id=ctx.task_id,
                                    type=kind, data=data, recipient=recipient, subject=subject, body=body)
    ctx.log(f"{kind} message {message.id} queued for webhook {target}")
    ctx.outbound_message_ids.append(str(message.id))
    return str(message.id)


async def send_config_message(ctx: ExecutionContext, config: NotificationConfig, *, kind: str) -> str:
    """Queue a NOTIFICATION's or REMINDER's message (`{taskId, recipient, subject, message}`); returns its id."""
    data = {"taskId": ctx.task_id, "recipient": config.recipient, "subject": config.subject,
            "message": config.message}
    return await queue_message(ctx, kind=kind, webhook_id=config.webhook_id, data=data, body=config.message,
                               recipient=config.recipient, subject=config.subject)
