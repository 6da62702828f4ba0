"""NOTIFICATION: send the config's message to a webhook (its own, or the task's source webhook)."""

from __future__ import annotations

from domain.configs import NotificationConfig
from workers.context import ExecutionContext, ExecutorResult
from workers.executors._messages import queue_message

__all__ = ["run"]


async def run(config: NotificationConfig, ctx: ExecutionContext) -> ExecutorResult:
    data = {"taskId": ctx.task_id, "recipient": config.recipient, "subject": config.subject,
            "message": config.message}
    message_id = await queue_message(ctx, kind="notification", webhook_id=config.webhook_id, data=data,
                                     body=config.message, recipient=config.recipient, subject=config.subject)
    return ExecutorResult({"outboundMessageId": message_id}, f"notification {message_id} queued")
