"""Priority queues under a backlog, and cron schedules fired with a controlled clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
from engine_support import Target, serve, settled, target  # noqa: F401 (target: a fixture)

from domain.enums import ExecutionType, TaskPriority, TaskType
from domain.models import Task, TaskEvent, TaskExecution, Workspace
from domain.services.due import fire_cron_schedules
from domain.services.effects import Effects
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks
from domain.settings import load_settings
from domain.state_machine import TaskStatus
from workers.broker import setup_broker
from workers.http import build_http_client
from workers.middleware.resources import WorkerRuntime


async def test_urgent_tasks_start_before_a_backlog_of_low_ones(db: str, target: Target) -> None:
    # Given a backlog of LOW tasks queued before three URGENT ones, and a worker with a single thread
    settings = load_settings(database_url=db, egress_allowlist="127.0.0.1", _env_file=None)
    workspace = await Workspace.create(name="acme")
    drafts = [TaskDraft(title=f"{p.name}-{i}", task_type=TaskType.API_CALL, priority=p,
                        execution_type=ExecutionType.AUTOMATIC, assigned_to_bot=True,
                        execution_config={"apiEndpoint": target.script(f"prio-{p.name}-{i}", 200)})
              for p, n in ((TaskPriority.LOW, 8), (TaskPriority.URGENT, 3)) for i in range(n)]
    tasks = await create_tasks(str(workspace.id), drafts, actor="test", effects=Effects(),
                               capabilities=Capabilities())
    runtime = WorkerRuntime(settings, build_http_client(settings), Effects(), "test-worker")
    broker = setup_broker(settings, host_loop=asyncio.get_running_loop(), runtime=runtime)
    from workers import actors

    for task in tasks:  # in creation order: all LOW first
        actors.task_actor(task.priority).send(str(task.id))
    # When the worker drains the queues
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        for task in tasks:
            await settled(str(task.id))
    finally:
        await asyncio.to_thread(worker.stop)
        await runtime.close_http()
        broker.close()
    # Then the URGENT ones started among the first tasks, ahead of most of the backlog
    runs = await TaskExecution.all().order_by("started_at").prefetch_related("task")
    order = [run.task.priority for run in runs]
    assert len(order) == 11
    urgent_positions = [i for i, p in enumerate(order) if p == TaskPriority.URGENT]
    assert max(urgent_positions) <= 4, [p.name for p in order]


async def make_schedule(cron: str, due: datetime) -> Task:
    workspace = await Workspace.create(name="acme")
    drafts = [TaskDraft(title="every minute", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                        assigned_to_bot=True, cron=cron,
                        execution_config={"apiEndpoint": "http://127.0.0.1:9/never-called"})]
    (schedule,) = await create_tasks(str(workspace.id), drafts, actor="test", effects=Effects(),
                                     capabilities=Capabilities())
    await Task.filter(id=schedule.id).update(scheduled_for=due)
    return await Task.get(id=schedule.id)


async def runs_of(schedule: Task) -> list[Task]:
    return await Task.filter(spawned_from_id=schedule.id).order_by("created_at")


async def test_cron_spawns_one_run_per_due_time_without_drift(db: str) -> None:
    due = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    schedule = await make_schedule("* * * * *", due)
    effects = Effects()
    # The due time comes: one run, and the schedule moves to the next minute.
    assert await fire_cron_schedules(due + timedelta(seconds=1), effects=effects) == 1
    assert await fire_cron_schedules(due + timedelta(seconds=2), effects=effects) == 0
    assert (await Task.get(id=schedule.id)).scheduled_for == due + timedelta(minutes=1)
    # A tick 1.5 s late still lands the next due time on the minute (no drift).
    assert await fire_cron_schedules(due + timedelta(minutes=1, seconds=1.5), effects=effects) == 1
    assert (await Task.get(id=schedule.id)).scheduled_for == due + timedelta(minutes=2)
    runs = await runs_of(schedule)
    assert len(runs) == 2 and all(r.status == TaskStatus.QUEUED and r.cron is None for r in runs)
    assert (await Task.get(id=schedule.id)).status == TaskStatus.SCHEDULED
    assert [r.task_id for r in effects.dispatcher.sent] == [str(r.id) for r in runs]  # type: ignore[attr-defined]


async def test_cron_after_downtime_catches_up_with_one_run(db: str) -> None:
    due = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    schedule = await make_schedule("*/5 * * * *", due)
    assert await fire_cron_schedules(due + timedelta(hours=2, minutes=1), effects=Effects()) == 1
    assert (await Task.get(id=schedule.id)).scheduled_for == due + timedelta(hours=2, minutes=5)


async def test_cron_reads_its_timezone_across_daylight_saving(db: str) -> None:
    # 09:00 in New York is 14:00 UTC in winter and 13:00 UTC after the March change.
    due = datetime(2030, 3, 9, 14, 0, tzinfo=UTC)
    schedule = await make_schedule("0 9 * * *", due)
    await Task.filter(id=schedule.id).update(cron_timezone="America/New_York")
    assert await fire_cron_schedules(due, effects=Effects()) == 1
    assert (await Task.get(id=schedule.id)).scheduled_for == datetime(2030, 3, 10, 13, 0, tzinfo=UTC)


async def test_two_schedulers_fire_a_due_time_once(db: str) -> None:
    due = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    schedule = await make_schedule("* * * * *", due)
    fired = await asyncio.gather(*(fire_cron_schedules(due, effects=Effects()) for _ in range(4)),
                                 return_exceptions=True)
    assert sum(f for f in fired if isinstance(f, int)) == 1, fired
    assert len(await runs_of(schedule)) == 1
    assert await TaskEvent.filter(task_id__in=[r.id for r in await runs_of(schedule)]).count() == 1


@pytest.mark.parametrize("schedulers", [1, 3])
async def test_due_tasks_are_promoted_once_by_any_number_of_schedulers(db: str, schedulers: int) -> None:
    from domain.services.due import promote_due

    workspace = await Workspace.create(name="acme")
    drafts = [TaskDraft(title=f"t{i}", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                        assigned_to_bot=True, scheduled_for=datetime.now(UTC) + timedelta(hours=1),
                        execution_config={"apiEndpoint": "http://127.0.0.1:9/x"}) for i in range(20)]
    tasks = await create_tasks(str(workspace.id), drafts, actor="test", effects=Effects(),
                               capabilities=Capabilities())
    later = datetime.now(UTC) + timedelta(hours=2)
    results = await asyncio.gather(*(promote_due(later, effects=Effects()) for _ in range(schedulers)),
                                   return_exceptions=True)
    assert sum(r for r in results if isinstance(r, int)) == 20, results
    for task in tasks:
        events = await TaskEvent.filter(task_id=task.id).order_by("id")
        assert [e.to_status for e in events] == [TaskStatus.SCHEDULED, TaskStatus.QUEUED]
