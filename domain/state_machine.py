"""The task state machine of API.md: statuses, the allowed transitions and the run-ending states.

This table *is* the specification; `domain.services.transitions.transition` is the only code that
changes a task's status, and it refuses anything not listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

__all__ = ["ACTIVE_STATES", "INITIAL_STATES", "RUN_ENDING_STATES", "TRANSITIONS", "TaskStatus", "can_transition"]


class TaskStatus(StrEnum):
    PENDING = "PENDING"  # waits for someone to execute it (MANUAL, or not assigned to a bot)
    AWAITING_REVIEW = "AWAITING_REVIEW"  # waits for approveTask / rejectTask
    SCHEDULED = "SCHEDULED"  # waits for scheduledFor (or is a cron schedule)
    QUEUED = "QUEUED"  # sent to the workers, not claimed yet
    IN_PROGRESS = "IN_PROGRESS"  # claimed by a worker; an execution is RUNNING
    RETRYING = "RETRYING"  # an attempt failed; waits for nextAttemptAt
    COMPLETED = "COMPLETED"  # the run succeeded (terminal)
    FAILED = "FAILED"  # the run failed for good (can be executed again)
    CANCELLED = "CANCELLED"  # cancelled or rejected (can be executed again)


S = TaskStatus

#: Where a task may go from each status. Creation (no status yet) may land in any of INITIAL_STATES.
TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    S.PENDING: frozenset({S.QUEUED, S.SCHEDULED, S.CANCELLED}),
    S.AWAITING_REVIEW: frozenset({S.QUEUED, S.SCHEDULED, S.PENDING, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.QUEUED, S.CANCELLED}),
    S.QUEUED: frozenset({S.IN_PROGRESS, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.RETRYING, S.FAILED, S.CANCELLED}),
    S.RETRYING: frozenset({S.QUEUED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.FAILED: frozenset({S.QUEUED, S.SCHEDULED}),
    S.CANCELLED: frozenset({S.QUEUED, S.SCHEDULED}),
}

#: Statuses a task can be created in.
INITIAL_STATES: frozenset[TaskStatus] = frozenset({S.PENDING, S.AWAITING_REVIEW, S.SCHEDULED, S.QUEUED})

#: A run ends here; subscriptions that follow one task complete on these.
RUN_ENDING_STATES: frozenset[TaskStatus] = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED})

#: A worker owns the task (updates and deletes are refused).
ACTIVE_STATES: frozenset[TaskStatus] = frozenset({S.QUEUED, S.IN_PROGRESS})

del S


def can_transition(from_status: TaskStatus | None, to_status: TaskStatus) -> bool:
    """Whether the table allows `from_status -> to_status` (`None` is creation)."""
    if from_status is None:
        return to_status in INITIAL_STATES
    return to_status in TRANSITIONS[from_status]
