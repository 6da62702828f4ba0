"""What happens after a write commits: events go to the bus, newly QUEUED tasks go to the workers."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.dispatch import Dispatcher, DispatchRequest, RecordingDispatcher
from domain.events import EventBus, InMemoryBus, Notice
from domain.metrics import observe_committed
from domain.models import Task, TaskEvent
from domain.state_machine import TaskStatus

__all__ = ["Effects"]

logger = logging.getLogger(__name__)


@dataclass
class Effects:
    """The collaborators a write needs once it has committed."""

    dispatcher: Dispatcher = field(default_factory=RecordingDispatcher)
    bus: EventBus = field(default_factory=InMemoryBus)
    #: Hand notices to the bus without waiting for it (`EventBus.notify`): a worker's group-committed batch then
    #: does not wait for a round trip to the bus. Off, a write's caller (an API mutation) answers only once its
    #: notice has gone out.
    notify_later: bool = False

    async def after_commit(self, events: Iterable[TaskEvent], tasks: Iterable[Task],
                           newest_lines: Mapping[str, int] | None = None) -> None:
        """Publish `events` (and `newest_lines`: workspace id -> id of its newest execution log line written),
        then dispatch those of `tasks` that are QUEUED.

        A failed dispatch is logged, not raised: the task is committed and the scheduler sends it again.
        """
        events, tasks = list(events), list(tasks)
        try:
            observe_committed(events, tasks)
        except Exception:  # metrics never stand in the way of a committed write
            logger.exception("counting %d committed event(s) failed", len(events))
        # A notice only wakes the Hubs, which read every row past the last id they saw: one per workspace
        # (its newest event) says as much as one per event.
        newest = {str(event.workspace_id): event.id for event in events}
        notices = [Notice("event", event_id, workspace_id) for workspace_id, event_id in newest.items()]
        notices += [Notice("log", line_id, workspace_id) for workspace_id, line_id in (newest_lines or {}).items()]
        for notice in notices:
            if self.notify_later:
                self.bus.notify(notice)
                continue
            try:
                await self.bus.publish(notice)
            except Exception:  # subscribers catch up from the table on the next notice
                logger.exception("publishing %s notice %r failed", notice.kind, notice.id)
        requests = [DispatchRequest(str(t.id), t.priority) for t in tasks if t.status == TaskStatus.QUEUED]
        if not requests:
            return
        try:
            await self.dispatcher.dispatch(requests)
        except Exception:
            logger.exception("dispatch of %d task(s) failed; the scheduler will send them again", len(requests))
