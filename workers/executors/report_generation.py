"""REPORT_GENERATION: the `report` query's numbers (shared code, GROUP BY in the database), optionally sent."""

from __future__ import annotations

import json

from domain.configs import ReportGenerationConfig
from domain.enums import ReportType
from domain.services.reports import build_report, report_result
from workers.context import ExecutionContext, ExecutorResult
from workers.executors._messages import queue_message

__all__ = ["run"]


async def run(config: ReportGenerationConfig, ctx: ExecutionContext) -> ExecutorResult:
    report = await build_report(ctx.workspace_id, ReportType(config.report_type.upper()),
                                date_from=config.date_from, date_to=config.date_to)
    ctx.log(f"{config.report_type} computed for {report.from_.isoformat()} to {report.to.isoformat()}")
    if config.notify is not None:
        data = {"reportType": report.type.value, "from": report.from_.isoformat(), "to": report.to.isoformat(),
                "summary": report.summary, "data": report.data}
        body = report.summary if config.format == "markdown" else json.dumps(report.data)
        await queue_message(ctx, kind="report", webhook_id=config.notify.webhook_id, data=data, body=body,
                            recipient=config.notify.recipient, subject=f"{report.type.value} report")
    first_line = report.summary.strip().splitlines()[0].lstrip("# ") if report.summary.strip() else "report"
    return ExecutorResult(report_result(report), first_line)
