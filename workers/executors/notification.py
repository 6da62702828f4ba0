"""NOTIFICATION: send the config's message to a webhook (its own, or the task's source webhook)."""

from __future__ import annotations

from domain.configs import NotificationConfig
from workers.context import ExecutionContext, ExecutorResult
from workers.executors._messages import send_config_message

__all__ = ["run"]


async def run(config: NotificationConfig, ctx: ExecutionContext) -> ExecutorResult:
    message_id = await send_config_message(ctx, config, kind="notification")
    return ExecutorResult({"outboundMessageId": message_id}, f"notification {message_id} queued")
