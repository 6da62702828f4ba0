"""The API's Prometheus series and the `/metrics` endpoint (`TASKLOOM_METRICS_ENABLED`).

- `HttpMetricsMiddleware`: requests by route template, method and status class (low cardinality: a path
  that matches no route is `unmatched`, methods outside the usual ones are `other`);
- `GraphQLMetrics`: a Strawberry extension counting operations by type, errors by code, and open
  subscriptions;
- `metrics_endpoint`: the text exposition of this process's registry, which also holds the engine's series
  (`domain.metrics`) — in the embedded mode, the in-process workers' too.

Under `serve --workers N` a process that dies leaves its gauge file in the multiprocess folder: each scrape, and
each process as it starts (`track_processes`), forgets those of processes that are gone, and a process that exits
cleanly forgets its own, so that `taskloom_subscriptions_open` counts only live processes.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import time
from collections.abc import Iterator
from pathlib import Path

from graphql import GraphQLError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

__all__ = ["GraphQLMetrics", "HttpMetricsMiddleware", "metrics_endpoint", "reap_dead_processes", "track_processes"]

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})

HTTP_REQUESTS = Counter("taskloom_http_requests_total", "HTTP requests answered, by route template.",
                        ["route", "method", "status"])
HTTP_DURATION = Histogram("taskloom_http_request_duration_seconds", "Time to answer an HTTP request.",
                          ["route", "method"])
GRAPHQL_REQUESTS = Counter("taskloom_graphql_requests_total", "GraphQL operations run (HTTP and WebSocket).",
                           ["operation_type"])
GRAPHQL_ERRORS = Counter("taskloom_graphql_errors_total", "Errors in GraphQL results, by their code.",
                         ["operation_type", "code"])
# "livesum": with several API processes (`serve --workers N`) the open subscriptions of all are added up.
SUBSCRIPTIONS_OPEN = Gauge("taskloom_subscriptions_open", "GraphQL subscriptions running now.",
                           multiprocess_mode="livesum")


def _route(scope: Scope) -> str:
    """The template of the route that answered; for requests refused before routing (401, 413), the one
    that would have."""
    route = scope.get("route")
    if route is None and "app" in scope:
        route = next((r for r in getattr(scope["app"], "routes", ()) if r.matches(scope)[0] == Match.FULL), None)
    return getattr(route, "path", "unmatched")


class HttpMetricsMiddleware:
    """Counts HTTP requests and their duration (list it first, so refusals by later middleware count too)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = _route(scope)
            method = scope["method"] if scope["method"] in _METHODS else "other"
            HTTP_REQUESTS.labels(route, method, f"{status // 100}xx").inc()
            HTTP_DURATION.labels(route, method).observe(time.perf_counter() - started)


def _code(error: GraphQLError) -> str:
    code = (error.extensions or {}).get("code")
    if isinstance(code, str) and code.isupper() and len(code) <= 40:
        return code
    if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
        return "INTERNAL"  # an unexpected exception (masked in the response)
    return "GRAPHQL"  # syntax, validation, limits


class GraphQLMetrics(SchemaExtension):
    """Counts each operation once it ends and the errors of its result; a subscription is open from the start
    of its execution to the end of its operation (Strawberry's `on_execute` covers only the setup).

    List it after `MaskErrors`: its hooks then see errors before they are masked.
    """

    _subscribed = False

    def _operation_type(self) -> str:
        try:
            return self.execution_context.operation_type.value
        except Exception:  # the document did not parse or names no operation
            return "unknown"

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        finally:
            if self._subscribed:
                SUBSCRIPTIONS_OPEN.dec()
            operation_type = self._operation_type()
            GRAPHQL_REQUESTS.labels(operation_type).inc()
            context = self.execution_context
            errors = list(context.pre_execution_errors or ())
            if context.pre_execution_errors is None and context.result is not None:
                errors.extend(context.result.errors or ())
            for error in errors:
                GRAPHQL_ERRORS.labels(operation_type, _code(error)).inc()

    def on_execute(self) -> Iterator[None]:
        if self._operation_type() == OperationType.SUBSCRIPTION.value:
            self._subscribed = True
            SUBSCRIPTIONS_OPEN.inc()
        yield


#: A live gauge's file in the multiprocess folder, as prometheus-client names it: `gauge_livesum_<pid>.db`.
_LIVE_GAUGE_FILE = re.compile(r"gauge_live[a-z]+_(\d+)\.db")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def reap_dead_processes(folder: str) -> list[int]:
    """Forget the live gauges of the processes in `folder` that no longer run (killed, crashed), which would
    otherwise count forever; their counters and histograms stay, as prometheus-client intends.

    Parameters:
        folder: the prometheus-client multiprocess folder (PROMETHEUS_MULTIPROC_DIR).

    Returns:
        The ids of the processes forgotten.
    """
    pids = {int(match[1]) for path in Path(folder).glob("gauge_live*.db")
            if (match := _LIVE_GAUGE_FILE.fullmatch(path.name))}
    dead = sorted(pid for pid in pids if not _alive(pid))
    for pid in dead:
        with contextlib.suppress(FileNotFoundError):  # another process reaped it first
            mark_process_dead(pid, folder)
    return dead


def track_processes() -> None:
    """Under `serve --workers N` (PROMETHEUS_MULTIPROC_DIR set): forget the processes that died before this
    one started, and this one's live gauges when it exits cleanly; otherwise nothing."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    reap_dead_processes(folder)
    atexit.register(mark_process_dead, os.getpid(), folder)


def _registry() -> CollectorRegistry:
    # prometheus-client's own switch: `serve --workers N` sets it so that each process writes its series to
    # files, and any process answering a scrape adds up all of them.
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return REGISTRY
    reap_dead_processes(folder)
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


async def metrics_endpoint(request: Request) -> Response:
    """`GET /metrics`: every series of this process (of all API processes under `serve --workers N`), in
    Prometheus' text format."""
    return Response(generate_latest(_registry()), media_type=CONTENT_TYPE_LATEST)
