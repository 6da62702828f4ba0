"""One watcher per event loop keeps every running attempt's heartbeat and notices cancellations.

Every `CANCEL_POLL_S` it checks all the attempts running on the loop in one read (`still_running`); every
`heartbeat_s` it beats them all in one UPDATE (`heartbeat`) instead. An attempt whose task is no longer its own
(cancelled, or recovered as lost) is marked and its asyncio task cancelled; `run_task` turns that into a
cancelled attempt. One watcher task for the loop, not one per attempt, keeps a busy worker's loop light.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass, field

from domain.services.runs import Claim, heartbeat, still_running

__all__ = ["CANCEL_POLL_S", "Watched", "watch"]

logger = logging.getLogger(__name__)

#: How often a running attempt is checked for cancellation.
CANCEL_POLL_S = 0.5


@dataclass(eq=False)
class Watched:
    """One attempt under watch: `cancelled` turns True (and its task is cancelled) once the task is not its own."""

    claim: Claim
    task: asyncio.Task[object]
    cancelled: bool = False
    _watcher: _Watcher | None = field(default=None, repr=False)

    def release(self) -> None:
        """Stop watching (the attempt's executor has returned or raised)."""
        if self._watcher is not None:
            self._watcher.attempts.discard(self)
            self._watcher = None


class _Watcher:
    def __init__(self, heartbeat_s: float) -> None:
        self.heartbeat_s = heartbeat_s
        self.attempts: set[Watched] = set()
        self.task: asyncio.Task[None] | None = None

    def add(self, watched: Watched) -> None:
        self.attempts.add(watched)
        if self.task is None:
            self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + self.heartbeat_s
        try:
            while self.attempts:
                await asyncio.sleep(CANCEL_POLL_S)
                watched = list(self.attempts)
                if not watched:
                    return
                claims = [w.claim for w in watched]
                try:
                    if loop.time() >= next_beat:
                        next_beat = loop.time() + self.heartbeat_s
                        alive = await heartbeat(claims)
                    else:
                        alive = await still_running(claims)
                except Exception:  # the database is away: try again next round, the attempts run on
                    logger.exception("checking %d running attempt(s) failed", len(claims))
                    continue
                for one, ok in zip(watched, alive, strict=True):
                    if not ok and one in self.attempts:
                        one.cancelled = True
                        one.task.cancel()
        finally:
            self.task = None


_WATCHERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[float, _Watcher]] = weakref.WeakKeyDictionary()


def watch(claim: Claim, *, heartbeat_s: float) -> Watched:
    """Watch the attempt of `claim`, run by the current asyncio task, until `release()`."""
    watchers = _WATCHERS.setdefault(asyncio.get_running_loop(), {})
    watcher = watchers.setdefault(heartbeat_s, _Watcher(heartbeat_s))
    current = asyncio.current_task()
    assert current is not None, "watch() runs inside the attempt's task"
    watched = Watched(claim, current, _watcher=watcher)
    watcher.add(watched)
    return watched
