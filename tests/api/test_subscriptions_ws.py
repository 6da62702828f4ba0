"""Subscriptions over a real WebSocket against uvicorn: order, replay without gap or duplicate, isolation,
auth, filters, taskUpdated, executionLog, and a third-party client (gql)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import websockets
from conftest import Caller, RunningApp
from samples import CREATE_TASK, CREATE_TASKS, action, task_input
from ws_client import WsClient

from domain.models import Task, TaskEvent
from domain.services.effects import Effects
from domain.services.execution_logs import LineDraft, append_lines
from domain.services.runs import claim_task, finish_success
from domain.services.transitions import transition
from domain.state_machine import TaskStatus

BOT = {"executionType": "AUTOMATIC", "assignedToBot": True}
EVENTS = """subscription($filter: TaskEventFilter, $after: ID) {
  taskEvents(filter: $filter, after: $after) { id taskId fromStatus toStatus actor task { id title } } }"""


def effects_of(app_server: RunningApp) -> Effects:
    return app_server.app.state.services.effects


async def connected(app_server: RunningApp, caller: Caller) -> WsClient:
    return await WsClient.acked_connect(app_server.url, caller.key)


async def latest(caller: Caller) -> str | None:
    return (await caller("{ latestEventId }"))["latestEventId"]


async def collect(client: WsClient, op_id: str, count: int) -> list[dict[str, Any]]:
    return [(await client.next_data(op_id))["taskEvents"] for _ in range(count)]  # type: ignore[index]


async def test_a_bot_task_is_seen_queued_in_progress_completed_in_order(app_server: RunningApp, admin: Caller) -> None:
    client = await connected(app_server, admin)
    try:
        await client.subscribe("1", EVENTS, {"after": await latest(admin) or "0"})
        task_id = (await admin(CREATE_TASK, {"input": task_input(**BOT)}))["createTask"]["task"]["id"]
        # The worker's side of the journey, at the domain level through the app's own effects.
        claim = await claim_task(task_id, worker_id="w1", effects=effects_of(app_server))
        assert claim is not None
        await finish_success(claim, {"ok": True}, "done", effects=effects_of(app_server))
        events = await collect(client, "1", 3)
    finally:
        await client.close()
    assert [(e["fromStatus"], e["toStatus"]) for e in events] == [
        (None, "QUEUED"), ("QUEUED", "IN_PROGRESS"), ("IN_PROGRESS", "COMPLETED")]
    assert [e["actor"] for e in events] == ["key:acme-admin", "worker", "worker"]
    assert all(e["taskId"] == task_id == e["task"]["id"] for e in events)
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids)


async def test_the_gql_client_receives_events(app_server: RunningApp, admin: Caller) -> None:
    from gql import Client, gql
    from gql.transport.websockets import WebsocketsTransport

    transport = WebsocketsTransport(
        url=app_server.url.replace("http://", "ws://") + "/graphql",
        init_payload={"authorization": f"Bearer {admin.key}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    after = await latest(admin) or "0"
    received: list[dict[str, Any]] = []
    async with Client(transport=transport) as session:
        async def consume() -> None:
            async for result in session.subscribe(gql(EVENTS), variable_values={"after": after}):
                received.append(result["taskEvents"])
                if len(received) == 2:
                    return

        consumer = asyncio.ensure_future(consume())
        task_id = (await admin(CREATE_TASK, {"input": task_input()}))["createTask"]["task"]["id"]
        await admin(action("executeTask"), {"id": task_id})
        await asyncio.wait_for(consumer, 10)
    assert [e["toStatus"] for e in received] == ["PENDING", "QUEUED"]


async def test_reconnecting_with_after_replays_exactly_the_missed_events_then_goes_live(
    app_server: RunningApp, admin: Caller
) -> None:
    # Given a subscriber that saw two events and disconnected
    client = await connected(app_server, admin)
    await client.subscribe("1", EVENTS, {"after": await latest(admin) or "0"})
    await admin(CREATE_TASKS, {"inputs": [task_input(title="a"), task_input(title="b")]})
    seen = await collect(client, "1", 2)
    await client.close()
    # When more happen while it is away
    missed = (await admin(CREATE_TASKS, {"inputs": [task_input(title=t) for t in "cdef"]}))["createTasks"]["tasks"]
    # Then reconnecting after the last id seen replays exactly those, in order, then live ones follow
    client = await connected(app_server, admin)
    try:
        await client.subscribe("2", EVENTS, {"after": seen[-1]["id"]})
        replayed = await collect(client, "2", 4)
        await admin(CREATE_TASK, {"input": task_input(title="g")})
        live = await collect(client, "2", 1)
    finally:
        await client.close()
    assert [e["taskId"] for e in replayed] == [t["id"] for t in missed]
    assert live[0]["task"]["title"] == "g"
    ids = [int(e["id"]) for e in seen + replayed + live]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize("round_", range(8))
async def test_no_event_is_lost_or_repeated_while_writes_race_the_switch_to_live(
    app_server: RunningApp, admin: Caller, round_: int
) -> None:
    start = await latest(admin) or "0"
    writers = [asyncio.ensure_future(admin(CREATE_TASKS, {"inputs": [task_input(title=f"{round_}-{w}-{i}")
                                                                      for i in range(5)]})) for w in range(4)]
    await asyncio.sleep(0.005 * round_)  # subscribe at a different moment of the race each round
    client = await connected(app_server, admin)
    try:
        await client.subscribe("1", EVENTS, {"after": start})
        await asyncio.gather(*writers)
        events = await collect(client, "1", 20)
    finally:
        await client.close()
    stored = [e.id for e in await TaskEvent.filter(id__gt=int(start)).order_by("id")]
    assert [int(e["id"]) for e in events] == stored


async def test_events_of_another_workspace_are_never_sent(app_server: RunningApp, admin: Caller,
                                                          other_admin: Caller) -> None:
    client = await connected(app_server, other_admin)
    try:
        await client.subscribe("1", EVENTS, {"after": "0"})
        await admin(CREATE_TASK, {"input": task_input(title="acme's")})
        mine = (await other_admin(CREATE_TASK, {"input": task_input(title="globex's")}))["createTask"]["task"]
        (event,) = await collect(client, "1", 1)
    finally:
        await client.close()
    assert event["taskId"] == mine["id"]


@pytest.mark.parametrize("key", [None, "tlk_wrong"])
async def test_a_missing_or_bad_key_closes_the_socket_with_4403(app_server: RunningApp, key: str | None) -> None:
    client = await WsClient.connect(app_server.url, key)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await client.receive()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def test_filters_by_status_type_and_task(app_server: RunningApp, admin: Caller) -> None:
    client = await connected(app_server, admin)
    try:
        await client.subscribe("1", EVENTS, {"after": await latest(admin) or "0",
                                             "filter": {"toStatus": ["QUEUED"], "taskTypes": ["REPORT_GENERATION"]}})
        await admin(CREATE_TASK, {"input": task_input(**BOT)})  # API_CALL: filtered out
        report = (await admin(CREATE_TASK, {"input": task_input("REPORT_GENERATION", {"reportType": "task_summary"},
                                                                title="r", requiresHumanReview=True)}))
        report_id = report["createTask"]["task"]["id"]  # AWAITING_REVIEW: filtered out
        await admin(action("approveTask"), {"id": report_id})  # -> PENDING (not a bot task): filtered out
        await admin(action("executeTask"), {"id": report_id})  # -> QUEUED: this one
        (event,) = await collect(client, "1", 1)
    finally:
        await client.close()
    assert (event["taskId"], event["toStatus"]) == (report_id, "QUEUED")


TASK_UPDATED = "subscription($id: ID!) { taskUpdated(id: $id) { id status } }"


async def test_task_updated_follows_one_task_to_its_end(app_server: RunningApp, admin: Caller) -> None:
    task_id = (await admin(CREATE_TASK, {"input": task_input()}))["createTask"]["task"]["id"]
    client = await connected(app_server, admin)
    try:
        await client.subscribe("1", TASK_UPDATED, {"id": task_id})
        first = await client.next_data("1")
        await admin(action("executeTask"), {"id": task_id})
        second = await client.next_data("1")
        await admin(action("cancelTask"), {"id": task_id})
        third = await client.next_data("1")
        end = await client.next_data("1")
    finally:
        await client.close()
    assert [d["taskUpdated"]["status"] for d in (first, second, third)] == ["PENDING", "QUEUED", "CANCELLED"]
    assert end is None


async def test_task_updated_on_a_finished_task_sends_it_once_and_completes(app_server: RunningApp,
                                                                          admin: Caller) -> None:
    task_id = (await admin(CREATE_TASK, {"input": task_input()}))["createTask"]["task"]["id"]
    await admin(action("cancelTask"), {"id": task_id})
    client = await connected(app_server, admin)
    try:
        await client.subscribe("1", TASK_UPDATED, {"id": task_id})
        assert (await client.next_data("1"))["taskUpdated"]["status"] == "CANCELLED"
        assert await client.next_data("1") is None
    finally:
        await client.close()


async def test_task_updated_of_another_workspace_is_not_found(app_server: RunningApp, admin: Caller,
                                                              other_admin: Caller) -> None:
    task_id = (await admin(CREATE_TASK, {"input": task_input()}))["createTask"]["task"]["id"]
    client = await connected(app_server, other_admin)
    try:
        await client.subscribe("1", TASK_UPDATED, {"id": task_id})
        message = await client.receive()
    finally:
        await client.close()
    assert message["type"] in ("error", "next")
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"


async def test_execution_log_sends_earlier_lines_then_live_ones_and_completes(app_server: RunningApp,
                                                                             admin: Caller) -> None:
    from datetime import UTC, datetime

    effects = effects_of(app_server)
    task_id = (await admin(CREATE_TASK, {"input": task_input(**BOT)}))["createTask"]["task"]["id"]
    claim = await claim_task(task_id, worker_id="w1", effects=effects)
    assert claim is not None
    execution_id, workspace = str(claim.execution.id), admin.workspace_id

    async def log(message: str, step: int | None = None) -> None:
        from domain.events import Notice

        last = await append_lines(execution_id, workspace, [LineDraft(datetime.now(UTC), "INFO", message, step)])
        await effects.bus.publish(Notice("log", last, workspace))

    await log("before the subscriber", 0)
    client = await connected(app_server, admin)
    try:
        await client.subscribe("1", "subscription($e: ID!) { executionLog(executionId: $e) { message step level } }",
                               {"e": execution_id})
        early = await client.next_data("1")
        await log("while it watches", 1)
        live = await client.next_data("1")
        await finish_success(claim, {}, "done", effects=effects)
        end = await client.next_data("1")
    finally:
        await client.close()
    assert early["executionLog"] == {"message": "before the subscriber", "step": 0, "level": "INFO"}
    assert live["executionLog"]["message"] == "while it watches"
    assert end is None


async def test_a_revoked_keys_subscription_ends_within_seconds(app_server: RunningApp, admin: Caller) -> None:
    made = (await admin('mutation { createApiKey(name: "watcher", scopes: ["tasks:read"]) { key id } }'))
    watcher = Caller(admin.http, made["createApiKey"]["key"], admin.workspace_id)
    client = await connected(app_server, watcher)
    try:
        await client.subscribe("1", EVENTS, {})
        await admin("mutation($id: ID!) { revokeApiKey(id: $id) { deletedId } }", {"id": made["createApiKey"]["id"]})
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await client.receive(timeout_s=6)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    finally:
        await client.close()


async def test_worker_driven_transitions_reach_subscribers(app_server: RunningApp, admin: Caller) -> None:
    task_id = (await admin(CREATE_TASK, {"input": task_input(**BOT)}))["createTask"]["task"]["id"]
    client = await connected(app_server, admin)
    try:
        await client.subscribe("1", EVENTS, {"filter": {"taskIds": [task_id]}})
        await asyncio.sleep(0.1)  # live only: let the subscription register first
        task = await Task.get(id=task_id)
        await transition(task, TaskStatus.IN_PROGRESS, actor="worker", effects=effects_of(app_server))
        (event,) = await collect(client, "1", 1)
    finally:
        await client.close()
    assert event["toStatus"] == "IN_PROGRESS"




async def test_a_websocket_from_an_origin_not_listed_is_refused(app_server: RunningApp) -> None:
    url = app_server.url.replace("http://", "ws://") + "/graphql"
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(url, subprotocols=["graphql-transport-ws"], origin="http://elsewhere.example")
    assert refused.value.response.status_code == 403
