"""Live events rendered once per audience and sent as ready-made `next` frames.

Through Strawberry, each subscriber's event ran the whole GraphQL pipeline (graphql-core execution, result
hooks, JSON encoding): about 190 µs a message, so one API process delivered ~5,000 messages/s and a thousand
dashboards fell tens of seconds behind at 20 events/s. Most of them send the same document, and an event renders
the same for all of them: the root field's arguments (`filter`, `after`) choose which events a subscriber gets,
never how one looks. So subscribers whose render key matches (workspace, document, operation name, and the
variables the selection itself reads) share a `RenderGroup`: the first member to reach an event executes its
selection once (graphql-core's ExecuteSubscriptionEvent with Strawberry's execution context, as a subscription
event is executed normally) and every member sends that encoded payload inside its own frame, straight to its
socket. `taskEvents` renders the event; `taskUpdated` renders the task after it, read once for the group. A
render with errors is not shared: that event goes through Strawberry as before, so masking, logging and metrics
see the error.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLSchema,
    Visitor,
    execute_subscription_event,
    get_operation_ast,
    parse,
    visit,
)
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)

from api.graphql.context import Context, Info
from api.graphql.loaders import Loaders

__all__ = ["LiveFrames", "RenderGroup", "TransportWSHandler"]

#: Rendered payloads a group keeps, newest last: a member further behind than this renders for itself.
KEPT_RENDERS = 256

_operation: ContextVar[Operation[Context, None] | None] = ContextVar("taskloom_ws_operation", default=None)
_MISSING = object()


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler, telling each operation's resolver which operation it serves."""

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        _operation.set(operation)  # the operation's own task: its context is a copy, so no other task sees this
        await super().run_operation(operation)


class _VariableNames(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_variable(self, node: Any, *_: object) -> None:
        self.names.add(node.name.value)


@lru_cache(maxsize=256)
def _document(query: str, operation_name: str | None) -> tuple[DocumentNode, frozenset[str]]:
    """The parsed document, and the variables that can change how an event renders: all but those used only
    in the arguments of the operation's root fields."""
    document = parse(query)
    collector = _VariableNames()
    operation = get_operation_ast(document, operation_name)
    for selection in operation.selection_set.selections if operation else ():
        if isinstance(selection, FieldNode):
            for directive in selection.directives or ():
                visit(directive, collector)
            if selection.selection_set is not None:
                visit(selection.selection_set, collector)
        else:
            visit(selection, collector)
    for definition in document.definitions:
        if definition is not operation:
            visit(definition, collector)
    return document, frozenset(collector.names)


class RenderGroup:
    """Subscribers whose documents render an event alike; holds the latest renders by event id."""

    def __init__(self, info: Info, document: DocumentNode, operation_name: str | None,
                 variables: dict[str, Any] | None, root: Callable[[Any], object | Awaitable[object]]) -> None:
        self.schema: GraphQLSchema = info.schema._schema
        self.executor_class = info.schema.execution_context_class
        self.principal = info.context.principal
        self.services = info.context.services
        self.document = document
        self.operation_name = operation_name
        self.variables = variables
        self.root = root
        self._payloads: OrderedDict[int, str | asyncio.Future[str | None] | None] = OrderedDict()

    async def payload(self, row: Any) -> str | None:
        """The encoded `next` payload of `row`, rendered once for the group; None when the render has errors."""
        found = self._payloads.get(row.id, _MISSING)
        if found is _MISSING:
            found = self._render(row)
            self._payloads[row.id] = found
            if len(self._payloads) > KEPT_RENDERS:
                self._payloads.popitem(last=False)
        if isinstance(found, asyncio.Future):
            return await asyncio.shield(found)
        return found  # type: ignore[return-value]

    def _render(self, row: Any) -> str | asyncio.Future[str | None] | None:
        root = self.root(row)
        if inspect.isawaitable(root):  # the root is read from the database: once for the whole group
            return asyncio.ensure_future(self._render_later(root))
        return self._execute(root)

    async def _render_later(self, root: Awaitable[object]) -> str | None:
        rendered = self._execute(await root)
        return await rendered if isinstance(rendered, asyncio.Future) else rendered

    def _execute(self, root: object) -> str | asyncio.Future[str | None] | None:
        # A fresh context per event: a DataLoader's cache must not answer what an earlier event saw.
        context = Context(principal=self.principal, services=self.services,
                          loaders=Loaders(self.principal.workspace_id))
        executor = self.executor_class.build(self.schema, self.document, context_value=context,
                                             raw_variable_values=self.variables, operation_name=self.operation_name)
        if isinstance(executor, list):  # variables that no longer coerce: let Strawberry report it
            return None
        result = execute_subscription_event(executor.build_per_event_executor(root))
        if executor.is_awaitable(result):
            return asyncio.ensure_future(_encode_later(result))  # type: ignore[arg-type]
        return _encode(result)  # type: ignore[arg-type]


def _encode(result: ExecutionResult) -> str | None:
    return None if result.errors else json.dumps({"data": result.data}, separators=(",", ":"))


async def _encode_later(result: Awaitable[ExecutionResult]) -> str | None:
    return _encode(await result)


#: render key -> its group, while any subscriber holds it.
_groups: weakref.WeakValueDictionary[tuple[object, ...], RenderGroup] = weakref.WeakValueDictionary()


class LiveFrames:
    """One subscription's direct line: sends an event's shared render in this operation's `next` frame."""

    def __init__(self, operation: Operation[Context, None], group: RenderGroup) -> None:
        self.operation = operation
        self.group = group
        self.websocket = operation.handler.websocket.ws  # type: ignore[attr-defined]
        self.prefix = '{"id":' + json.dumps(operation.id) + ',"type":"next","payload":'

    @classmethod
    def start(cls, info: Info, root: Callable[[Any], object | Awaitable[object]]) -> LiveFrames | None:
        """The current operation's line, or None when it is not served over graphql-transport-ws. `root` turns
        a Hub row into the object the root field's selection is executed on (awaited when it reads)."""
        operation = _operation.get()
        if operation is None:
            return None
        document, names = _document(operation.query, operation.operation_name)
        variables = operation.variables or {}
        key = (info.context.workspace_id, operation.query, operation.operation_name,
               json.dumps({k: v for k, v in variables.items() if k in names}, sort_keys=True, default=str))
        group = _groups.get(key)
        if group is None:
            group = RenderGroup(info, document, operation.operation_name, operation.variables, root)
            _groups[key] = group
        return cls(operation, group)

    async def send(self, row: Any) -> bool:
        """Send `row` as this operation's next result; False when it must go through Strawberry instead."""
        payload = await self.group.payload(row)
        if payload is None:
            return False
        if not self.operation.completed:
            try:
                await self.websocket.send_text(self.prefix + payload + "}")
            except WebSocketDisconnect as exc:
                raise WebSocketDisconnected from exc
        return True
