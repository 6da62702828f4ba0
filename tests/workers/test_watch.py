"""The event loop's watcher (workers/watch.py): it beats the heartbeats of the attempts it watches, stops once an
attempt is released, and cancels exactly the attempts whose task was cancelled, against the real database."""

from __future__ import annotations

import asyncio
import time

from claims_support import claims

from domain.models import Task
from domain.services.effects import Effects
from domain.services.runs import Claim
from domain.services.tasks import cancel_task
from workers.watch import Watched, watch


async def attempt(claim: Claim, heartbeat_s: float, seen: list[Watched]) -> None:
    """An executor that runs until cancelled, watched as run_task watches one."""
    watched = watch(claim, heartbeat_s=heartbeat_s)
    seen.append(watched)
    try:
        await asyncio.sleep(60)
    finally:
        watched.release()


async def heartbeat_of(claim: Claim) -> float:
    task = await Task.get(id=claim.task.id)
    assert task.heartbeat_at is not None
    return task.heartbeat_at.timestamp()


async def test_a_watched_attempt_is_beaten_until_it_is_released(db: str) -> None:
    _, (claim,) = await claims(1)
    claimed_at = await heartbeat_of(claim)
    seen: list[Watched] = []
    running = asyncio.ensure_future(attempt(claim, 0.4, seen))
    try:
        deadline = time.monotonic() + 5
        while await heartbeat_of(claim) == claimed_at:
            assert time.monotonic() < deadline, "no heartbeat within 5 s (period 0.4 s, checked every 0.5 s)"
            await asyncio.sleep(0.1)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
    assert not seen[0].cancelled  # stopped by us, not by the watcher
    released_at = await heartbeat_of(claim)
    await asyncio.sleep(1.2)  # two watcher rounds
    assert await heartbeat_of(claim) == released_at  # nobody beats a released attempt


async def test_only_the_attempt_whose_task_was_cancelled_is_stopped(db: str) -> None:
    workspace_id, held = await claims(3)
    seen: list[Watched] = []
    running = [asyncio.ensure_future(attempt(claim, 30, seen)) for claim in held]
    await asyncio.sleep(0)  # each attempt registers with the watcher
    try:
        await cancel_task(workspace_id, str(held[1].task.id), "stop this one", actor="test", effects=Effects())
        done, _ = await asyncio.wait(running, timeout=2)
        assert done == {running[1]} and running[1].cancelled()  # within 2 s, that one alone
        watched = {w.claim.task.id: w for w in seen}
        assert [watched[c.task.id].cancelled for c in held] == [False, True, False]
    finally:
        for one in running:
            one.cancel()
        await asyncio.gather(*running, return_exceptions=True)
