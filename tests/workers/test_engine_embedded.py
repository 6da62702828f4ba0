"""The embedded engine end to end: `taskloom serve`'s app with in-process workers and scheduler, a real
HTTP target on 127.0.0.1, tasks created and cancelled through the GraphQL API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from conftest import Caller, free_port, make_caller
from engine_support import Target, serve, settled, target  # noqa: F401 (target: a fixture)
from samples import CREATE_TASK, action, task_input

from api.app import create_app
from domain.enums import ExecutionStatus, Trigger
from domain.models import OutboundMessage, TaskEvent, TaskExecution
from domain.settings import load_settings
from domain.state_machine import TaskStatus

BOT = {"executionType": "AUTOMATIC", "assignedToBot": True}


@pytest_asyncio.fixture(scope="module")
async def engine_url(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The app with its embedded engine (memory:// broker, worker threads, scheduler), fast retry timings."""
    settings = load_settings(
        database_url=database_url, broker_url="memory://", egress_allowlist="127.0.0.1",
        artifacts_dir=tmp_path_factory.mktemp("artifacts"), retry_base_s=0.05, retry_cap_s=0.2,
        heartbeat_s=0.3, lost_after_s=3, redispatch_after_s=3, webhook_schedule="0s,0s", _env_file=None,
    )
    port = free_port()
    async for _ in serve(create_app(settings, own_database=False), port):
        yield f"http://127.0.0.1:{port}"


@pytest_asyncio.fixture
async def api(engine_url: str, db: str) -> AsyncIterator[Caller]:
    async with httpx.AsyncClient(base_url=engine_url, timeout=30) as client:
        yield await make_caller(client, "acme", ["admin"], name="engine-admin")


async def create(api: Caller, url: str, **fields: object) -> str:
    config = fields.pop("config", None) or {"apiEndpoint": url}
    payload = (await api(CREATE_TASK, {"input": task_input("API_CALL", config, **BOT, **fields)}))["createTask"]
    assert payload["userErrors"] == [], payload
    return payload["task"]["id"]


async def executions(task_id: str) -> list[TaskExecution]:
    return await TaskExecution.filter(task_id=task_id).order_by("attempt_number")


async def test_an_automatic_api_call_completes_with_one_execution(api: Caller, target: Target) -> None:
    task_id = await create(api, target.script("ok", 200))
    task = await settled(task_id)
    assert task.status == TaskStatus.COMPLETED and task.result["status"] == 200
    assert task.result["body"] == {"status": 200} and task.result_summary
    runs = await executions(task_id)
    assert [(r.attempt_number, r.triggered_by, r.status) for r in runs] == [(1, Trigger.CREATE, ExecutionStatus.SUCCESS)]
    events = await TaskEvent.filter(task_id=task_id).order_by("id")
    assert [e.to_status for e in events] == [TaskStatus.QUEUED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED]
    assert events[1].execution_id == runs[0].id and events[2].actor == "worker"


async def test_503_503_200_makes_three_attempts_then_completes(api: Caller, target: Target) -> None:
    task_id = await create(api, target.script("flaky", 503, 503, 200))
    task = await settled(task_id)
    assert task.status == TaskStatus.COMPLETED and task.error_count == 2
    runs = await executions(task_id)
    assert [r.status for r in runs] == [ExecutionStatus.FAILED, ExecutionStatus.FAILED, ExecutionStatus.SUCCESS]
    assert [r.triggered_by for r in runs] == [Trigger.CREATE, Trigger.RETRY, Trigger.RETRY]
    assert "503" in (runs[0].error or "")
    assert len(target.hits("flaky")) == 3


async def test_404_fails_after_one_attempt(api: Caller, target: Target) -> None:
    task_id = await create(api, target.script("missing", 404))
    task = await settled(task_id)
    assert task.status == TaskStatus.FAILED and task.error_count == 1 and "404" in (task.last_error or "")
    assert [r.status for r in await executions(task_id)] == [ExecutionStatus.FAILED]


async def test_retries_stop_after_max_retries(api: Caller, target: Target) -> None:
    task_id = await create(api, target.script("down", 500), maxRetries=2)
    task = await settled(task_id)
    assert task.status == TaskStatus.FAILED and task.error_count == 3
    assert len(await executions(task_id)) == 3 == len(target.hits("down"))


async def test_the_task_timeout_is_enforced(api: Caller, target: Target) -> None:
    config = {"apiEndpoint": f"{target.url}/slow/timeout?s=10", "timeoutMs": 60000}
    task_id = await create(api, "", config=config, timeoutSeconds=1, maxRetries=0)
    task = await settled(task_id)
    assert task.status == TaskStatus.FAILED and "timed out" in (task.last_error or "")
    assert [r.status for r in await executions(task_id)] == [ExecutionStatus.TIMED_OUT]


async def test_a_duplicate_message_runs_the_task_once(api: Caller, target: Target) -> None:
    from workers import actors

    task_id = await create(api, target.script("dup", 200))
    for _ in range(3):
        actors.task_actor(1).send(task_id)
    await settled(task_id)
    await asyncio.sleep(0.5)  # give the duplicates time to be consumed
    assert len(await executions(task_id)) == 1 and len(target.hits("dup")) == 1


async def test_cancel_stops_a_running_task_within_two_seconds(api: Caller, target: Target) -> None:
    task_id = await create(api, "", config={"apiEndpoint": f"{target.url}/slow/cancel?s=30"})
    await settled(task_id, statuses=frozenset({TaskStatus.IN_PROGRESS}))
    started = time.monotonic()
    payload = (await api(action("cancelTask", ', reason: "changed my mind"'), {"id": task_id}))["cancelTask"]
    assert payload["task"]["status"] == "CANCELLED"
    while (await executions(task_id))[0].status == ExecutionStatus.RUNNING:
        assert time.monotonic() - started < 2, "the running attempt was not stopped within 2 s"
        await asyncio.sleep(0.05)
    assert [r.status for r in await executions(task_id)] == [ExecutionStatus.CANCELLED]
    assert (await settled(task_id)).status == TaskStatus.CANCELLED


async def test_a_task_scheduled_two_seconds_ahead_runs_on_time(api: Caller, target: Target) -> None:
    due = datetime.now(UTC) + timedelta(seconds=2)
    task_id = await create(api, target.script("later", 200), scheduledFor=due.isoformat())
    task = await settled(task_id)
    assert task.status == TaskStatus.COMPLETED
    (run,) = await executions(task_id)
    assert run.triggered_by == Trigger.SCHEDULE
    assert abs((run.started_at - due).total_seconds()) <= 1.0


async def test_completion_notice_reaches_the_source_webhook(api: Caller, target: Target) -> None:
    hook = (await api('mutation($url: String!) { createWebhook(input: {name: "n", url: $url}) { webhook { id } } }',
                      {"url": target.script("hook", 200)}))["createWebhook"]["webhook"]["id"]
    task_id = await create(api, target.script("noticed", 200), sourceWebhookId=hook, notifyOnComplete=True)
    await settled(task_id)
    deadline = time.monotonic() + 10
    while not target.hits("hook"):
        assert time.monotonic() < deadline, "no completion notice arrived"
        await asyncio.sleep(0.1)
    message = await OutboundMessage.get(task_id=task_id)
    assert message.type == "task.completed"
    delivered = target.hits("hook")[0]
    assert delivered["headers"]["webhook-id"] == str(message.id)
    assert b'"task.completed"' in delivered["body"]


async def webhook(api: Caller, url: str) -> tuple[str, str]:
    made = (await api('mutation($url: String!) { createWebhook(input: {name: "n", url: $url}) { webhook { id } secret } }',
                      {"url": url}))["createWebhook"]
    return made["webhook"]["id"], made["secret"]


async def arrived(target: Target, key: str, count: int = 1, timeout_s: float = 10) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while len(target.hits(key)) < count:
        assert time.monotonic() < deadline, f"{count} request(s) to {key} did not arrive"
        await asyncio.sleep(0.02)
    return target.hits(key)


def verified(secret: str, request: dict) -> dict:
    from standardwebhooks import Webhook

    return Webhook(secret).verify(request["body"], request["headers"])


async def test_a_notification_is_delivered_signed(api: Caller, target: Target) -> None:
    hook, secret = await webhook(api, target.script("notify-hook", 200))
    config = {"message": "invoice paid", "recipient": "ops@example.com", "subject": "Paid", "webhookId": hook}
    payload = (await api(CREATE_TASK, {"input": task_input("NOTIFICATION", config, **BOT)}))["createTask"]
    task = await settled(payload["task"]["id"])
    assert task.status == TaskStatus.COMPLETED
    (request,) = await arrived(target, "notify-hook")
    body = verified(secret, request)
    assert body["type"] == "notification" and body["id"] == task.result["outboundMessageId"]
    assert body["data"] == {"taskId": str(task.id), "recipient": "ops@example.com", "subject": "Paid",
                            "message": "invoice paid"}


async def test_a_reminder_is_sent_on_time_and_a_cancelled_one_never(api: Caller, target: Target) -> None:
    hook, secret = await webhook(api, target.script("remind-hook", 200))
    due = datetime.now(UTC) + timedelta(seconds=2)
    config = {"message": "call the client", "remindAt": due.isoformat(), "webhookId": hook}
    kept = (await api(CREATE_TASK, {"input": task_input("REMINDER", config, **BOT)}))["createTask"]["task"]
    dropped = (await api(CREATE_TASK, {"input": task_input("REMINDER", {**config, "message": "never"},
                                                           **BOT)}))["createTask"]["task"]
    assert kept["status"] == dropped["status"] == "SCHEDULED"
    await api(action("cancelTask"), {"id": dropped["id"]})
    (request,) = await arrived(target, "remind-hook")
    late_s = request["at"] - due.timestamp()
    assert -0.05 <= late_s <= 1.0, f"the reminder arrived {late_s:.2f} s after its time"
    assert verified(secret, request)["data"]["message"] == "call the client"
    await asyncio.sleep(0.5)
    assert len(target.hits("remind-hook")) == 1
    assert await OutboundMessage.filter(task_id=dropped["id"]).count() == 0


async def test_a_report_task_computes_in_the_workspace_and_notifies(api: Caller, target: Target) -> None:
    hook, secret = await webhook(api, target.script("report-hook", 200))
    await api(CREATE_TASK, {"input": task_input("API_CALL", {"apiEndpoint": "https://example.com/x"})})
    config = {"reportType": "task_summary", "notify": {"webhookId": hook}}
    created = (await api(CREATE_TASK, {"input": task_input("REPORT_GENERATION", config, **BOT)}))["createTask"]
    task = await settled(created["task"]["id"])
    assert task.status == TaskStatus.COMPLETED
    assert task.result["report"]["total"] == 2 and task.result["report"]["byType"]["REPORT_GENERATION"] == 1
    assert task.result["summary"].strip()
    (request,) = await arrived(target, "report-hook")
    body = verified(secret, request)
    assert body["type"] == "report" and body["data"]["data"]["total"] == 2
