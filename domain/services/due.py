"""The scheduler's scans: what is due now, moved by the state machine.

Each scan selects a batch `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer and drops it) and
moves it in the same transaction, so two schedulers never take the same row; the compare-and-set inside
every transition makes a double move impossible anyway.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from domain.enums import Trigger
from domain.models import Task, TaskEvent
from domain.schedule import next_due
from domain.services.effects import Effects
from domain.services.tasks import insert_tasks, run_of
from domain.services.transitions import apply_transition
from domain.state_machine import TaskStatus

__all__ = ["fire_cron_schedules", "promote_due", "unclaimed_queued", "utcnow"]

logger = logging.getLogger(__name__)

SCHEDULER = "scheduler"


async def promote_due(now: datetime, *, effects: Effects, limit: int = 200) -> int:
    """Due SCHEDULED tasks (no cron) and due RETRYING tasks -> QUEUED. Returns how many moved."""
    moved = []
    events: list[TaskEvent] = []
    async with in_transaction() as conn:
        scheduled = await (Task.filter(status=TaskStatus.SCHEDULED, cron=None, scheduled_for__lte=now)
                           .order_by("scheduled_for").limit(limit).select_for_update(skip_locked=True).using_db(conn))
        retrying = await (Task.filter(status=TaskStatus.RETRYING, next_attempt_at__lte=now)
                          .order_by("next_attempt_at").limit(limit).select_for_update(skip_locked=True)
                          .using_db(conn))
        for task in scheduled:
            changes = {"trigger": Trigger.SCHEDULE} if task.trigger != Trigger.MANUAL else None
            events.append(await apply_transition(conn, task, TaskStatus.QUEUED, actor=SCHEDULER, reason="due",
                                                 changes=changes))
            moved.append(task)
        for task in retrying:
            events.append(await apply_transition(conn, task, TaskStatus.QUEUED, actor=SCHEDULER,
                                                 reason="retry due", changes={"next_attempt_at": None}))
            moved.append(task)
    await effects.after_commit(events, moved)
    return len(moved)


async def fire_cron_schedules(now: datetime, *, effects: Effects, limit: int = 100) -> int:
    """Each due cron schedule spawns ONE run and moves to its next due time after `now`.

    The next due time is computed from the due time that fired, then skipped forward past `now`: no drift,
    and after downtime one catch-up run rather than a burst. Advancing `scheduledFor` is a compare-and-set
    in the same transaction as the spawn, so a due time fires once however many schedulers run.
    """
    fired = 0
    async with in_transaction() as conn:
        due = await (Task.filter(status=TaskStatus.SCHEDULED, cron__not_isnull=True, scheduled_for__lte=now)
                     .order_by("scheduled_for").limit(limit).select_for_update(skip_locked=True).using_db(conn))
        runs: list[Task] = []
        for schedule in due:
            assert schedule.cron is not None and schedule.scheduled_for is not None
            following = next_due(schedule.cron, schedule.cron_timezone, schedule.scheduled_for)
            while following <= now:
                following = next_due(schedule.cron, schedule.cron_timezone, following)
            advanced = await Task.filter(id=schedule.id, scheduled_for=schedule.scheduled_for).using_db(conn).update(
                scheduled_for=following, updated_at=now)
            if advanced != 1:
                continue
            runs.append(run_of(schedule, now))
            fired += 1
        events = await insert_tasks(conn, runs, actor=SCHEDULER) if runs else []
    if runs:
        await effects.after_commit(events, runs)
    return fired


async def unclaimed_queued(now: datetime, *, older_than_s: float, effects: Effects, limit: int = 500) -> int:
    """Send QUEUED tasks again that nobody claimed within `older_than_s` (a lost message, a broker restart)."""
    cutoff = now - timedelta(seconds=older_than_s)
    stale = await Task.filter(
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=cutoff), status=TaskStatus.QUEUED, queued_at__lt=cutoff
    ).limit(limit)
    if not stale:
        return 0
    await Task.filter(id__in=[t.id for t in stale], status=TaskStatus.QUEUED).update(dispatched_at=now)
    await effects.after_commit([], stale)
    logger.warning("sent %d unclaimed QUEUED task(s) again", len(stale))
    return len(stale)


def utcnow() -> datetime:
    return datetime.now(UTC)


