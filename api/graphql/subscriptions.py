"""The Subscription root: taskEvents (replay, then live), taskUpdated, executionLog.

Each reads from the process's Hub (never by polling for events); replays read the database in pages. A
subscriber that falls behind is closed with code 4429 and may resume with `after`; a revoked key's
subscriptions end within `KEY_CHECK_S` with code 4403.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable
from datetime import datetime

import strawberry
from graphql import GraphQLError

from api.graphql.context import Info
from api.graphql.enums import LogLevel, TaskStatus, TaskType
from api.graphql.errors import bad_user_input
from api.graphql.live_frames import LiveFrames
from api.graphql.loaders import Loaders
from api.graphql.permissions import CanRead
from api.graphql.types import Task, TaskEvent
from api.live import SlowSubscriber, Subscriber
from domain import models as m
from domain.enums import ExecutionStatus
from domain.errors import NotFound
from domain.services.execution_logs import lines_after
from domain.services.queries import events_after, get_execution, key_is_active
from domain.services.tasks import get_task
from domain.state_machine import RUN_ENDING_STATES

__all__ = ["ExecutionLogLine", "Subscription", "TaskEventFilter"]

#: How often a live subscription re-checks that its API key is still valid.
KEY_CHECK_S = 2.0
#: Close codes: the subscriber fell behind; the key was revoked.
CLOSE_TOO_SLOW = 4460
CLOSE_FORBIDDEN = 4403
#: Events per replay page.
REPLAY_PAGE = 200


@strawberry.input
class TaskEventFilter:
    task_ids: list[strawberry.ID] | None = None
    task_types: list[TaskType] | None = None
    to_status: list[TaskStatus] | None = None

    def predicate(self) -> Callable[[m.TaskEvent], bool] | None:
        """`accepts`, or None when the filter is empty (every event of the workspace)."""
        return self.accepts if self.task_ids or self.task_types or self.to_status else None

    def accepts(self, event: m.TaskEvent) -> bool:
        return (
            (not self.task_ids or str(event.task_id) in {str(i) for i in self.task_ids})
            and (not self.task_types or event.task_type in self.task_types)
            and (not self.to_status or event.to_status in self.to_status)
        )


@strawberry.type
class ExecutionLogLine:
    execution_id: strawberry.ID
    at: datetime
    level: LogLevel
    message: str
    step: int | None

    @classmethod
    def of(cls, row: m.ExecutionLogLine) -> ExecutionLogLine:
        level = row.level if row.level in LogLevel.__members__ else "INFO"
        return cls(execution_id=strawberry.ID(str(row.execution_id)), at=row.at, level=LogLevel[level],
                   message=row.message, step=row.step)


class _Live:
    """A subscription's live side: its Hub inbox, the key check, and closing the socket when it must end."""

    def __init__(self, info: Info, subscriber: Subscriber[object]) -> None:
        self.info = info
        self.subscriber = subscriber
        self.next_key_check = time.monotonic() + KEY_CHECK_S

    async def next(self, timeout_s: float = 1.0) -> object | None:
        try:
            item = await self.subscriber.get(timeout_s)
        except SlowSubscriber:
            await self._close(CLOSE_TOO_SLOW, "subscriber too slow; resubscribe with after=<last id seen>")
            raise
        if time.monotonic() >= self.next_key_check:
            self.next_key_check = time.monotonic() + KEY_CHECK_S
            if not await _key_still_active(self.info.context.principal.key_id):
                await self._close(CLOSE_FORBIDDEN, "API key revoked")
                raise SlowSubscriber
        return item

    async def _close(self, code: int, reason: str) -> None:
        websocket = self.info.context.request
        if websocket is not None and hasattr(websocket, "close"):
            await websocket.close(code=code, reason=reason)

    def __enter__(self) -> _Live:
        return self

    def __exit__(self, *exc: object) -> None:
        self.info.context.services.hub.unsubscribe(self.subscriber)


#: key id -> (checked at, active): one query per key per KEY_CHECK_S, however many subscriptions use the key.
_key_checks: dict[str, tuple[float, bool]] = {}


async def _key_still_active(key_id: str) -> bool:
    checked = _key_checks.get(key_id)
    if checked is not None and time.monotonic() - checked[0] < KEY_CHECK_S:
        return checked[1]
    active = await key_is_active(key_id)
    _key_checks[key_id] = (time.monotonic(), active)
    return active


def _fresh(info: Info) -> None:
    """Give the next result new DataLoaders: a socket's context outlives many results, a loader's cache must not
    (else `TaskEvent.task` and `Task.executions` answer what the socket first saw)."""
    info.context.loaders = Loaders(info.context.workspace_id)


def _after_id(after: strawberry.ID | None) -> int | None:
    if after is None:
        return None
    try:
        return int(after)
    except ValueError:
        raise bad_user_input(f"after is an event id (a decimal integer), not {after!r}") from None


@strawberry.type
class Subscription:
    @strawberry.subscription(permission_classes=[CanRead],
                             description="replays events with id > after, then live; increasing id order, "
                                         "no gap, no duplicate")
    async def task_events(self, info: Info, filter: TaskEventFilter | None = None,
                          after: strawberry.ID | None = None) -> AsyncGenerator[TaskEvent, None]:
        start = _after_id(after)
        workspace = info.context.workspace_id
        wanted = filter or TaskEventFilter()
        frames = LiveFrames.start(info, TaskEvent.of)
        # Subscribe to live first, then replay: an event committed meanwhile is in one or both, never neither.
        with _Live(info, info.context.services.hub.subscribe_events(workspace, wanted.predicate())) as live:
            last = start
            while last is not None:
                page = await events_after(workspace, last, limit=REPLAY_PAGE)
                for event in page:
                    if wanted.accepts(event):
                        _fresh(info)
                        yield TaskEvent.of(event)
                    last = event.id
                if len(page) < REPLAY_PAGE:
                    break
            while True:
                try:
                    event = await live.next()
                except SlowSubscriber:
                    return
                if event is None or (last is not None and event.id <= last):  # type: ignore[attr-defined]
                    continue
                last = event.id  # type: ignore[attr-defined]
                if frames is not None and await frames.send(event):
                    continue
                _fresh(info)
                yield TaskEvent.of(event)  # type: ignore[arg-type]

    @strawberry.subscription(permission_classes=[CanRead],
                             description="the task now, then after each transition; completes after a "
                                         "terminal one")
    async def task_updated(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Task, None]:
        workspace = info.context.workspace_id
        try:
            task = await get_task(workspace, id)
        except NotFound:
            raise GraphQLError(f"no task with id {id!r}", extensions={"code": "NOT_FOUND"}) from None
        hub = info.context.services.hub

        async def task_now(event: m.TaskEvent) -> Task:
            return Task.of(await get_task(workspace, str(event.task_id)))

        frames = LiveFrames.start(info, task_now)
        with _Live(info, hub.subscribe_events(workspace, lambda e: str(e.task_id) == str(task.id))) as live:
            yield Task.of(task)
            status = task.status
            while status not in RUN_ENDING_STATES:
                try:
                    event = await live.next()
                except SlowSubscriber:
                    return
                if event is None:
                    continue
                status = event.to_status  # type: ignore[attr-defined]
                if frames is not None and await frames.send(event):
                    continue
                _fresh(info)
                yield await task_now(event)  # type: ignore[arg-type]

    @strawberry.subscription(permission_classes=[CanRead],
                             description="lines an executor reports, earlier ones first; completes when the "
                                         "execution ends")
    async def execution_log(self, info: Info, execution_id: strawberry.ID
                            ) -> AsyncGenerator[ExecutionLogLine, None]:
        workspace = info.context.workspace_id
        execution = await get_execution(workspace, execution_id)
        if execution is None:
            raise GraphQLError(f"no execution with id {execution_id!r}", extensions={"code": "NOT_FOUND"})
        hub = info.context.services.hub
        accept = lambda line: str(line.execution_id) == str(execution.id)  # noqa: E731
        with _Live(info, hub.subscribe_lines(workspace, accept)) as live:
            last = 0
            while True:
                for line in await lines_after(str(execution.id), last):
                    last = line.id
                    yield ExecutionLogLine.of(line)
                await execution.refresh_from_db(fields=["status"])
                if execution.status != ExecutionStatus.RUNNING:
                    for line in await lines_after(str(execution.id), last):  # written just before the end
                        last = line.id
                        yield ExecutionLogLine.of(line)
                    return
                try:
                    await live.next(timeout_s=1.0)
                except SlowSubscriber:
                    return


