"""The embedded engine's series on the API's `/metrics`: tasks run by the in-process workers are counted by
type and outcome, with their attempt durations and queue lag."""

from __future__ import annotations

import asyncio
import time

from conftest import Caller
from engine_support import Target, settled, target  # noqa: F401 (target: a fixture)
from metrics_support import sample, scrape
from samples import CREATE_TASK, task_input
from test_engine_embedded import BOT, api, arrived, create, engine_url, webhook  # noqa: F401 (fixtures)

from domain.state_machine import TaskStatus


async def test_a_completed_and_a_failed_api_call_are_counted(engine_url: str, api: Caller, target: Target) -> None:
    before = await scrape(engine_url + "/metrics")
    ok = await create(api, target.script("metrics-ok", 200))
    bad = await create(api, target.script("metrics-bad", 404))
    assert (await settled(ok)).status == TaskStatus.COMPLETED
    assert (await settled(bad)).status == TaskStatus.FAILED
    after = await scrape(engine_url + "/metrics")

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("taskloom_tasks_finished_total", task_type="API_CALL", status="COMPLETED") == 1
    assert moved("taskloom_tasks_finished_total", task_type="API_CALL", status="FAILED") == 1
    assert moved("taskloom_tasks_started_total", task_type="API_CALL") == 2
    assert moved("taskloom_task_duration_seconds_count", task_type="API_CALL") == 2
    assert moved("taskloom_task_queue_lag_seconds_count", task_type="API_CALL") == 2
    assert moved("taskloom_events_published_total", to_status="QUEUED") == 2
    assert 0 < moved("taskloom_task_duration_seconds_sum", task_type="API_CALL") < 10


async def test_a_retried_attempt_counts_as_a_retry(engine_url: str, api: Caller, target: Target) -> None:
    before = await scrape(engine_url + "/metrics")
    task = await settled(await create(api, target.script("metrics-flaky", 503, 200)))
    assert task.status == TaskStatus.COMPLETED
    after = await scrape(engine_url + "/metrics")
    assert sample(after, "taskloom_task_retries_total", task_type="API_CALL") \
        - sample(before, "taskloom_task_retries_total", task_type="API_CALL") == 1
    assert sample(after, "taskloom_task_duration_seconds_count", task_type="API_CALL") \
        - sample(before, "taskloom_task_duration_seconds_count", task_type="API_CALL") == 2


async def test_webhook_deliveries_are_counted_by_outcome(engine_url: str, api: Caller, target: Target) -> None:
    before = await scrape(engine_url + "/metrics")
    hook, _secret = await webhook(api, target.script("metrics-hook", 200))
    config = {"message": "hello", "recipient": "ops@example.com", "webhookId": hook}
    created = (await api(CREATE_TASK, {"input": task_input("NOTIFICATION", config, **BOT)}))["createTask"]
    assert (await settled(created["task"]["id"])).status == TaskStatus.COMPLETED
    await arrived(target, "metrics-hook")
    deadline = time.monotonic() + 5
    while True:  # the attempt is counted once it is recorded, just after the receiver answered
        after = await scrape(engine_url + "/metrics")
        moved = sample(after, "taskloom_webhook_deliveries_total", outcome="delivered") \
            - sample(before, "taskloom_webhook_deliveries_total", outcome="delivered")
        if moved or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    assert moved == 1
    assert sample(after, "taskloom_tasks_finished_total", task_type="NOTIFICATION", status="COMPLETED") \
        - sample(before, "taskloom_tasks_finished_total", task_type="NOTIFICATION", status="COMPLETED") == 1
