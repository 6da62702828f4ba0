"""Prometheus series of the engine, counted where writes commit (`Effects.after_commit`) and where webhook
attempts are recorded, so the hot path reads nothing extra: a status change carries its task type, its
from/to status, and the task's timestamps.

Each transition commits in exactly one process, so summing a series over every process (API, workers,
scheduler) counts each change once. Worker processes write these to prometheus-client's multiprocess
directory (`taskloom worker` prepares it); `taskloom serve` exposes them on its own `/metrics`.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Histogram

from domain.models import Task, TaskEvent
from domain.state_machine import RUN_ENDING_STATES, TaskStatus

__all__ = ["observe_committed", "observe_delivery", "observe_retry"]

#: Seconds; task attempts run from milliseconds (API calls) to minutes (browser automation).
_DURATION_BUCKETS_S = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
#: Seconds from QUEUED to claimed.
_LAG_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)

EVENTS_PUBLISHED = Counter("taskloom_events_published_total", "Task status changes committed and published.",
                           ["to_status"])
TASKS_STARTED = Counter("taskloom_tasks_started_total", "Attempts claimed by a worker (QUEUED -> IN_PROGRESS).",
                        ["task_type"])
TASKS_FINISHED = Counter("taskloom_tasks_finished_total", "Tasks that reached COMPLETED, FAILED or CANCELLED.",
                         ["task_type", "status"])
TASK_RETRIES = Counter("taskloom_task_retries_total", "Failed attempts that will be retried (-> RETRYING).",
                       ["task_type"])
TASK_DURATION = Histogram("taskloom_task_duration_seconds", "Duration of one attempt, claim to its end.",
                          ["task_type"], buckets=_DURATION_BUCKETS_S)
QUEUE_LAG = Histogram("taskloom_task_queue_lag_seconds", "Time a task waited QUEUED before a worker claimed it.",
                      ["task_type"], buckets=_LAG_BUCKETS_S)
WEBHOOK_DELIVERIES = Counter("taskloom_webhook_deliveries_total",
                             "Webhook delivery attempts by outcome (delivered, retrying, failed).", ["outcome"])
WRITES_RETRIED = Counter("taskloom_write_retries_total",
                         "Writes tried again after a transient database failure, by kind of write.", ["write"])


@dataclass(frozen=True)
class _TypeSeries:
    """One task type's labelled children, resolved once: `labels()` costs more than the increment."""

    started: Any
    retries: Any
    duration: Any
    lag: Any
    finished: dict[str, Any]


@functools.cache
def _series(task_type: str) -> _TypeSeries:
    return _TypeSeries(
        started=TASKS_STARTED.labels(task_type), retries=TASK_RETRIES.labels(task_type),
        duration=TASK_DURATION.labels(task_type), lag=QUEUE_LAG.labels(task_type),
        finished={status.value: TASKS_FINISHED.labels(task_type, status.value) for status in RUN_ENDING_STATES},
    )


@functools.cache
def _published(to_status: str) -> Any:
    return EVENTS_PUBLISHED.labels(to_status)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def observe_committed(events: Iterable[TaskEvent], tasks: Iterable[Task]) -> None:
    """Count committed status changes: events, starts, ends, retries, attempt durations and queue lag.

    A batch's counts are added once per series (in a worker each increment writes a shared memory-mapped file).
    """
    by_id = {t.id: t for t in tasks}
    counts: collections.Counter[Any] = collections.Counter()
    for event in events:
        to = TaskStatus(event.to_status)
        counts[_published(to.value)] += 1
        series = _series(getattr(event.task_type, "value", event.task_type))
        task = by_id.get(event.task_id)
        if to == TaskStatus.IN_PROGRESS:
            counts[series.started] += 1
            lag = _seconds(task.queued_at, task.started_at) if task is not None else None
            if lag is not None:
                series.lag.observe(lag)
        elif event.from_status == TaskStatus.IN_PROGRESS and task is not None:
            duration = _seconds(task.started_at, event.at)
            if duration is not None:
                series.duration.observe(duration)
        if to in RUN_ENDING_STATES:
            counts[series.finished[to.value]] += 1
        elif to == TaskStatus.RETRYING:
            counts[series.retries] += 1
    for series_child, n in counts.items():
        series_child.inc(n)


def observe_delivery(outcome: str) -> None:
    """Count one webhook delivery attempt: "delivered", "retrying" or "failed"."""
    WEBHOOK_DELIVERIES.labels(outcome).inc()


def observe_retry(write: str) -> None:
    """Count one write about to be tried again ("writing an attempt's end", ...: `domain.transient`)."""
    WRITES_RETRIED.labels(write).inc()
