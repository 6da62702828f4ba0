"""Each subscription result reads the database anew: a socket's context lives long, its DataLoader caches must not
(found by the dashboard, whose rows follow `TaskEvent.task`)."""

from __future__ import annotations

from conftest import Caller, RunningApp
from samples import CREATE_TASK, task_input
from ws_client import WsClient

from domain.services.effects import Effects
from domain.services.runs import claim_task, finish_success

EVENTS = """subscription($after: ID) {
  taskEvents(after: $after) { toStatus task { status executions { totalCount } } } }"""
UPDATED = "subscription($id: ID!) { taskUpdated(id: $id) { status executions { totalCount } } }"


def effects_of(app_server: RunningApp) -> Effects:
    return app_server.app.state.services.effects


async def test_each_event_carries_the_task_as_it_is_when_delivered(app_server: RunningApp, admin: Caller) -> None:
    events = await WsClient.connect(app_server.url, admin.key)
    updates = await WsClient.connect(app_server.url, admin.key)
    try:
        await events.acked()
        await updates.acked()
        await events.subscribe("1", EVENTS, {"after": (await admin("{ latestEventId }"))["latestEventId"] or "0"})
        task_id = (await admin(CREATE_TASK, {"input": task_input(executionType="AUTOMATIC", assignedToBot=True)}
                               ))["createTask"]["task"]["id"]
        first = await events.next_data("1")
        await updates.subscribe("1", UPDATED, {"id": task_id})
        assert (await updates.next_data("1"))["taskUpdated"] == {"status": "QUEUED", "executions": {"totalCount": 0}}
        # When a worker claims the task, then finishes it, each seen after the one before was delivered
        claim = await claim_task(task_id, worker_id="w1", effects=effects_of(app_server))
        assert claim is not None
        second = await events.next_data("1")
        after_claim = await updates.next_data("1")
        await finish_success(claim, {"ok": True}, "done", effects=effects_of(app_server))
        third = await events.next_data("1")
        after_finish = await updates.next_data("1")
    finally:
        await events.close()
        await updates.close()
    # Then every result shows the task as it was then, not as the socket first saw it
    assert [(e["taskEvents"]["toStatus"], e["taskEvents"]["task"]["status"]) for e in (first, second, third)] == [
        ("QUEUED", "QUEUED"), ("IN_PROGRESS", "IN_PROGRESS"), ("COMPLETED", "COMPLETED")]
    assert third["taskEvents"]["task"]["executions"] == {"totalCount": 1}
    assert after_claim["taskUpdated"] == {"status": "IN_PROGRESS", "executions": {"totalCount": 1}}
    assert after_finish["taskUpdated"]["status"] == "COMPLETED"
