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
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType
from tortoise import Tortoise, connections

from api.artifacts import download_artifact
from api.auth import ANONYMOUS, PRINCIPAL_KEY, BearerAuthMiddleware, bearer_key
from api.dashboard import dashboard_routes
from api.graphql.context import Context, Services
from api.graphql.live_frames import TransportWSHandler
from api.graphql.loaders import Loaders
from api.graphql.schema import build_schema
from api.health import healthz, readyz
from api.limits import BodySizeLimitMiddleware
from api.live import Hub
from api.metrics import HttpMetricsMiddleware, metrics_endpoint
from api.tracing import tracing_middleware
from domain.db import migrate, tortoise_config
from domain.egress import EgressPolicy
from domain.events import build_bus
from domain.services.api_keys import authenticate
from domain.services.effects import Effects
from domain.settings import Settings

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

#: Seconds between keep-alive pings on a subscription socket.
KEEP_ALIVE_S = 15.0


class State(TypedDict):
    services: Services


class TaskloomGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with Taskloom's context; live events go out as shared renders (`live_frames`)."""

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, services: Services, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        principal = request.scope.get(PRINCIPAL_KEY, ANONYMOUS)
        return Context(principal=principal, services=self.services, loaders=Loaders(principal.workspace_id),
                       request=request, response=response)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Authenticate a WebSocket from `connection_init`'s `{"authorization": "Bearer <key>"}` (else 4403)."""
        params = context.connection_params or {}
        raw = params.get("authorization") or params.get("Authorization")
        key = bearer_key(raw) if isinstance(raw, str) else None
        principal = await authenticate(key) if key else None
        if principal is None:
            raise ConnectionRejectionError
        context.principal = principal
        context.loaders = Loaders(principal.workspace_id)
        return UNSET


def create_app(settings: Settings, *, own_database: bool = True, effects: Effects | None = None) -> Starlette:
    """Build the app.

    Parameters:
        settings: the loaded settings.
        own_database: open (and, on SQLite, migrate) the database in the lifespan; tests that opened it
            themselves pass False.
        effects: the dispatcher and event bus to write with. None (the default) starts the engine in the
            lifespan: the broker of `TASKLOOM_BROKER_URL`, and on `memory://` workers and the scheduler too.
    """
    run_engine = effects is None
    effects = effects or Effects(bus=build_bus(settings.events_url_resolved))
    services = Services(
        settings=settings,
        effects=effects,
        egress=EgressPolicy.from_setting(settings.egress_allowlist),
        hub=Hub(effects.bus, queue_size=settings.subscriber_queue_size, poll_s=settings.live_poll_s),
    )
    graphql = TaskloomGraphQL(
        services,
        schema=build_schema(settings),
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        allowed_origins=settings.cors_origin_list,
        keep_alive=True,
        keep_alive_interval=KEEP_ALIVE_S,
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
                await services.hub.start()
                stack.push_async_callback(services.hub.stop)
                if run_engine:
                    from workers.engine import engine

                    await stack.enter_async_context(engine(settings, services.effects))
                yield {"services": services}
        finally:
            if own_database:
                await connections.close_all()

    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/artifacts/{artifact_id}", download_artifact, methods=["GET"]),
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            *dashboard_routes(),
            *([Route("/metrics", metrics_endpoint, methods=["GET"])] if settings.metrics_enabled else []),
        ],
        middleware=[
            *tracing_middleware(settings),
            *([Middleware(HttpMetricsMiddleware)] if settings.metrics_enabled else []),
            Middleware(CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["GET", "POST"],
                       allow_headers=["authorization", "content-type"]),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
            Middleware(BearerAuthMiddleware),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
