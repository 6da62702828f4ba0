"""Reports count exactly what API.md "Report data" says, in one workspace, over a half-open range.

Every row's timestamp is set explicitly (after `create`, since `auto_now_add` overrides a given value),
so the numbers are exact. The same tests run on SQLite and on PostgreSQL.

The range used throughout is 2026-11-20 00:00 UTC (included) to 2026-11-23 12:00 UTC (excluded): four
UTC days, 20 to 23.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.enums import ExecutionStatus, MessageStatus, ReportType, TaskType, Trigger
from domain.errors import ValidationFailed
from domain.models import OutboundMessage, Task, TaskExecution, Webhook, Workspace
from domain.services.reports import Report, build_report, report_result
from domain.state_machine import TaskStatus

FROM = datetime(2026, 11, 20, tzinfo=UTC)
TO = datetime(2026, 11, 23, 12, tzinfo=UTC)
DAYS = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> datetime:
    """A UTC instant in November 2026."""
    return datetime(2026, 11, day, hour, minute, second, microsecond, tzinfo=UTC)


def zeros(enum: Any) -> dict[str, int]:
    return {member.name: 0 for member in enum}


async def make_task(ws: Workspace, status: TaskStatus, task_type: TaskType, created_at: datetime) -> Task:
    task = await Task.create(title=f"{task_type.name} {status.name}", task_type=task_type, status=status,
                             workspace=ws)
    await Task.filter(id=task.id).update(created_at=created_at)
    return task


async def make_execution(
    task: Task,
    status: ExecutionStatus,
    started_at: datetime,
    *,
    duration_ms: int | None = None,
    error: str | None = None,
) -> None:
    attempt = await TaskExecution.filter(task_id=task.id).count() + 1
    execution = await TaskExecution.create(task=task, workspace_id=task.workspace_id, attempt_number=attempt,
                                           triggered_by=Trigger.MANUAL, status=status, duration_ms=duration_ms,
                                           error=error)
    await TaskExecution.filter(id=execution.id).update(started_at=started_at)


async def make_message(
    ws: Workspace, webhook: Webhook | None, status: MessageStatus, created_at: datetime, *, attempts: int = 0
) -> None:
    message = await OutboundMessage.create(workspace=ws, webhook=webhook, type="notification", body="{}",
                                           status=status, attempts=attempts)
    await OutboundMessage.filter(id=message.id).update(created_at=created_at)


async def make_webhook(ws: Workspace, name: str) -> Webhook:
    return await Webhook.create(workspace=ws, name=name, url=f"https://{name}.example/hook", secret="whsec_x")


async def report(ws: Workspace, report_type: ReportType) -> Report:
    return await build_report(str(ws.id), report_type, date_from=FROM, date_to=TO)


# --- TASK_SUMMARY -------------------------------------------------------------------------------------


async def test_task_summary_counts_tasks_created_in_range_by_status_type_and_day(db: str) -> None:
    # Given five tasks in range (one exactly at `from`), three outside it, and one of another workspace
    acme = await Workspace.create(name="acme")
    globex = await Workspace.create(name="globex")
    await make_task(acme, TaskStatus.PENDING, TaskType.API_CALL, FROM)
    await make_task(acme, TaskStatus.COMPLETED, TaskType.API_CALL, at(20, 23, 59, 59, 500_000))
    await make_task(acme, TaskStatus.COMPLETED, TaskType.REMINDER, at(20, 12))
    await make_task(acme, TaskStatus.FAILED, TaskType.NOTIFICATION, at(22))
    await make_task(acme, TaskStatus.CANCELLED, TaskType.API_CALL, at(23, 11, 59, 59))
    await make_task(acme, TaskStatus.PENDING, TaskType.API_CALL, at(19, 23, 59, 59, 999_999))
    await make_task(acme, TaskStatus.COMPLETED, TaskType.API_CALL, TO)
    await make_task(acme, TaskStatus.FAILED, TaskType.API_CALL, at(30))
    await make_task(globex, TaskStatus.PENDING, TaskType.API_CALL, at(21, 10))

    # When
    built = await report(acme, ReportType.TASK_SUMMARY)

    # Then
    assert (built.type, built.from_, built.to) == (ReportType.TASK_SUMMARY, FROM, TO)
    assert built.data == {
        "total": 5,
        "byStatus": {**zeros(TaskStatus), "PENDING": 1, "COMPLETED": 2, "FAILED": 1, "CANCELLED": 1},
        "byType": {**zeros(TaskType), "API_CALL": 3, "REMINDER": 1, "NOTIFICATION": 1},
        "daily": [
            {"date": "2026-11-20", "created": 3, "byStatus": {**zeros(TaskStatus), "PENDING": 1, "COMPLETED": 2}},
            {"date": "2026-11-21", "created": 0, "byStatus": zeros(TaskStatus)},
            {"date": "2026-11-22", "created": 1, "byStatus": {**zeros(TaskStatus), "FAILED": 1}},
            {"date": "2026-11-23", "created": 1, "byStatus": {**zeros(TaskStatus), "CANCELLED": 1}},
        ],
    }
    assert built.summary.startswith("## Task summary, 2026-11-20 00:00 to 2026-11-23 12:00 UTC\n")
    assert "**5** tasks created." in built.summary
    assert "| COMPLETED | 2 |" in built.summary
    assert "| API_CALL | 3 |" in built.summary


async def test_other_workspaces_are_invisible_to_a_report(db: str) -> None:
    acme = await Workspace.create(name="acme")
    globex = await Workspace.create(name="globex")
    task = await make_task(globex, TaskStatus.FAILED, TaskType.API_CALL, at(21))
    await make_execution(task, ExecutionStatus.FAILED, at(21), duration_ms=10, error="boom")
    await make_message(globex, await make_webhook(globex, "gamma"), MessageStatus.SENT, at(21), attempts=1)

    tasks = await report(acme, ReportType.TASK_SUMMARY)
    executions = await report(acme, ReportType.EXECUTION_STATS)
    messages = await report(acme, ReportType.WEBHOOK_ACTIVITY)

    assert tasks.data["total"] == 0 and all(d["created"] == 0 for d in tasks.data["daily"])
    assert executions.data["attempts"] == 0 and executions.data["topErrors"] == []
    assert messages.data["messages"] == 0 and messages.data["byWebhook"] == []
    assert (await report(globex, ReportType.TASK_SUMMARY)).data["total"] == 1


# --- EXECUTION_STATS ----------------------------------------------------------------------------------


async def test_execution_stats_count_attempts_outcomes_percentiles_and_top_errors(db: str) -> None:
    # Given an API_CALL and a BROWSER_AUTOMATION task of acme, each with executions across the range
    acme = await Workspace.create(name="acme")
    globex = await Workspace.create(name="globex")
    api = await make_task(acme, TaskStatus.FAILED, TaskType.API_CALL, at(1))
    browser = await make_task(acme, TaskStatus.FAILED, TaskType.BROWSER_AUTOMATION, at(1))
    E = ExecutionStatus
    await make_execution(api, E.SUCCESS, at(20, 1), duration_ms=100)
    await make_execution(api, E.SUCCESS, at(20, 2), duration_ms=200)
    await make_execution(api, E.FAILED, at(21), duration_ms=300, error="boom")
    await make_execution(api, E.TIMED_OUT, at(21, 5), duration_ms=1000, error="timed out after 30s")
    await make_execution(api, E.CANCELLED, at(22, 5), duration_ms=400)
    await make_execution(api, E.RUNNING, at(23, 11))
    await make_execution(browser, E.FAILED, at(20, 3), duration_ms=50, error="boom")
    await make_execution(browser, E.FAILED, at(22, 3), duration_ms=70, error="boom")
    await make_execution(browser, E.FAILED, at(22, 4), duration_ms=90, error="selector #x not found")
    await make_execution(browser, E.TIMED_OUT, at(22, 5), duration_ms=110, error="selector #x not found")
    await make_execution(browser, E.FAILED, at(23, 1), duration_ms=130, error="a-error")
    await make_execution(browser, E.FAILED, at(23, 2), duration_ms=150, error="b-error")
    await make_execution(browser, E.FAILED, at(23, 3), duration_ms=170, error="c-error")
    await make_execution(browser, E.SUCCESS, at(23, 4), duration_ms=190)
    await make_execution(browser, E.CANCELLED, at(21, 6), duration_ms=10, error="cancelled by user")
    # ... and executions outside the range or in another workspace, which must not count
    for when in (at(19, 23), TO, at(25)):
        await make_execution(api, E.FAILED, when, duration_ms=5, error="old")
    other = await make_task(globex, TaskStatus.FAILED, TaskType.API_CALL, at(1))
    await make_execution(other, E.FAILED, at(21), duration_ms=99_999, error="boom")

    # When
    built = await report(acme, ReportType.EXECUTION_STATS)

    # Then: percentiles interpolate linearly between ranks, like percentile_cont; RUNNING has no duration
    empty = {"attempts": 0, "succeeded": 0, "failed": 0, "successRate": 0.0, "p50Ms": None, "p95Ms": None}
    assert built.data == {
        "attempts": 15,
        "succeeded": 3,
        "failed": 9,
        "successRate": 0.25,
        "byType": {
            **{t.name: empty for t in TaskType},
            "API_CALL": {"attempts": 6, "succeeded": 2, "failed": 2, "successRate": 0.5,
                         "p50Ms": 300.0, "p95Ms": 880.0},
            "BROWSER_AUTOMATION": {"attempts": 9, "succeeded": 1, "failed": 7, "successRate": 0.125,
                                   "p50Ms": 110.0, "p95Ms": 182.0},
        },
        "topErrors": [
            {"error": "boom", "count": 3},
            {"error": "selector #x not found", "count": 2},
            {"error": "a-error", "count": 1},
            {"error": "b-error", "count": 1},
            {"error": "c-error", "count": 1},
        ],
        "daily": [
            {"date": "2026-11-20", "attempts": 3, "succeeded": 2, "failed": 1},
            {"date": "2026-11-21", "attempts": 3, "succeeded": 0, "failed": 2},
            {"date": "2026-11-22", "attempts": 4, "succeeded": 0, "failed": 3},
            {"date": "2026-11-23", "attempts": 5, "succeeded": 1, "failed": 3},
        ],
    }
    assert built.summary.startswith("## Execution stats, 2026-11-20 00:00 to 2026-11-23 12:00 UTC\n")
    assert "- Success rate: **25.0%**" in built.summary
    assert "| API_CALL | 6 | 2 | 2 | 50.0% | 300 ms | 880 ms |" in built.summary
    assert "1. `boom` (3)" in built.summary


async def test_execution_stats_without_finished_attempts_have_null_percentiles_and_zero_rate(db: str) -> None:
    acme = await Workspace.create(name="acme")
    task = await make_task(acme, TaskStatus.IN_PROGRESS, TaskType.NOTIFICATION, at(1))
    await make_execution(task, ExecutionStatus.RUNNING, at(21))

    built = await report(acme, ReportType.EXECUTION_STATS)

    assert built.data["byType"]["NOTIFICATION"] == {
        "attempts": 1, "succeeded": 0, "failed": 0, "successRate": 0.0, "p50Ms": None, "p95Ms": None,
    }
    assert (built.data["attempts"], built.data["successRate"]) == (1, 0.0)


# --- WEBHOOK_ACTIVITY ---------------------------------------------------------------------------------


async def test_webhook_activity_counts_messages_by_status_webhook_and_day(db: str) -> None:
    # Given two webhooks of acme, a message whose webhook was deleted, and rows that must not count
    acme = await Workspace.create(name="acme")
    globex = await Workspace.create(name="globex")
    beta = await make_webhook(acme, "beta")
    alpha = await make_webhook(acme, "alpha")
    M = MessageStatus
    await make_message(acme, alpha, M.SENT, at(20, 10), attempts=1)
    await make_message(acme, alpha, M.SENT, at(20, 11), attempts=2)
    await make_message(acme, alpha, M.FAILED, at(21, 10), attempts=7)
    await make_message(acme, alpha, M.QUEUED, at(22, 10))
    await make_message(acme, alpha, M.SCHEDULED, at(23, 10))
    await make_message(acme, alpha, M.CANCELLED, at(22, 11))
    await make_message(acme, beta, M.SENT, at(22, 9), attempts=1)
    await make_message(acme, beta, M.SENDING, at(23, 9), attempts=1)
    await make_message(acme, None, M.FAILED, at(21, 9), attempts=3)
    await make_message(acme, alpha, M.SENT, at(19, 12), attempts=1)
    await make_message(acme, alpha, M.FAILED, TO, attempts=1)
    await make_message(globex, await make_webhook(globex, "gamma"), M.SENT, at(21), attempts=1)

    # When
    built = await report(acme, ReportType.WEBHOOK_ACTIVITY)

    # Then: CANCELLED is none of sent, failed or pending, but counts as a message and in avgAttempts
    assert built.data == {
        "messages": 9,
        "byStatus": {"SCHEDULED": 1, "QUEUED": 1, "SENDING": 1, "SENT": 3, "FAILED": 2, "CANCELLED": 1},
        "byWebhook": [
            {"webhookId": str(alpha.id), "name": "alpha", "sent": 2, "failed": 1, "pending": 2,
             "successRate": 2 / 3, "avgAttempts": 1.67},
            {"webhookId": str(beta.id), "name": "beta", "sent": 1, "failed": 0, "pending": 1,
             "successRate": 1.0, "avgAttempts": 1.0},
            {"webhookId": None, "name": None, "sent": 0, "failed": 1, "pending": 0,
             "successRate": 0.0, "avgAttempts": 3.0},
        ],
        "daily": [
            {"date": "2026-11-20", "sent": 2, "failed": 0},
            {"date": "2026-11-21", "sent": 0, "failed": 2},
            {"date": "2026-11-22", "sent": 1, "failed": 0},
            {"date": "2026-11-23", "sent": 0, "failed": 0},
        ],
    }
    assert built.summary.startswith("## Webhook activity, 2026-11-20 00:00 to 2026-11-23 12:00 UTC\n")
    assert "| alpha | 2 | 1 | 2 | 66.7% | 1.67 |" in built.summary
    assert "| (deleted webhook) | 0 | 1 | 0 | 0.0% | 3.00 |" in built.summary


# --- range and shape ----------------------------------------------------------------------------------


@pytest.mark.parametrize("report_type", list(ReportType), ids=lambda t: t.name)
async def test_default_range_is_the_seven_days_before_now_with_every_key_zero_filled(
    db: str, report_type: ReportType
) -> None:
    acme = await Workspace.create(name="acme")
    now = datetime(2026, 11, 27, 7, 14, 30, 123456, tzinfo=UTC)

    built = await build_report(str(acme.id), report_type, now=now)

    assert (built.from_, built.to) == (now - timedelta(days=7), now)
    assert [d["date"] for d in built.data["daily"]] == [f"2026-11-{d}" for d in range(20, 28)]
    assert all(v == 0 for d in built.data["daily"] for k, v in d.items() if k not in ("date", "byStatus"))
    if report_type is ReportType.TASK_SUMMARY:
        assert built.data["byStatus"] == zeros(TaskStatus) and built.data["byType"] == zeros(TaskType)
    elif report_type is ReportType.EXECUTION_STATS:
        assert set(built.data["byType"]) == {t.name for t in TaskType}
        assert built.data["successRate"] == 0.0
    else:
        assert built.data["byStatus"] == zeros(MessageStatus)


async def test_from_defaults_to_seven_days_before_a_given_to_and_offsets_become_utc(db: str) -> None:
    acme = await Workspace.create(name="acme")
    plus_two = timezone(timedelta(hours=2))

    only_to = await build_report(str(acme.id), ReportType.TASK_SUMMARY, date_to=datetime(2026, 11, 23, 14,
                                                                                         tzinfo=plus_two))
    both = await build_report(str(acme.id), ReportType.TASK_SUMMARY,
                              date_from=datetime(2026, 11, 20, 1, tzinfo=timezone(timedelta(hours=1))), date_to=TO)

    assert (only_to.from_, only_to.to) == (at(16, 12), at(23, 12))
    assert only_to.to.utcoffset() == timedelta(0)
    assert (both.from_, both.from_.utcoffset()) == (FROM, timedelta(0))
    assert [d["date"] for d in both.data["daily"]] == DAYS


@pytest.mark.parametrize(
    ("date_from", "date_to", "paths"),
    [
        pytest.param(at(23), at(22), [("from",)], id="from after to"),
        pytest.param(datetime(2026, 11, 20), TO, [("from",)], id="naive from"),
        pytest.param(FROM, datetime(2026, 11, 23), [("to",)], id="naive to"),
        pytest.param(datetime(2026, 11, 20), datetime(2026, 11, 23), [("from",), ("to",)], id="both naive"),
    ],
)
async def test_a_bad_range_is_a_validation_error_naming_the_field(
    date_from: datetime, date_to: datetime, paths: list[tuple[str, ...]]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await build_report("00000000-0000-0000-0000-000000000000", ReportType.TASK_SUMMARY,
                           date_from=date_from, date_to=date_to)

    assert [e.path for e in caught.value.errors] == paths


async def test_an_empty_range_is_allowed(db: str) -> None:
    acme = await Workspace.create(name="acme")
    await make_task(acme, TaskStatus.PENDING, TaskType.API_CALL, FROM)

    built = await build_report(str(acme.id), ReportType.TASK_SUMMARY, date_from=FROM, date_to=FROM)

    assert built.data["total"] == 0
    assert built.data["daily"] == [{"date": "2026-11-20", "created": 0, "byStatus": zeros(TaskStatus)}]


async def test_report_result_is_the_report_generation_task_result(db: str) -> None:
    acme = await Workspace.create(name="acme")
    built = await report(acme, ReportType.WEBHOOK_ACTIVITY)

    assert report_result(built) == {"report": built.data, "summary": built.summary}
