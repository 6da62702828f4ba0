"""Bad input answers VALIDATION userErrors with exact field paths and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import Caller
from samples import CREATE_TASK, CREATE_TASKS, task_input

from domain.models import Task, TaskEvent, TaskLabel

BOT = {"executionType": "AUTOMATIC", "assignedToBot": True}
CFG = ["input", "executionConfig"]

BAD = [
    pytest.param(task_input("API_CALL", {}), [*CFG, "apiEndpoint"], id="API_CALL without apiEndpoint"),
    pytest.param(task_input("API_CALL", {"apiEndpoint": "ftp://x.example"}), [*CFG, "apiEndpoint"],
                 id="API_CALL with a non-http URL"),
    pytest.param(task_input("API_CALL", {"apiEndpoint": "not a url"}), [*CFG, "apiEndpoint"], id="malformed URL"),
    pytest.param(task_input("API_CALL", {"apiEndpoint": "https://a.example", "apiMethod": "FETCH"}),
                 [*CFG, "apiMethod"], id="bad enum in config"),
    pytest.param(task_input("API_CALL", {"apiEndpoint": "https://a.example", "colour": "red"}),
                 [*CFG, "colour"], id="unknown key"),
    pytest.param(task_input("BROWSER_AUTOMATION", {"steps": [{"action": "click"}]}),
                 [*CFG, "steps", "0", "selector"], id="BROWSER_AUTOMATION click without selector"),
    pytest.param(task_input("GHL_ACTION", {"ghlAction": "send_sms", "contactId": "c"}), [*CFG, "message"],
                 id="GHL_ACTION send_sms without message"),
    pytest.param(task_input("NOTIFICATION", {"message": "hi"}), [*CFG, "webhookId"],
                 id="NOTIFICATION with nowhere to send"),
    pytest.param(task_input("REMINDER", {"message": "m", "remindAt": "2030-01-01T09:00:00",
                                         "webhookId": "00000000-0000-0000-0000-000000000000"}),
                 [*CFG, "remindAt"], id="REMINDER with a naive remindAt"),
    pytest.param(task_input("DATA_EXTRACTION", {"url": "https://example.com"}), [*CFG, "fields"],
                 id="DATA_EXTRACTION with neither fields nor instruction"),
    pytest.param(task_input("REPORT_GENERATION", {"reportType": "weekly"}), [*CFG, "reportType"],
                 id="REPORT_GENERATION bad reportType"),
    pytest.param(task_input(cron="every day", **BOT), ["input", "cron"], id="bad cron"),
    pytest.param(task_input(cron="0 9 * * *"), ["input", "cron"], id="cron on a manual task"),
    pytest.param(task_input(cronTimezone="Mars/Olympus"), ["input", "cronTimezone"], id="bad timezone"),
    pytest.param(task_input(notifyOnComplete=True), ["input", "notifyOnComplete"], id="notify without webhook"),
    pytest.param(task_input(sourceWebhookId="00000000-0000-0000-0000-000000000000"), ["input", "sourceWebhookId"],
                 id="unknown webhook id"),
    pytest.param(task_input(maxRetries=-1), ["input", "maxRetries"], id="negative maxRetries"),
    pytest.param(task_input(title=" "), ["input", "title"], id="blank title"),
]


@pytest.mark.parametrize(("given", "field"), BAD)
async def test_bad_task_input_is_a_validation_error_and_writes_nothing(
    admin: Caller, given: dict[str, Any], field: list[str]
) -> None:
    payload = (await admin(CREATE_TASK, {"input": given}))["createTask"]
    assert payload["task"] is None
    assert {"field": field, "code": "VALIDATION"} in [
        {"field": e["field"], "code": e["code"]} for e in payload["userErrors"]
    ], payload["userErrors"]
    assert all(e["message"] for e in payload["userErrors"])
    assert await Task.all().count() == 0 and await TaskEvent.all().count() == 0


async def test_a_naive_scheduled_for_is_refused_by_the_datetime_scalar(admin: Caller) -> None:
    response = await admin.raw(CREATE_TASK, {"input": task_input(scheduledFor="2030-01-01T09:00:00")})
    body = response.json()
    assert body.get("data") is None and "offset" in body["errors"][0]["message"]
    assert await Task.all().count() == 0


async def test_a_bad_enum_in_graphql_input_is_refused(admin: Caller) -> None:
    body = (await admin.raw(CREATE_TASK, {"input": task_input(priority="SOMEDAY")})).json()
    assert body["errors"] and await Task.all().count() == 0


async def test_bulk_create_is_all_or_nothing_with_item_paths(admin: Caller) -> None:
    inputs = [task_input(), task_input(), task_input("API_CALL", {"apiEndpoint": "nope"})]
    payload = (await admin(CREATE_TASKS, {"inputs": inputs}))["createTasks"]
    assert payload["tasks"] == []
    assert [e["field"] for e in payload["userErrors"]] == [["inputs", "2", "executionConfig", "apiEndpoint"]]
    assert await Task.all().count() == 0


async def test_bulk_create_takes_one_to_a_thousand(admin: Caller) -> None:
    payload = (await admin(CREATE_TASKS, {"inputs": []}))["createTasks"]
    assert payload["userErrors"][0]["field"] == ["inputs"]
    payload = (await admin(CREATE_TASKS, {"inputs": [task_input(title=f"t{i}") for i in range(1001)]}))
    assert payload["createTasks"]["userErrors"][0]["field"] == ["inputs"]
    # A thousand, each with two labels: 40,000 values, over the 32,766 a default SQLite build takes per statement
    inputs = [task_input(title=f"t{i}", labels=["bulk", f"n{i}"]) for i in range(1000)]
    made = (await admin(CREATE_TASKS, {"inputs": inputs}))["createTasks"]
    assert len(made["tasks"]) == 1000 and await Task.all().count() == 1000
    assert [t["title"] for t in made["tasks"]] == [f"t{i}" for i in range(1000)]
    assert await TaskLabel.filter(label="bulk").count() == 1000 and await TaskLabel.all().count() == 2000


async def test_the_same_idempotency_key_twice_in_one_call_is_refused(admin: Caller) -> None:
    inputs = [task_input(idempotencyKey="k"), task_input(idempotencyKey="k")]
    payload = (await admin(CREATE_TASKS, {"inputs": inputs}))["createTasks"]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["inputs", "1", "idempotencyKey"], "VALIDATION")
    ]


async def test_an_idempotency_key_returns_the_first_task_and_creates_nothing(admin: Caller) -> None:
    first = (await admin(CREATE_TASK, {"input": task_input(idempotencyKey="order-7")}))["createTask"]["task"]
    again = (await admin(CREATE_TASK, {"input": task_input(title="other", idempotencyKey="order-7")}))
    assert again["createTask"]["task"]["id"] == first["id"]
    bulk = (await admin(CREATE_TASKS, {"inputs": [task_input(idempotencyKey="order-7"), task_input()]}))
    assert bulk["createTasks"]["tasks"][0]["id"] == first["id"]
    assert await Task.all().count() == 2 and await TaskEvent.all().count() == 2


async def test_the_same_idempotency_key_in_two_workspaces_makes_two_tasks(admin: Caller, other_admin: Caller) -> None:
    a = (await admin(CREATE_TASK, {"input": task_input(idempotencyKey="k")}))["createTask"]["task"]
    b = (await other_admin(CREATE_TASK, {"input": task_input(idempotencyKey="k")}))["createTask"]["task"]
    assert a["id"] != b["id"]
