"""domain/services/bulk.py: `build` makes the same instance as `Model.construct`, and `select_in` reads the rows
whose key is in a list and which meet its conditions, on the real database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from tortoise import Tortoise, connections
from tortoise.models import Model

from domain.enums import TaskType, Trigger
from domain.models import TaskEvent, TaskExecution, Workspace
from domain.services.bulk import build, insert_rows, select_in
from domain.services.effects import Effects
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks
from domain.state_machine import TaskStatus

EVENT = {"workspace_id": uuid.uuid4(), "task_id": uuid.uuid4(), "task_type": TaskType.API_CALL,
         "from_status": TaskStatus.QUEUED, "to_status": TaskStatus.IN_PROGRESS, "actor": "worker",
         "at": datetime.now(UTC)}


def _state(obj: Model, *, skip: tuple[str, ...] = ()) -> dict:
    return {k: v for k, v in obj.__dict__.items() if k not in skip}


@pytest.mark.parametrize("values", [{}, EVENT], ids=["defaults", "values"])
def test_build_is_construct_for_every_model(db: str, values: dict) -> None:
    for model in Tortoise.apps["models"].values():
        given = values if model is TaskEvent else {}
        built, constructed = build(model, **given), model.construct(**given)
        # a default made by a factory (a fresh UUID, a new dict) differs per instance: compare its type
        made = tuple(name for name, value in _state(constructed).items() if callable(
            getattr(model._meta.fields_map.get(name), "default", None)) and name not in given)
        assert _state(built, skip=made) == _state(constructed, skip=made), model.__name__
        assert {k: type(v) for k, v in _state(built).items()} == {k: type(v) for k, v in _state(constructed).items()}


async def test_select_in_reads_the_listed_rows_meeting_the_conditions(db: str) -> None:
    workspace = await Workspace.create(name="bulk")
    drafts = [TaskDraft(title=f"t{i}", task_type=TaskType.API_CALL,
                        execution_config={"apiEndpoint": "http://127.0.0.1:9/"}) for i in range(3)]
    tasks = await create_tasks(str(workspace.id), drafts, actor="test", effects=Effects(), capabilities=Capabilities())
    conn = connections.get("default")
    executions = [build(TaskExecution, id=uuid.uuid4(), task_id=task.id, workspace_id=workspace.id, attempt_number=1,
                        triggered_by=Trigger.CREATE, status=status, started_at=datetime.now(UTC))
                  for task, status in zip(tasks, ("RUNNING", "RUNNING", "SUCCESS"), strict=True)]
    await insert_rows(conn, executions)
    wanted = [executions[0].id, executions[2].id, uuid.uuid4()]
    rows = await select_in(conn, TaskExecution, "id", wanted, where={"status": "RUNNING"}, columns=["id"],
                           lock="update")
    assert [str(row["id"]) for row in rows] == [str(executions[0].id)]
    whole = await select_in(conn, TaskExecution, "task_id", [t.id for t in tasks])
    assert sorted(str(r["id"]) for r in whole) == sorted(str(e.id) for e in executions)
    assert {r["status"] for r in whole} == {"RUNNING", "SUCCESS"}
    assert await select_in(conn, TaskExecution, "id", []) == []
