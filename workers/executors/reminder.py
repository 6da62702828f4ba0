"""REMINDER: the task waited SCHEDULED until its time (API.md's REMINDER rule); now it sends at once."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.configs import ReminderConfig
from workers.context import ExecutionContext, ExecutorResult
from workers.executors._messages import send_config_message

__all__ = ["run"]


async def run(config: ReminderConfig, ctx: ExecutionContext) -> ExecutorResult:
    message_id = await send_config_message(ctx, config, kind="reminder")
    due = ctx.scheduled_for or datetime.now(UTC)
    return ExecutorResult({"outboundMessageId": message_id, "scheduledFor": due.isoformat()},
                          f"reminder {message_id} sent for {due.isoformat()}")
