"""Live events rendered once per audience (api/graphql/live_frames.py): who shares a render, what each frame
carries, and the fallback through Strawberry when a render has errors."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from conftest import Caller, RunningApp
from samples import CREATE_TASK, task_input
from ws_client import WsClient

from api.graphql import live_frames
from api.graphql.live_frames import RenderGroup, _document
from api.graphql.schema import build_schema
from api.graphql.types import TaskEvent
from domain.models import TaskEvent as TaskEventRow
from domain.state_machine import TaskStatus

SHAPED = """subscription($filter: TaskEventFilter, $after: ID, $withTask: Boolean!) {
  taskEvents(filter: $filter, after: $after) { id taskId toStatus task @include(if: $withTask) { id title } } }"""


def test_only_variables_read_below_the_root_field_shape_a_render() -> None:
    _, names = _document(SHAPED, None)
    assert names == {"withTask"}  # filter and after choose events; they never change how one renders
    _, names = _document("subscription($s: Boolean!) { ...F } "
                         "fragment F on Subscription { taskEvents(after: $a) { id @skip(if: $s) } }", None)
    assert names == {"s", "a"}  # a root field inside a fragment: every variable counts


async def connected(app_server: RunningApp, caller: Caller) -> WsClient:
    return await WsClient.acked_connect(app_server.url, caller.key)


async def frames_until(client: WsClient, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """The first `next` payload of each operation id in `wanted`, from one socket."""
    got: dict[str, dict[str, Any]] = {}
    while set(got) != wanted:
        message = await client.receive()
        assert message["type"] == "next", message
        got.setdefault(message["id"], message["payload"])
    return got


async def test_subscribers_share_a_render_when_only_their_root_arguments_differ(app_server: RunningApp,
                                                                                admin: Caller) -> None:
    first, second = await connected(app_server, admin), await connected(app_server, admin)
    try:
        # Two sockets, two operations on the second one; different `after` and `filter`, the same selection.
        await first.subscribe("a", SHAPED, {"withTask": True})
        await second.subscribe("b", SHAPED, {"withTask": True, "filter": {"toStatus": ["PENDING"]}})
        await second.subscribe("c", SHAPED, {"withTask": False, "after": None})
        await _until_subscribed(app_server, 3)
        task = (await admin(CREATE_TASK, {"input": task_input(title="shared")}))["createTask"]["task"]
        a = (await frames_until(first, {"a"}))["a"]
        on_second = await frames_until(second, {"b", "c"})
    finally:
        await first.close()
        await second.close()
    assert a == on_second["b"]
    assert a["data"]["taskEvents"]["task"] == {"id": task["id"], "title": "shared"}
    assert "task" not in on_second["c"]["data"]["taskEvents"]  # its own group: @include(if: false)
    assert on_second["c"]["data"]["taskEvents"]["id"] == a["data"]["taskEvents"]["id"]


async def _until_subscribed(app_server: RunningApp, count: int) -> None:
    hub = app_server.app.state.services.hub
    for _ in range(200):
        if hub.events.count >= count:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{hub.events.count} live subscribers, expected {count}")


async def test_a_shared_group_exists_while_its_members_do(app_server: RunningApp, admin: Caller) -> None:
    query = "subscription { taskEvents { id actor } }"
    before = {key for key in live_frames._groups if query in key}
    clients = [await connected(app_server, admin) for _ in range(3)]
    try:
        for client in clients:
            await client.subscribe("1", query)
        await _until_subscribed(app_server, 3)
        await admin(CREATE_TASK, {"input": task_input()})
        payloads = [(await frames_until(client, {"1"}))["1"] for client in clients]
        keys = {key for key in live_frames._groups if query in key} - before
        assert len(keys) == 1  # one group for the three sockets
        assert payloads[0] == payloads[1] == payloads[2]
    finally:
        for client in clients:
            await client.close()
    for _ in range(200):  # the last member gone, the group goes too
        if not {key for key in live_frames._groups if query in key} - before:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("the group outlived its members")


async def test_a_render_with_errors_is_not_shared(db: str) -> None:
    schema = build_schema()
    info = SimpleNamespace(schema=schema, context=SimpleNamespace(
        principal=SimpleNamespace(workspace_id=str(uuid.uuid4())), services=None))
    query = "subscription { taskEvents { id task { id } } }"
    document, _ = _document(query, None)
    group = RenderGroup(info, document, None, None, TaskEvent.of)  # type: ignore[arg-type]
    orphan = TaskEventRow(id=987654321, task_id=uuid.uuid4(), workspace_id=uuid.uuid4(), from_status=None,
                          to_status=TaskStatus.PENDING, actor="test", at=datetime.now(UTC))
    assert await group.payload(orphan) is None  # its task does not exist: `task` fails, Strawberry reports it
    plain = RenderGroup(info, _document("subscription { taskEvents { id toStatus } }", None)[0], None, None,
                        TaskEvent.of)  # type: ignore[arg-type]
    payload = await plain.payload(orphan)
    assert payload is not None
    assert json.loads(payload) == {"data": {"taskEvents": {"id": "987654321", "toStatus": "PENDING"}}}


async def test_watchers_of_tasks_share_one_read_of_each_task(app_server: RunningApp, admin: Caller) -> None:
    from samples import action

    query = "subscription($id: ID!) { taskUpdated(id: $id) { id status statusReason } }"
    before = {key for key in live_frames._groups if query in key}
    ids = [(await admin(CREATE_TASK, {"input": task_input(title=f"watched {i}")}))["createTask"]["task"]["id"]
           for i in range(2)]
    watchers = [await connected(app_server, admin) for _ in range(3)]  # two on the first task, one on the second
    try:
        for client, task_id in zip(watchers, [ids[0], ids[0], ids[1]], strict=True):
            await client.subscribe("w", query, {"id": task_id})
            assert (await client.next_data("w"))["taskUpdated"]["status"] == "PENDING"  # the task now
        assert len({key for key in live_frames._groups if query in key} - before) == 1
        for task_id in ids:
            await admin(action("cancelTask"), {"id": task_id})
        seen = [await client.next_data("w") for client in watchers]
        ends = [await client.next_data("w") for client in watchers]
    finally:
        for client in watchers:
            await client.close()
    assert [s["taskUpdated"]["id"] for s in seen] == [ids[0], ids[0], ids[1]]  # each its own task's
    assert {s["taskUpdated"]["status"] for s in seen} == {"CANCELLED"}
    assert ends == [None, None, None]  # completed after the terminal status


async def test_many_subscribers_awaiting_one_render_each_get_every_event_once_in_order(app_server: RunningApp,
                                                                                      admin: Caller) -> None:
    # The dashboard's kind of document: the task's row is read through DataLoaders, so the render is awaited, and
    # every member but the first waits on that one render.
    query = ("subscription($after: ID) { taskEvents(after: $after) { id taskId toStatus "
             "task { id title status } } }")
    latest = (await admin("{ latestEventId }"))["latestEventId"] or "0"
    clients = await asyncio.gather(*(connected(app_server, admin) for _ in range(40)))
    try:
        for client in clients:
            await client.subscribe("1", query, {"after": latest})
        await _until_subscribed(app_server, 40)
        titles = [f"burst {i}" for i in range(12)]
        await asyncio.gather(*(admin(CREATE_TASK, {"input": task_input(title=t)}) for t in titles))
        received = await asyncio.gather(*(_events(client, len(titles)) for client in clients))
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    first = received[0]
    assert sorted(e["task"]["title"] for e in first) == sorted(titles)
    assert [int(e["id"]) for e in first] == sorted(int(e["id"]) for e in first)  # increasing ids, no duplicate
    assert all(events == first for events in received)  # the same events, rendered alike, for all forty


async def _events(client: WsClient, count: int) -> list[dict[str, Any]]:
    return [(await client.next_data("1"))["taskEvents"] for _ in range(count)]  # type: ignore[index]
