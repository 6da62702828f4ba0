"""The Query root: thin resolvers that call domain queries and map rows to types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.graphql.context import Info
from api.graphql.enums import MessageStatus, ReportType, TaskOrder
from api.graphql.errors import bad_user_input
from api.graphql.inputs import TaskFilter
from api.graphql.pagination import PageInfo, check_first, decode_cursor, encode_cursor
from api.graphql.permissions import CanAdmin, CanRead
from api.graphql.types import (
    ApiKey,
    OutboundMessage,
    OutboundMessageConnection,
    Report,
    Task,
    TaskConnection,
    TaskExecution,
    Webhook,
)
from domain import enums as d
from domain.errors import NotFound, ValidationFailed
from domain.services import queries as q
from domain.services.api_keys import list_api_keys
from domain.services.reports import build_report
from domain.services.tasks import get_task
from domain.services.webhooks import list_webhooks

__all__ = ["Query"]

_READ = [CanRead]


@strawberry.type
class Query:
    @strawberry.field(permission_classes=_READ)
    async def task(self, info: Info, id: strawberry.ID) -> Task | None:
        try:
            return Task.of(await get_task(info.context.workspace_id, id))
        except NotFound:
            return None

    @strawberry.field(permission_classes=_READ)
    async def tasks(
        self,
        info: Info,
        filter: TaskFilter | None = None,
        first: int = 50,
        after: str | None = None,
        order_by: TaskOrder = TaskOrder.CREATED_AT_DESC,
    ) -> TaskConnection:
        check_first(first)
        order = q.TaskOrder(order_by.value)
        key = decode_cursor(f"tasks:{order.value}", after)
        try:
            page = await q.list_tasks(
                info.context.workspace_id, filter.to_domain() if filter else q.TaskFilter(),
                first=first, after=key, order=order,
            )
        except q.InvalidCursor as exc:
            raise bad_user_input(str(exc)) from None
        end = encode_cursor(f"tasks:{order.value}", page.keys[-1]) if page.keys else None
        return TaskConnection(nodes=[Task.of(t) for t in page.rows],
                              page_info=PageInfo(has_next_page=page.has_next, end_cursor=end),
                              total_count=page.total)

    @strawberry.field(permission_classes=_READ)
    async def execution(self, info: Info, id: strawberry.ID) -> TaskExecution | None:
        row = await q.get_execution(info.context.workspace_id, id)
        return TaskExecution.of(row) if row else None

    @strawberry.field(permission_classes=_READ)
    async def webhooks(self, info: Info) -> list[Webhook]:
        return [Webhook.of(w) for w in await list_webhooks(info.context.workspace_id)]

    @strawberry.field(permission_classes=_READ)
    async def outbound_messages(
        self, info: Info, status: list[MessageStatus] | None = None, first: int = 50, after: str | None = None
    ) -> OutboundMessageConnection:
        check_first(first)
        key = decode_cursor("messages", after)
        statuses = [d.MessageStatus(s) for s in status] if status else None
        try:
            page = await q.list_messages(info.context.workspace_id, statuses, first=first, after=key)
        except q.InvalidCursor as exc:
            raise bad_user_input(str(exc)) from None
        end = encode_cursor("messages", page.keys[-1]) if page.keys else None
        return OutboundMessageConnection(nodes=[OutboundMessage.of(m) for m in page.rows],
                                         page_info=PageInfo(has_next_page=page.has_next, end_cursor=end),
                                         total_count=page.total)

    @strawberry.field(permission_classes=_READ, description="to: now; from: to minus 7 days")
    async def report(
        self,
        info: Info,
        type: ReportType,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
    ) -> Report:
        try:
            built = await build_report(info.context.workspace_id, d.ReportType(type), date_from=from_, date_to=to)
        except ValidationFailed as exc:
            raise bad_user_input(exc.message) from None
        return Report(type=built.type, from_=built.from_, to=built.to, data=built.data, summary=built.summary)

    @strawberry.field(permission_classes=[CanAdmin])
    async def api_keys(self, info: Info) -> list[ApiKey]:
        return [ApiKey.of(k) for k in await list_api_keys(info.context.workspace_id)]

    @strawberry.field(permission_classes=_READ,
                      description="the workspace's newest event id: load a page, then subscribe after it")
    async def latest_event_id(self, info: Info) -> strawberry.ID | None:
        latest = await q.latest_event_id(info.context.workspace_id)
        return strawberry.ID(str(latest)) if latest is not None else None
