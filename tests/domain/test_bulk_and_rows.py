"""domain/services/bulk.py and rows.py on the real database: `build`, `load` and `assign` give what Tortoise's own
paths give, `select_in` reads the listed rows meeting its conditions, the converters' shortcuts agree with
`to_db_value`, and rows sharing values are still written each with its own."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import PG_SERVER_URL
from tortoise import Tortoise, connections
from tortoise.exceptions import ValidationError
from tortoise.fields import DatetimeField, JSONField, UUIDField
from tortoise.fields.data import CharEnumFieldInstance, IntEnumFieldInstance
from tortoise.models import Model
from tortoise.transactions import in_transaction

from domain.enums import TaskType, Trigger
from domain.models import ExecutionLogLine, Task, TaskEvent, TaskExecution, Workspace
from domain.services.bulk import _converter, insert_rows, select_in, update_rows
from domain.services.effects import Effects
from domain.services.rows import assign, build, load
from domain.services.runs import CLAIMED_COLUMNS
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


def _outcome(convert: Callable[[Any], Any], value: Any) -> tuple[str, Any]:
    try:
        return "value", convert(value)
    except Exception as exc:  # a refused None must be refused by the shortcut too
        return "error", type(exc)


def test_converter_shortcuts_give_what_to_db_value_gives(db: str) -> None:
    samples = {DatetimeField: [None, datetime.now(UTC)], IntEnumFieldInstance: [None],
               CharEnumFieldInstance: [None], JSONField: [{"a": [1, "é"]}, ["x"]], UUIDField: [None, uuid.uuid4()]}
    checked = 0
    for model in Tortoise.apps["models"].values():
        for name, field in model._meta.fields_map.items():
            if name not in model._meta.fields_db_projection:
                continue
            values = [*samples.get(type(field), []), *getattr(field, "enum_type", [])]
            for value in values:
                expected = _outcome(functools.partial(field.to_db_value, instance=model), value)
                assert _outcome(_converter(model, name), value) == expected, (model.__name__, name, value)
                checked += 1
    assert checked > 50


async def test_load_reads_the_columns_it_is_given_as_the_orm_does(db: str) -> None:
    workspace = await Workspace.create(name="load")
    draft = TaskDraft(title="t", task_type=TaskType.API_CALL, labels=["a"], scheduled_for=datetime.now(UTC),
                      execution_config={"apiEndpoint": "http://127.0.0.1:9/", "headers": {"X-A": "é"}})
    (task,) = await create_tasks(str(workspace.id), [draft], actor="test", effects=Effects(), capabilities=Capabilities())
    conn = connections.get("default")
    (whole,) = await select_in(conn, Task, "id", [task.id])
    (claimed,) = await select_in(conn, Task, "id", [task.id], columns=CLAIMED_COLUMNS)
    orm, loaded = Task._init_from_db(**whole), load(Task, claimed, CLAIMED_COLUMNS)
    for column in CLAIMED_COLUMNS:
        assert getattr(loaded, column) == getattr(orm, column), column
        assert type(getattr(loaded, column)) is type(getattr(orm, column)), column
    assert loaded._partial and loaded._saved_in_db
    with pytest.raises(AttributeError):
        _ = loaded.labels  # not read: no silent default


async def test_rows_sharing_values_are_written_each_with_its_own(db: str) -> None:
    """On PostgreSQL a value every row shares travels once: rows still get their own values, identical rows are
    all inserted, and JSON values that are equal but not the same object keep their own encoding."""
    workspace = await Workspace.create(name="shared")
    drafts = [TaskDraft(title="same", task_type=TaskType.API_CALL,
                        execution_config={"apiEndpoint": "http://127.0.0.1:9/", "body": body})
              for body in ({"n": 1}, {"n": 1.0}, {"n": 1})]
    tasks = await create_tasks(str(workspace.id), drafts, actor="test", effects=Effects(), capabilities=Capabilities())
    stored = {str(t.id): t for t in await Task.filter(workspace_id=workspace.id)}
    bodies = [stored[str(t.id)].execution_config["body"]["n"] for t in tasks]
    assert [type(b) for b in bodies] == [int, float, int]
    at = datetime.now(UTC)
    lines = [build(ExecutionLogLine, execution_id=None, workspace_id=workspace.id, at=at, level="INFO",
                   message="same", step=None) for _ in range(3)]
    execution = build(TaskExecution, id=uuid.uuid4(), task_id=tasks[0].id, workspace_id=workspace.id,
                      attempt_number=1, triggered_by=Trigger.CREATE, status="RUNNING", started_at=at)
    conn = connections.get("default")
    await insert_rows(conn, [execution])  # one row: every column but the first is shared
    for line in lines:
        line.execution_id = execution.id
    await insert_rows(conn, lines)  # identical rows: all three are written, each gets its id
    assert len({line.id for line in lines}) == 3
    assert await ExecutionLogLine.filter(execution_id=execution.id).count() == 3
    changed = await update_rows(conn, Task, [{"id": t.id, "title": "renamed", "max_retries": i}
                                             for i, t in enumerate(tasks)], where={"status": tasks[0].status})
    assert changed == {str(t.id) for t in tasks}
    after = {str(t.id): t for t in await Task.filter(workspace_id=workspace.id)}
    assert [(after[str(t.id)].title, after[str(t.id)].max_retries) for t in tasks] == [("renamed", i) for i in range(3)]


def test_assign_sets_fields_as_setattr_does(db: str) -> None:
    values = {"status": "SUCCESS", "duration_ms": 5, "output": {"a": 1}, "task_id": uuid.uuid4()}
    by_setattr, by_assign = build(TaskExecution), build(TaskExecution)
    for name, value in values.items():
        setattr(by_setattr, name, value)
    assign(by_assign, values)
    assert _state(by_assign, skip=("id",)) == _state(by_setattr, skip=("id",))
    event = build(TaskEvent)
    with pytest.raises(ValidationError):  # a relation still goes through Tortoise's own checks
        assign(event, {"task": "not a task"})


@pytest.mark.skipif(not PG_SERVER_URL, reason="asyncpg's pool hooks: PostgreSQL only")
async def test_pooled_connections_know_the_array_types_and_skip_the_reset(db: str) -> None:
    """A new pooled connection binds the array types of the multi-row statements without a catalogue lookup
    (`prepare_connection`), and goes back to the pool without asyncpg's reset statement (`keep_session`)."""
    await connections.get("default")._expire_connections()  # from here on, each connection is a new one
    names = [f"pool {uuid.uuid4()}" for _ in range(3)]
    sent: list[str] = []
    async with in_transaction() as tx:
        tx._connection.add_query_logger(lambda record: sent.append(record.query))
        now = datetime.now(UTC)
        await insert_rows(tx, [build(Workspace, name=name, created_at=now) for name in names])  # UUID[], VARCHAR[]
    await asyncio.sleep(0.1)  # the release (and a reset, if any) has run
    assert any("unnest(" in query for query in sent), sent
    assert not [query for query in sent if "typeinfo_tree" in query or "RESET ALL" in query], sent
    assert await Workspace.filter(name__in=names).count() == 3
