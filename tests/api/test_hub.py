"""The Hub's fan-out: every subscriber of a workspace gets every event in id order; one that does not keep up
is cut off without slowing the others."""

from __future__ import annotations

import asyncio

import pytest

from api.live import Hub, SlowSubscriber
from domain.enums import ExecutionType, TaskType
from domain.events import InMemoryBus
from domain.models import TaskEvent, Workspace
from domain.services.effects import Effects
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks


async def make_events(effects: Effects, workspace_id: str, n: int) -> None:
    drafts = [TaskDraft(title=f"t{i}", task_type=TaskType.API_CALL, execution_type=ExecutionType.MANUAL,
                        execution_config={"apiEndpoint": "https://example.com"}) for i in range(n)]
    await create_tasks(workspace_id, drafts, actor="test", effects=effects, capabilities=Capabilities())


async def test_a_slow_subscriber_is_cut_while_a_fast_one_gets_everything(db: str) -> None:
    bus = InMemoryBus()
    hub = Hub(bus, queue_size=5)
    await hub.start()
    workspace = await Workspace.create(name="acme")
    other = await Workspace.create(name="globex")
    fast = hub.subscribe_events(str(workspace.id), lambda e: True)
    slow = hub.subscribe_events(str(workspace.id), lambda e: True)
    stranger = hub.subscribe_events(str(other.id), lambda e: True)
    received: list[int] = []

    async def drain() -> None:
        while len(received) < 30:
            event = await fast.get(timeout_s=5)
            assert event is not None
            received.append(event.id)

    reader = asyncio.ensure_future(drain())
    try:
        for _ in range(6):  # in small batches, as a busy workspace would
            await make_events(Effects(bus=bus), str(workspace.id), 5)
            await asyncio.sleep(0.05)
        await asyncio.wait_for(reader, 10)
    finally:
        await hub.stop()
    stored = [e.id for e in await TaskEvent.filter(workspace_id=workspace.id).order_by("id")]
    assert received == stored
    assert slow.overflowed
    with pytest.raises(SlowSubscriber):
        await slow.get(timeout_s=0.1)
    assert not stranger.items


async def test_the_hub_catches_up_without_a_notice(db: str) -> None:
    # A notice lost on the way (a bus reconnecting) delays events by at most the safety poll, never drops them.
    silent = Effects(bus=InMemoryBus())  # publishes to a bus the Hub does not listen to
    hub = Hub(InMemoryBus())
    await hub.start()
    workspace = await Workspace.create(name="acme")
    subscriber = hub.subscribe_events(str(workspace.id), lambda e: True)
    try:
        await make_events(silent, str(workspace.id), 3)
        got = [await subscriber.get(timeout_s=5) for _ in range(3)]
    finally:
        await hub.stop()
    assert all(e is not None for e in got)


async def test_with_no_subscriber_the_hub_steps_past_rows_then_delivers_from_the_first_join(db: str) -> None:
    bus = InMemoryBus()
    hub = Hub(bus)
    await hub.start()
    workspace = await Workspace.create(name="acme")
    try:
        # Given events committed while nobody listens
        await make_events(Effects(bus=bus), str(workspace.id), 5)
        newest = max(e.id for e in await TaskEvent.all())
        for _ in range(100):
            if hub.events.last_id == newest:
                break
            await asyncio.sleep(0.02)
        assert hub.events.last_id == newest  # stepped past them on the notice
        # When a subscriber joins and more are committed
        subscriber = hub.subscribe_events(str(workspace.id), lambda e: True)
        await make_events(Effects(bus=bus), str(workspace.id), 3)
        # Then it gets exactly the later ones, in order
        received = [(await subscriber.get(timeout_s=5)).id for _ in range(3)]  # type: ignore[union-attr]
        assert received == [e.id for e in await TaskEvent.filter(id__gt=newest).order_by("id")]
        assert await subscriber.get(timeout_s=0.2) is None
    finally:
        await hub.stop()


async def test_a_tail_reads_no_rows_without_subscribers_unless_one_joins_meanwhile() -> None:
    from api.live.hub import Subscriber, _Tail

    reads: list[int] = []
    joiner: Subscriber[object] = Subscriber("w", lambda row: True)

    async def read(after: int) -> list[object]:
        reads.append(after)
        return []

    async def newest() -> int:
        return 42

    tail: _Tail[object] = _Tail(read, newest, "rows", poll_s=60)
    tail.last_id = 7
    await tail.drain()
    assert (reads, tail.last_id) == ([], 42)  # nobody listens: no rows read

    async def newest_while_one_joins() -> int:
        tail.add(joiner)
        return 50

    tail.newest = newest_while_one_joins
    await tail.drain()
    assert (reads, tail.last_id) == ([42], 42)  # the joiner is owed every row past 42: they are read
