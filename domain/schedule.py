"""Cron schedules: validation and the next due time, read in the schedule's IANA timezone (croniter)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

__all__ = ["cron_problem", "next_due", "timezone_problem"]


def timezone_problem(name: str) -> str | None:
    """Why `name` is not a usable IANA timezone, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown timezone {name!r}; use an IANA name such as 'UTC' or 'Europe/Paris'"
    return None


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a valid 5-field cron expression, or None."""
    if len(expression.split()) != 5 or not croniter.is_valid(expression):
        return f"invalid cron expression {expression!r}; expected 5 fields, e.g. '*/15 * * * *'"
    return None


def next_due(expression: str, timezone: str, after: datetime) -> datetime:
    """The first due time strictly after `after`, in UTC (daylight-saving changes handled by croniter)."""
    local = after.astimezone(ZoneInfo(timezone))
    return croniter(expression, local).get_next(datetime).astimezone(UTC)
