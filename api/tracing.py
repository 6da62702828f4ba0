"""The API's share of the optional tracing (`workers.tracing`): a span per HTTP request and WebSocket, through
OpenTelemetry's ASGI middleware; `/metrics` and the health checks are left out."""

from __future__ import annotations

from starlette.middleware import Middleware

from domain.settings import Settings
from workers.tracing import setup_tracing

__all__ = ["tracing_middleware"]

#: Paths (regular expressions) that get no span: scrapes and probes would drown the requests.
_UNTRACED = "/metrics,/healthz,/readyz"


def tracing_middleware(settings: Settings) -> list[Middleware]:
    """The ASGI tracing middleware when tracing is on (see `workers.tracing`), else nothing."""
    provider = setup_tracing(settings, service_name="taskloom-api")
    if provider is None:
        return []
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return [Middleware(OpenTelemetryMiddleware, tracer_provider=provider, excluded_urls=_UNTRACED,
                       exclude_spans=["receive", "send"])]
