"""createTask's initial status, and every API-driven transition, allowed and refused, over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import Caller
from samples import CREATE_TASK, CREATE_WEBHOOK, TASK_BY_ID, action, task_input, valid_configs

from domain.models import Task, TaskEvent
from domain.state_machine import TaskStatus

FUTURE = (datetime.now(UTC) + timedelta(days=2)).isoformat()
BOT = {"executionType": "AUTOMATIC", "assignedToBot": True}


async def create(caller: Caller, **fields: Any) -> dict[str, Any]:
    data = await caller(CREATE_TASK, {"input": task_input(**fields)})
    payload = data["createTask"]
    assert payload["userErrors"] == [], payload
    return payload["task"]


async def webhook(caller: Caller) -> str:
    data = await caller(CREATE_WEBHOOK, {"input": {"name": "hook", "url": "http://127.0.0.1:9/hook"}})
    return data["createWebhook"]["webhook"]["id"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, "PENDING", id="manual => PENDING"),
        pytest.param({"executionType": "AUTOMATIC"}, "PENDING", id="automatic, no bot => PENDING"),
        pytest.param(BOT, "QUEUED", id="automatic bot => QUEUED"),
        pytest.param({**BOT, "scheduledFor": FUTURE}, "SCHEDULED", id="bot, future => SCHEDULED"),
        pytest.param({**BOT, "cron": "*/5 * * * *"}, "SCHEDULED", id="bot, cron => SCHEDULED"),
        pytest.param({"scheduledFor": FUTURE}, "PENDING", id="manual, future => PENDING (a due date)"),
        pytest.param({**BOT, "requiresHumanReview": True}, "AWAITING_REVIEW", id="review => AWAITING_REVIEW"),
    ],
)
async def test_create_starts_in_the_status_of_the_rules(admin: Caller, fields: dict, expected: str) -> None:
    task = await create(admin, **fields)
    assert task["status"] == expected
    events = await TaskEvent.filter(task_id=task["id"])
    assert [(e.from_status, e.to_status) for e in events] == [(None, TaskStatus(expected))]


async def test_every_task_type_is_created_with_its_defaults(admin: Caller) -> None:
    hook = await webhook(admin)
    for task_type, config in valid_configs(hook).items():
        task = await create(admin, task_type=task_type, config=config, **BOT)
        assert task["taskType"] == task_type
        assert task["status"] == ("SCHEDULED" if task_type == "REMINDER" else "QUEUED"), task_type
        assert task["maxRetries"] == 3 and task["timeoutSeconds"] == 300 and task["cronTimezone"] == "UTC"


async def test_reminder_waits_until_its_time(admin: Caller) -> None:
    hook = await webhook(admin)
    remind_at = (datetime.now(UTC) + timedelta(hours=3)).replace(microsecond=0)
    config = {"message": "m", "remindAt": remind_at.isoformat(), "webhookId": hook}
    task = await create(admin, task_type="REMINDER", config=config, **BOT)
    assert task["status"] == "SCHEDULED"
    assert datetime.fromisoformat(task["scheduledFor"]) == remind_at


async def task_in(admin: Caller, status: str) -> str:
    """A task of `admin`'s workspace brought to `status` through the API where it can be."""
    review = {**BOT, "requiresHumanReview": True}
    if status == "PENDING":
        return (await create(admin))["id"]
    if status == "AWAITING_REVIEW":
        return (await create(admin, **review))["id"]
    if status == "SCHEDULED":
        return (await create(admin, **BOT, scheduledFor=FUTURE))["id"]
    if status == "QUEUED":
        return (await create(admin, **BOT))["id"]
    if status == "CANCELLED":
        task_id = (await create(admin))["id"]
        await admin(action("cancelTask"), {"id": task_id})
        return task_id
    # Worker-held and ended states: put the row there directly (the engine drives these).
    task_id = (await create(admin))["id"]
    await Task.filter(id=task_id).update(status=TaskStatus(status))
    return task_id


CASES = [
    # (mutation, extra arguments, from status, expected status or None when INVALID_STATE)
    ("executeTask", "", "PENDING", "QUEUED"),
    ("executeTask", "", "SCHEDULED", "QUEUED"),
    ("executeTask", "", "FAILED", "QUEUED"),
    ("executeTask", "", "CANCELLED", "QUEUED"),
    ("executeTask", "", "AWAITING_REVIEW", None),
    ("executeTask", "", "QUEUED", None),
    ("executeTask", "", "IN_PROGRESS", None),
    ("executeTask", "", "RETRYING", None),
    ("executeTask", "", "COMPLETED", None),
    ("approveTask", ', notes: "ok"', "AWAITING_REVIEW", "QUEUED"),
    ("approveTask", "", "PENDING", None),
    ("approveTask", "", "QUEUED", None),
    ("rejectTask", ', reason: "no"', "AWAITING_REVIEW", "CANCELLED"),
    ("rejectTask", ', reason: "no"', "PENDING", None),
    ("cancelTask", "", "PENDING", "CANCELLED"),
    ("cancelTask", "", "AWAITING_REVIEW", "CANCELLED"),
    ("cancelTask", "", "SCHEDULED", "CANCELLED"),
    ("cancelTask", "", "QUEUED", "CANCELLED"),
    ("cancelTask", "", "IN_PROGRESS", "CANCELLED"),
    ("cancelTask", "", "RETRYING", "CANCELLED"),
    ("cancelTask", "", "COMPLETED", None),
    ("cancelTask", "", "FAILED", None),
    ("cancelTask", "", "CANCELLED", None),
]


@pytest.mark.parametrize(
    ("mutation", "extra", "from_status", "to_status"),
    [pytest.param(*c, id=f"{c[0]}: {c[2]} => {c[3] or 'INVALID_STATE'}") for c in CASES],
)
async def test_api_transition(admin: Caller, mutation: str, extra: str, from_status: str,
                              to_status: str | None) -> None:
    task_id = await task_in(admin, from_status)
    events_before = await TaskEvent.filter(task_id=task_id).count()
    payload = (await admin(action(mutation, extra), {"id": task_id}))[mutation]
    stored = await Task.get(id=task_id)
    events = await TaskEvent.filter(task_id=task_id).order_by("id")
    if to_status is None:
        assert [e["code"] for e in payload["userErrors"]] == ["INVALID_STATE"]
        assert payload["task"] is None
        assert stored.status == TaskStatus(from_status) and len(events) == events_before
    else:
        assert payload["userErrors"] == []
        assert payload["task"]["status"] == to_status == stored.status.value
        assert len(events) == events_before + 1
        assert (events[-1].from_status, events[-1].to_status) == (TaskStatus(from_status), TaskStatus(to_status))
        assert events[-1].actor == "key:acme-admin"


async def test_reject_records_the_reason_and_approve_the_notes(admin: Caller) -> None:
    rejected = await task_in(admin, "AWAITING_REVIEW")
    await admin(action("rejectTask", ', reason: "wrong client"'), {"id": rejected})
    approved = await task_in(admin, "AWAITING_REVIEW")
    await admin(action("approveTask", ', notes: "looks fine"'), {"id": approved})
    data = await admin(TASK_BY_ID, {"id": rejected})
    assert data["task"]["statusReason"] == "rejected: wrong client"
    assert (await admin(TASK_BY_ID, {"id": approved}))["task"]["reviewNotes"] == "looks fine"


async def test_approve_of_a_manual_task_leaves_it_pending(admin: Caller) -> None:
    task = await create(admin, requiresHumanReview=True)
    payload = (await admin(action("approveTask"), {"id": task["id"]}))["approveTask"]
    assert payload["task"]["status"] == "PENDING"


async def test_approve_of_a_future_bot_task_schedules_it(admin: Caller) -> None:
    task = await create(admin, **BOT, requiresHumanReview=True, scheduledFor=FUTURE)
    payload = (await admin(action("approveTask"), {"id": task["id"]}))["approveTask"]
    assert payload["task"]["status"] == "SCHEDULED"


async def test_execute_resets_the_error_count_of_a_failed_task(admin: Caller) -> None:
    task_id = await task_in(admin, "FAILED")
    await Task.filter(id=task_id).update(error_count=4)
    await admin(action("executeTask"), {"id": task_id})
    assert (await Task.get(id=task_id)).error_count == 0


async def test_execute_on_a_cron_schedule_spawns_one_run(admin: Caller) -> None:
    schedule = await create(admin, **BOT, cron="0 9 * * *", cronTimezone="Europe/Paris")
    payload = (await admin(action("executeTask"), {"id": schedule["id"]}))["executeTask"]
    run = await Task.get(id=payload["task"]["id"])
    assert run.id != schedule["id"] and str(run.spawned_from_id) == schedule["id"]
    assert run.status == TaskStatus.QUEUED and run.cron is None
    assert (await Task.get(id=schedule["id"])).status == TaskStatus.SCHEDULED


async def test_a_manual_reminder_executed_early_waits_scheduled(admin: Caller) -> None:
    hook = await webhook(admin)
    task = await create(admin, task_type="REMINDER",
                        config={"message": "m", "delayMinutes": 60, "webhookId": hook})
    assert task["status"] == "PENDING"
    payload = (await admin(action("executeTask"), {"id": task["id"]}))["executeTask"]
    assert payload["task"]["status"] == "SCHEDULED"


async def test_delete_removes_the_task_but_not_while_in_progress(admin: Caller) -> None:
    doc = "mutation($id: ID!) { deleteTask(id: $id) { deletedId userErrors { code } } }"
    running = await task_in(admin, "IN_PROGRESS")
    assert (await admin(doc, {"id": running}))["deleteTask"]["userErrors"] == [{"code": "INVALID_STATE"}]
    pending = await task_in(admin, "PENDING")
    assert (await admin(doc, {"id": pending}))["deleteTask"] == {"deletedId": pending, "userErrors": []}
    assert await Task.filter(id=pending).count() == 0


async def test_update_is_refused_while_a_worker_holds_the_task(admin: Caller) -> None:
    doc = """mutation($id: ID!, $input: UpdateTaskInput!) {
      updateTask(id: $id, input: $input) { task { title description labels } userErrors { field code } } }"""
    queued = await task_in(admin, "QUEUED")
    payload = (await admin(doc, {"id": queued, "input": {"title": "x"}}))["updateTask"]
    assert payload["userErrors"] == [{"field": None, "code": "INVALID_STATE"}]
    pending = (await create(admin, description="d"))["id"]
    payload = (await admin(doc, {"id": pending, "input": {"title": "new", "description": None,
                                                          "labels": ["a", "b"]}}))["updateTask"]
    assert payload == {"task": {"title": "new", "description": None, "labels": ["a", "b"]}, "userErrors": []}
    payload = (await admin(doc, {"id": pending, "input": {"title": None}}))["updateTask"]
    assert payload["userErrors"] == [{"field": ["input", "title"], "code": "VALIDATION"}]
