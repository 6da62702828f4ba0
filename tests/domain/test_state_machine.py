"""The transition table, allowed and refused, at the domain level (worker-driven moves included)."""

from __future__ import annotations

import itertools

import pytest

from domain.enums import TaskType
from domain.errors import InvalidTransition
from domain.models import Task, TaskEvent, Workspace
from domain.services.effects import Effects
from domain.services.transitions import transition
from domain.state_machine import RUN_ENDING_STATES, TRANSITIONS, TaskStatus

ALLOWED = [(a, b) for a, targets in TRANSITIONS.items() for b in sorted(targets)]
REFUSED = [(a, b) for a, b in itertools.product(TaskStatus, TaskStatus) if b not in TRANSITIONS[a]]


def transition_names(pairs: list[tuple[TaskStatus, TaskStatus]]) -> list[str]:
    return [f"{a.value} => {b.value}" for a, b in pairs]


async def task_in(status: TaskStatus) -> Task:
    workspace, _ = await Workspace.get_or_create(name="acme")
    return await Task.create(workspace=workspace, title="t", task_type=TaskType.API_CALL, status=status)


def test_run_ending_states_are_the_terminal_ones() -> None:
    assert {TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED} == RUN_ENDING_STATES
    assert TRANSITIONS[TaskStatus.COMPLETED] == frozenset()


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED, ids=transition_names(ALLOWED))
async def test_allowed_transition_moves_the_task_and_writes_one_event(
    db: str, from_status: TaskStatus, to_status: TaskStatus
) -> None:
    task = await task_in(from_status)
    effects = Effects()
    event = await transition(task, to_status, actor="worker", effects=effects, reason="because")
    stored = await Task.get(id=task.id)
    assert stored.status == to_status and stored.status_reason == "because"
    events = await TaskEvent.filter(task_id=task.id)
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [(from_status, to_status, "worker")]
    assert events[0].id == event.id
    queued = [r.task_id for r in effects.dispatcher.sent]  # type: ignore[attr-defined]
    assert queued == ([str(task.id)] if to_status == TaskStatus.QUEUED else [])


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED, ids=transition_names(REFUSED))
async def test_refused_transition_changes_nothing(db: str, from_status: TaskStatus, to_status: TaskStatus) -> None:
    task = await task_in(from_status)
    with pytest.raises(InvalidTransition):
        await transition(task, to_status, actor="worker", effects=Effects())
    assert (await Task.get(id=task.id)).status == from_status
    assert await TaskEvent.filter(task_id=task.id).count() == 0


async def test_a_stale_read_loses_the_compare_and_set(db: str) -> None:
    # Given two readers of the same QUEUED task (two workers got the same message)
    task = await task_in(TaskStatus.QUEUED)
    twin = await Task.get(id=task.id)
    # When both claim it
    await transition(task, TaskStatus.IN_PROGRESS, actor="worker", effects=Effects())
    # Then the second claim is refused and writes nothing
    with pytest.raises(InvalidTransition):
        await transition(twin, TaskStatus.IN_PROGRESS, actor="worker", effects=Effects())
    assert await TaskEvent.filter(task_id=task.id).count() == 1


async def test_a_run_through_the_machine_writes_strictly_increasing_event_ids(db: str) -> None:
    task = await task_in(TaskStatus.PENDING)
    effects = Effects()
    path = [TaskStatus.QUEUED, TaskStatus.IN_PROGRESS, TaskStatus.RETRYING, TaskStatus.QUEUED,
            TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED]
    for status in path:
        await transition(task, status, actor="worker", effects=effects)
    events = await TaskEvent.filter(task_id=task.id).order_by("id")
    ids = [e.id for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == len(path)
    assert [e.to_status for e in events] == path
    assert [e.from_status for e in events] == [TaskStatus.PENDING, *path[:-1]]
