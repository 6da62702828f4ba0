"""`create_app(settings)`: the Starlette application, built from lists (routes, middleware, lifespan)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any, TypedDict

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from tortoise import Tortoise, connections

from api.auth import ANONYMOUS, PRINCIPAL_KEY, BearerAuthMiddleware
from api.graphql.context import Context, Services
from api.graphql.loaders import Loaders
from api.graphql.schema import build_schema
from api.health import healthz, readyz
from api.limits import BodySizeLimitMiddleware
from domain.db import migrate, tortoise_config
from domain.egress import EgressPolicy
from domain.services.effects import Effects
from domain.settings import Settings

__all__ = ["create_app"]

logger = logging.getLogger(__name__)


class State(TypedDict):
    services: Services


class TaskloomGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with Taskloom's context."""

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        principal = request.scope.get(PRINCIPAL_KEY, ANONYMOUS)
        return Context(principal=principal, services=self.services, loaders=Loaders(principal.workspace_id),
                       request=request, response=response)


def create_app(settings: Settings, *, own_database: bool = True, effects: Effects | None = None) -> Starlette:
    """Build the app.

    Parameters:
        settings: the loaded settings.
        own_database: open (and, on SQLite, migrate) the database in the lifespan; tests that opened it
            themselves pass False.
        effects: the dispatcher and event bus to write with. None (the default) starts the engine in the
            lifespan: the broker of `TASKLOOM_BROKER_URL`, and on `memory://` workers and the scheduler too.
    """
    services = Services(
        settings=settings,
        effects=effects or Effects(),
        egress=EgressPolicy.from_setting(settings.egress_allowlist),
    )
    graphql = TaskloomGraphQL(
        services,
        schema=build_schema(settings),
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        allowed_origins=settings.cors_origin_list,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        if own_database:
            if settings.is_sqlite:
                applied = await migrate(settings.database_url)
                if applied:
                    logger.info("migrated the SQLite database: %s", ", ".join(applied))
            await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
        try:
            async with contextlib.AsyncExitStack() as stack:
                if effects is None:
                    from workers.engine import engine

                    await stack.enter_async_context(engine(settings, services.effects))
                yield {"services": services}
        finally:
            if own_database:
                await connections.close_all()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
        ],
        middleware=[
            Middleware(CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["GET", "POST"],
                       allow_headers=["authorization", "content-type"]),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(BearerAuthMiddleware),
        ],
        lifespan=lifespan,
    )
