"""The scheduler loop: every `TICK_S`, move what is due and recover what was lost.

One tick: due SCHEDULED and RETRYING tasks -> QUEUED; cron schedules spawn their runs; due outbound
messages go to the delivery actor; QUEUED tasks nobody claimed within `TASKLOOM_REDISPATCH_AFTER_S` are
sent again; IN_PROGRESS tasks silent for `TASKLOOM_LOST_AFTER_S` are recovered (after a tick failed on the
database, once it has been reachable that long again). Each step is safe to run from several schedulers at once
(see `domain.services.due`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from domain.services.due import fire_cron_schedules, promote_due, unclaimed_queued, utcnow
from domain.services.effects import Effects
from domain.services.messages import due_message_ids
from domain.services.runs import RetryPolicy, recover_lost
from domain.settings import Settings
from domain.transient import is_transient

__all__ = ["TICK_S", "Scheduler"]

logger = logging.getLogger(__name__)

#: Seconds between two ticks.
TICK_S = 0.5

Deliver = Callable[[list[str]], Awaitable[None]]


@dataclass
class Scheduler:
    """Runs ticks until stopped. `deliver` sends due outbound message ids to the delivery actor."""

    settings: Settings
    effects: Effects
    deliver: Deliver
    tick_s: float = TICK_S
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    #: Loop time since which ticks reach the database; None while they fail on it (see `_may_recover`).
    _reachable_since: float | None = float("-inf")

    def _may_recover(self) -> bool:
        """Whether silent runs may be called lost: not until the database has been reachable for
        `TASKLOOM_LOST_AFTER_S` after a tick failed on it. While it was down no worker could beat a heartbeat or
        write an attempt's end (ends are tried again for 20 s); recovering them as soon as it is back would run
        again tasks that finished during the outage."""
        since = self._reachable_since
        return since is not None and asyncio.get_running_loop().time() - since >= self.settings.lost_after_s

    async def tick(self) -> dict[str, int]:
        """One pass over everything due; returns how many of each kind were handled."""
        now = utcnow()
        policy = RetryPolicy(base_s=self.settings.retry_base_s, cap_s=self.settings.retry_cap_s)
        counts = {
            "promoted": await promote_due(now, effects=self.effects),
            "cron_runs": await fire_cron_schedules(now, effects=self.effects),
            "recovered": await recover_lost(lost_after_s=self.settings.lost_after_s, policy=policy,
                                            effects=self.effects) if self._may_recover() else 0,
            "redispatched": await unclaimed_queued(now, older_than_s=self.settings.redispatch_after_s,
                                                   effects=self.effects),
        }
        messages = await due_message_ids(now, timeout_s=self.settings.webhook_timeout_s)
        if messages:
            await self.deliver(messages)
        counts["messages"] = len(messages)
        return counts

    async def run(self) -> None:
        """Tick until `stop()`; an error in one tick is logged and the next tick runs as usual."""
        logger.info("scheduler started (tick %.1f s)", self.tick_s)
        while not self._stop.is_set():
            try:
                # A task per tick: a transaction whose BEGIN failed (the database going away) leaves Tortoise's
                # "current transaction" set in the task it ran in, and every later tick in that task would fail.
                await asyncio.ensure_future(self.tick())
            except Exception as exc:
                if is_transient(exc):
                    self._reachable_since = None
                logger.exception("scheduler tick failed; retrying next tick")
            else:
                if self._reachable_since is None:
                    self._reachable_since = asyncio.get_running_loop().time()
                    logger.warning("database reachable again: runs silent meanwhile are called lost after %g s "
                                   "more", self.settings.lost_after_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.tick_s)
        logger.info("scheduler stopped")

    def stop(self) -> None:
        self._stop.set()
