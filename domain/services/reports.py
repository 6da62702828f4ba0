"""Workspace reports (API.md "Report data"): task summary, execution stats and webhook activity.

Every count is made by the database with GROUP BY; Python only zero-fills and shapes the result. The
range is half-open, `from <= t < to`, so back-to-back reports never count a row twice; `daily` still has
one entry per UTC day from the day of `from` to the day of `to`, both included. Nothing tunes this
module: the default range (`DEFAULT_RANGE`, the last 7 days) is fixed by API.md.

Percentiles use linear interpolation between the closest ranks, the definition of PostgreSQL's
`percentile_cont` (which computes them there); on SQLite the same formula runs in Python over the sorted
durations. They are rounded to 2 decimals so both engines agree to the digit.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from tortoise import connections
from tortoise.functions import Count, Sum

from domain.enums import ExecutionStatus, MessageStatus, ReportType, TaskType
from domain.errors import FieldError, ValidationFailed
from domain.models import OutboundMessage, Task, TaskExecution, Webhook
from domain.state_machine import TaskStatus

__all__ = ["DEFAULT_RANGE", "TOP_ERRORS", "Report", "build_report", "report_result"]

#: The range when `from` is not given: this much before `to`.
DEFAULT_RANGE = timedelta(days=7)
#: How many distinct error messages `topErrors` lists.
TOP_ERRORS = 5
#: Longest error text quoted in the Markdown summary (the data keeps the full text).
_SUMMARY_ERROR_CHARS = 120

_SUCCEEDED = frozenset({ExecutionStatus.SUCCESS.name})
_FAILED = frozenset({ExecutionStatus.FAILED.name, ExecutionStatus.TIMED_OUT.name})
#: Messages neither delivered nor given up on; CANCELLED ones are none of sent, failed or pending.
_PENDING = frozenset(
    s.name for s in MessageStatus if s not in (MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.CANCELLED)
)

#: The UTC calendar day of a timestamp column, per dialect. SQLite keeps datetimes as ISO text with an
#: offset ('2026-11-27 07:14:30.123456+00:00') and `date()` applies that offset, so both give UTC days.
_DAY_SQL = {
    "sqlite": "date({column})",
    "postgres": "({column} AT TIME ZONE 'UTC')::date",
}


@dataclass(frozen=True)
class Report:
    """A built report: its type, its UTC range, the data API.md describes and the same as Markdown."""

    type: ReportType
    from_: datetime
    to: datetime
    data: dict[str, Any]
    summary: str


async def build_report(
    workspace_id: str,
    report_type: ReportType,
    *,
    date_from: datetime | None = None,
    date_to: datetime | None = None,
    now: datetime | None = None,
) -> Report:
    """Build one report over one workspace's rows whose timestamp falls in `[date_from, date_to)`.

    Parameters:
      workspace_id: only this workspace's tasks, executions and messages are counted.
      report_type: which report; TASK_SUMMARY counts tasks by `created_at`, EXECUTION_STATS executions
        by `started_at`, WEBHOOK_ACTIVITY outbound messages by `created_at`.
      date_from: start of the range (included); default `date_to` minus 7 days.
      date_to: end of the range (excluded); default `now`.
      now: the current time, timezone-aware; default the clock (UTC).

    Raises:
      ValidationFailed: `date_from` or `date_to` has no UTC offset (field `from` / `to`), or `date_from`
        is after `date_to` (field `from`).

    Returns:
      The report, its range converted to UTC.
    """
    errors = [
        FieldError((name,), f"{value.isoformat()} has no UTC offset; give one, e.g. {value.isoformat()}+00:00")
        for name, value in (("from", date_from), ("to", date_to))
        if value is not None and _is_naive(value)
    ]
    if errors:
        raise ValidationFailed(errors)
    if now is not None and _is_naive(now):
        raise ValueError("now must be timezone-aware")
    to = (date_to or now or datetime.now(UTC)).astimezone(UTC)
    from_ = date_from.astimezone(UTC) if date_from is not None else to - DEFAULT_RANGE
    if from_ > to:
        raise ValidationFailed([FieldError(("from",), f"from ({from_.isoformat()}) is after to ({to.isoformat()}); "
                                                      "swap them or move from earlier")])
    data = await _BUILDERS[report_type](str(workspace_id), from_, to)
    summary = _SUMMARIES[report_type](data, from_, to)
    return Report(type=report_type, from_=from_, to=to, data=data, summary=summary)


def report_result(report: Report) -> dict[str, Any]:
    """The result a REPORT_GENERATION task stores: `{"report": <data>, "summary": <Markdown>}`."""
    return {"report": report.data, "summary": report.summary}


# --- TASK_SUMMARY -------------------------------------------------------------------------------------


async def _task_summary(workspace_id: str, from_: datetime, to: datetime) -> dict[str, Any]:
    rows = await (
        Task.filter(workspace_id=workspace_id, created_at__gte=from_, created_at__lt=to)
        .annotate(n=Count("id"))
        .group_by("status", "task_type")
        .values("status", "task_type", "n")
    )
    by_status = _zeros(TaskStatus)
    by_type = _zeros(TaskType)
    for row in rows:
        by_status[_name(row["status"])] += row["n"]
        by_type[_name(row["task_type"])] += row["n"]
    per_day = await _daily_status_counts("tasks", "created_at", workspace_id, from_, to)
    daily = []
    for day in _days(from_, to):
        counts = per_day.get(day, Counter())
        day_by_status = _zeros(TaskStatus)
        for status, n in counts.items():
            day_by_status[status] += n
        daily.append({"date": day, "created": sum(counts.values()), "byStatus": day_by_status})
    return {"total": sum(by_status.values()), "byStatus": by_status, "byType": by_type, "daily": daily}


def _task_summary_markdown(data: dict[str, Any], from_: datetime, to: datetime) -> str:
    lines = [f"## Task summary, {_range_text(from_, to)}", "", f"**{data['total']}** tasks created.", ""]
    lines += _count_table("Status", data["byStatus"])
    lines += _count_table("Type", data["byType"])
    return _join(lines)


# --- EXECUTION_STATS ----------------------------------------------------------------------------------


async def _execution_stats(workspace_id: str, from_: datetime, to: datetime) -> dict[str, Any]:
    in_range = TaskExecution.filter(workspace_id=workspace_id, started_at__gte=from_, started_at__lt=to)
    rows = await (
        in_range.annotate(n=Count("id")).group_by("task__task_type", "status").values("task__task_type", "status", "n")
    )
    percentiles = await _duration_percentiles(workspace_id, from_, to)
    by_type: dict[str, dict[str, Any]] = {t.name: _attempt_counts() for t in TaskType}
    total = _attempt_counts()
    for row in rows:
        status = _name(row["status"])
        for counts in (by_type[_name(row["task__task_type"])], total):
            counts["attempts"] += row["n"]
            counts["succeeded"] += row["n"] if status in _SUCCEEDED else 0
            counts["failed"] += row["n"] if status in _FAILED else 0
    for name, counts in by_type.items():
        counts["successRate"] = _rate(counts["succeeded"], counts["failed"])
        counts["p50Ms"], counts["p95Ms"] = percentiles.get(name, (None, None))
    top_errors = await (
        in_range.filter(status__in=[ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT], error__isnull=False)
        .annotate(count=Count("id"))
        .group_by("error")
        .order_by("-count", "error")
        .limit(TOP_ERRORS)
        .values("error", "count")
    )
    per_day = await _daily_status_counts("task_executions", "started_at", workspace_id, from_, to)
    daily = []
    for day in _days(from_, to):
        counts = per_day.get(day, Counter())
        daily.append({
            "date": day,
            "attempts": sum(counts.values()),
            "succeeded": sum(n for s, n in counts.items() if s in _SUCCEEDED),
            "failed": sum(n for s, n in counts.items() if s in _FAILED),
        })
    return {
        **total,
        "successRate": _rate(total["succeeded"], total["failed"]),
        "byType": by_type,
        "topErrors": [{"error": r["error"], "count": r["count"]} for r in top_errors],
        "daily": daily,
    }


def _attempt_counts() -> dict[str, Any]:
    return {"attempts": 0, "succeeded": 0, "failed": 0}


async def _duration_percentiles(
    workspace_id: str, from_: datetime, to: datetime
) -> dict[str, tuple[float | None, float | None]]:
    """p50 and p95 of `duration_ms` per task type, over the finished executions (not RUNNING) in range."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(
            'SELECT t."task_type" AS task_type,'
            ' percentile_cont(0.5) WITHIN GROUP (ORDER BY e."duration_ms") AS p50,'
            ' percentile_cont(0.95) WITHIN GROUP (ORDER BY e."duration_ms") AS p95'
            ' FROM "task_executions" e JOIN "tasks" t ON t."id" = e."task_id"'
            ' WHERE e."workspace_id" = $1 AND e."started_at" >= $2 AND e."started_at" < $3'
            ' AND e."status" <> $4 AND e."duration_ms" IS NOT NULL'
            ' GROUP BY t."task_type"',
            [workspace_id, from_, to, ExecutionStatus.RUNNING.value],
        )
        return {r["task_type"]: (_ms(r["p50"]), _ms(r["p95"])) for r in rows}
    # SQLite has no percentile aggregate: load the one duration column of the range, sorted by the
    # database, and interpolate here. A week of one workspace's attempts is small enough for that.
    pairs = await (
        TaskExecution.filter(workspace_id=workspace_id, started_at__gte=from_, started_at__lt=to,
                             duration_ms__isnull=False)
        .exclude(status=ExecutionStatus.RUNNING)
        .order_by("task__task_type", "duration_ms")
        .values_list("task__task_type", "duration_ms")
    )
    durations: dict[str, list[int]] = defaultdict(list)
    for task_type, duration in pairs:
        durations[_name(task_type)].append(duration)
    return {name: (_ms(_percentile(v, 0.5)), _ms(_percentile(v, 0.95))) for name, v in durations.items()}


def _percentile(ordered: Sequence[int], fraction: float) -> float:
    """`percentile_cont`: linear interpolation between the two closest ranks of sorted values."""
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _ms(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def _execution_stats_markdown(data: dict[str, Any], from_: datetime, to: datetime) -> str:
    lines = [
        f"## Execution stats, {_range_text(from_, to)}",
        "",
        f"- Attempts: **{data['attempts']}**",
        f"- Succeeded: **{data['succeeded']}**",
        f"- Failed (incl. timed out): **{data['failed']}**",
        f"- Success rate: **{_percent(data['successRate'])}**",
        "",
    ]
    used = {name: s for name, s in data["byType"].items() if s["attempts"]}
    if used:
        lines += ["| Type | Attempts | Succeeded | Failed | Success rate | p50 | p95 |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        lines += [
            f"| {name} | {s['attempts']} | {s['succeeded']} | {s['failed']} | {_percent(s['successRate'])} "
            f"| {_duration_text(s['p50Ms'])} | {_duration_text(s['p95Ms'])} |"
            for name, s in used.items()
        ]
        lines.append("")
    if data["topErrors"]:
        lines += ["Top errors:", ""]
        lines += [f"{i}. {_quote(e['error'])} ({e['count']})" for i, e in enumerate(data["topErrors"], 1)]
    return _join(lines)


# --- WEBHOOK_ACTIVITY ---------------------------------------------------------------------------------


async def _webhook_activity(workspace_id: str, from_: datetime, to: datetime) -> dict[str, Any]:
    rows = await (
        OutboundMessage.filter(workspace_id=workspace_id, created_at__gte=from_, created_at__lt=to)
        .annotate(n=Count("id"), attempts_sum=Sum("attempts"))
        .group_by("webhook_id", "status")
        .values("webhook_id", "status", "n", "attempts_sum")
    )
    by_status = _zeros(MessageStatus)
    per_webhook: dict[str | None, dict[str, int]] = defaultdict(Counter)
    for row in rows:
        status = _name(row["status"])
        by_status[status] += row["n"]
        counts = per_webhook[None if row["webhook_id"] is None else str(row["webhook_id"])]
        counts["messages"] += row["n"]
        counts["attempts"] += int(row["attempts_sum"] or 0)
        counts["sent"] += row["n"] if status == MessageStatus.SENT.name else 0
        counts["failed"] += row["n"] if status == MessageStatus.FAILED.name else 0
        counts["pending"] += row["n"] if status in _PENDING else 0
    names = {
        str(w["id"]): w["name"]
        for w in await Webhook.filter(workspace_id=workspace_id, id__in=[i for i in per_webhook if i is not None])
        .values("id", "name")
    }
    by_webhook = [
        {
            # Messages whose webhook was deleted since (the link is SET NULL) share one entry without an id.
            "webhookId": webhook_id,
            "name": names.get(webhook_id) if webhook_id is not None else None,
            "sent": c["sent"],
            "failed": c["failed"],
            "pending": c["pending"],
            "successRate": _rate(c["sent"], c["failed"]),
            "avgAttempts": round(c["attempts"] / c["messages"], 2),
        }
        for webhook_id, c in per_webhook.items()
    ]
    by_webhook.sort(key=lambda w: (w["webhookId"] is None, w["name"] or "", w["webhookId"] or ""))
    per_day = await _daily_status_counts("outbound_messages", "created_at", workspace_id, from_, to)
    daily = [
        {
            "date": day,
            "sent": per_day.get(day, Counter())[MessageStatus.SENT.name],
            "failed": per_day.get(day, Counter())[MessageStatus.FAILED.name],
        }
        for day in _days(from_, to)
    ]
    return {"messages": sum(by_status.values()), "byStatus": by_status, "byWebhook": by_webhook, "daily": daily}


def _webhook_activity_markdown(data: dict[str, Any], from_: datetime, to: datetime) -> str:
    lines = [f"## Webhook activity, {_range_text(from_, to)}", "", f"**{data['messages']}** messages.", ""]
    lines += _count_table("Status", data["byStatus"])
    if data["byWebhook"]:
        lines += ["| Webhook | Sent | Failed | Pending | Success rate | Avg attempts |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [
            f"| {_cell(w['name'] or '(deleted webhook)')} | {w['sent']} | {w['failed']} | {w['pending']} "
            f"| {_percent(w['successRate'])} | {w['avgAttempts']:.2f} |"
            for w in data["byWebhook"]
        ]
    return _join(lines)


_BUILDERS: dict[ReportType, Callable[[str, datetime, datetime], Awaitable[dict[str, Any]]]] = {
    ReportType.TASK_SUMMARY: _task_summary,
    ReportType.EXECUTION_STATS: _execution_stats,
    ReportType.WEBHOOK_ACTIVITY: _webhook_activity,
}
_SUMMARIES: dict[ReportType, Callable[[dict[str, Any], datetime, datetime], str]] = {
    ReportType.TASK_SUMMARY: _task_summary_markdown,
    ReportType.EXECUTION_STATS: _execution_stats_markdown,
    ReportType.WEBHOOK_ACTIVITY: _webhook_activity_markdown,
}


# --- shared helpers -----------------------------------------------------------------------------------


async def _daily_status_counts(
    table: str, column: str, workspace_id: str, from_: datetime, to: datetime
) -> dict[str, Counter[str]]:
    """Rows of `table` in range counted per UTC day of `column` and per status: {"YYYY-MM-DD": {status: n}}.

    Raw SQL because the ORM cannot group by a date expression; `table` and `column` are ours, never input.
    """
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    day = _DAY_SQL[dialect].format(column=f'"{column}"')
    p1, p2, p3 = ("?", "?", "?") if dialect == "sqlite" else ("$1", "$2", "$3")
    rows = await conn.execute_query_dict(
        f'SELECT {day} AS day, "status" AS status, COUNT(*) AS n FROM "{table}"'
        f' WHERE "workspace_id" = {p1} AND "{column}" >= {p2} AND "{column}" < {p3}'
        f' GROUP BY {day}, "status"',
        [workspace_id, from_, to],
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        key = row["day"].isoformat() if isinstance(row["day"], date) else str(row["day"])
        counts[key][row["status"]] += int(row["n"])
    return counts


def _days(from_: datetime, to: datetime) -> list[str]:
    """Every UTC day from the day of `from_` to the day of `to`, both included, oldest first."""
    first, last = from_.astimezone(UTC).date(), to.astimezone(UTC).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _zeros(enum: Iterable[Enum]) -> dict[str, int]:
    return {member.name: 0 for member in enum}


def _name(value: Any) -> str:
    """An enum member's name whether the ORM gave the member or its stored string."""
    return value.name if isinstance(value, Enum) else str(value)


def _rate(good: int, bad: int) -> float:
    return good / (good + bad) if good + bad else 0.0


def _is_naive(value: datetime) -> bool:
    return value.tzinfo is None or value.tzinfo.utcoffset(value) is None


def _range_text(from_: datetime, to: datetime) -> str:
    return f"{from_:%Y-%m-%d %H:%M} to {to:%Y-%m-%d %H:%M} UTC"


def _percent(rate: float) -> str:
    return f"{rate * 100:.1f}%"


def _duration_text(ms: float | None) -> str:
    return "n/a" if ms is None else f"{ms:,.0f} ms"


def _count_table(label: str, counts: dict[str, int]) -> list[str]:
    used = [(name, n) for name, n in counts.items() if n]
    if not used:
        return []
    return [f"| {label} | Count |", "|---|---:|", *(f"| {name} | {n} |" for name, n in used), ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _quote(error: str) -> str:
    """One line of an error message, shortened, safe inside Markdown inline code."""
    flat = " ".join(error.split())
    if len(flat) > _SUMMARY_ERROR_CHARS:
        flat = flat[: _SUMMARY_ERROR_CHARS - 1] + "…"
    return "`" + flat.replace("`", "'") + "`"


def _join(lines: list[str]) -> str:
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
