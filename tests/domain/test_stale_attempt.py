"""An attempt whose run the scheduler recovered as lost must not end the task afterwards.

Found while writing the fault drills (bench/drills.py): the end of an attempt moved the task with a
compare-and-set on its status alone, so an attempt that was recovered (its heartbeat was late, not its worker
dead) and finished after the retry was claimed completed the task the successor was running — with its own
result, a FAILED ("worker lost") execution and no SUCCESS one, while the successor's attempt was recorded
CANCELLED. Now an attempt ends its task only while its own execution is still RUNNING (domain/services/runs.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.enums import ExecutionStatus, ExecutionType, TaskType
from domain.models import Task, TaskExecution, Workspace
from domain.services.due import promote_due
from domain.services.effects import Effects
from domain.services.runs import RetryPolicy, claim_task, finish_success, recover_lost
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks
from domain.state_machine import TaskStatus


async def test_an_attempt_recovered_as_lost_cannot_complete_the_retry_that_another_worker_runs(db: str) -> None:
    effects = Effects()
    workspace = await Workspace.create(name="stale")
    draft = TaskDraft(title="call", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                      assigned_to_bot=True, execution_config={"apiEndpoint": "http://127.0.0.1:9/"})
    (task,) = await create_tasks(str(workspace.id), [draft], actor="test", effects=effects,
                                 capabilities=Capabilities())
    # Given an attempt on worker A whose heartbeat went silent, recovered by the scheduler as lost
    stale = await claim_task(str(task.id), worker_id="host:1", effects=effects)
    assert stale is not None
    await Task.filter(id=task.id).update(heartbeat_at=datetime.now(UTC) - timedelta(minutes=1))
    assert await recover_lost(lost_after_s=5, policy=RetryPolicy(base_s=0.01, cap_s=0.01), effects=effects) == 1
    # And the retry, queued when due, claimed by worker B
    assert await promote_due(datetime.now(UTC) + timedelta(seconds=5), effects=effects) == 1
    successor = await claim_task(str(task.id), worker_id="host:2", effects=effects)
    assert successor is not None
    # When A's attempt finishes late, then B's
    late = await finish_success(stale, {"by": "A"}, "A", effects=effects)
    on_time = await finish_success(successor, {"by": "B"}, "B", effects=effects)
    # Then only B's attempt ended the task: its result, and one SUCCESS execution (B's)
    assert (late, on_time) == (False, True)
    done = await Task.get(id=task.id)
    assert (done.status, done.result) == (TaskStatus.COMPLETED, {"by": "B"})
    runs = await TaskExecution.filter(task_id=task.id).order_by("attempt_number")
    assert [(r.id, r.status) for r in runs] == [(stale.execution.id, ExecutionStatus.FAILED),
                                                (successor.execution.id, ExecutionStatus.SUCCESS)]
