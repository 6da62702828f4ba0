"""Optional OpenTelemetry tracing: on only when the `[otel]` extra is installed AND `OTEL_EXPORTER_OTLP_ENDPOINT`
is set; otherwise nothing of OpenTelemetry is imported and `task_span` costs one flag check.

Spans go over OTLP/HTTP (protobuf) to `<endpoint>/v1/traces` through a batch processor; `OTEL_SERVICE_NAME`
and the SDK's other `OTEL_*` variables apply as usual. The API adds a span per HTTP request and WebSocket
(`api.tracing`); `task_span` makes one per task run, with the task's id, type and execution id.

A run belongs to the trace that queued it: `trace_options` puts the current span's W3C trace context in the
Dramatiq message's options, and `message_trace_context` reads it back in the worker as `task.run`'s parent.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from dramatiq.middleware import CurrentMessage

from domain.logs import current_run
from domain.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.sdk.trace import TracerProvider

__all__ = [
    "TRACE_OPTION",
    "message_trace_context",
    "setup_tracing",
    "shutdown_tracing",
    "task_span",
    "trace_options",
    "tracer_provider",
]

#: The Dramatiq message option that carries the W3C trace context (`traceparent`, `tracestate`) of the sender.
TRACE_OPTION = "trace_context"

logger = logging.getLogger(__name__)

_provider: TracerProvider | None = None


def setup_tracing(settings: Settings, *, service_name: str) -> TracerProvider | None:
    """Start exporting spans when tracing is configured and installed (once per process); the provider, or None.

    Parameters:
        settings: `otel_endpoint` (OTEL_EXPORTER_OTLP_ENDPOINT) switches tracing on.
        service_name: `service.name` unless OTEL_SERVICE_NAME says otherwise.
    """
    global _provider
    if _provider is not None or not settings.otel_endpoint:
        return _provider
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        logger.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed; "
                       "install taskloom[otel] to trace")
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    endpoint = settings.otel_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    _provider = provider
    logger.info("tracing to %s as %s", endpoint, service_name)
    return provider


def tracer_provider() -> TracerProvider | None:
    """The provider `setup_tracing` started in this process, if any."""
    return _provider


def shutdown_tracing() -> None:
    """Export what is pending and stop tracing in this process (at exit the SDK does this by itself)."""
    global _provider
    if _provider is not None:
        _provider.shutdown()
        _provider = None


def trace_options() -> dict[str, dict[str, str]]:
    """Message options that carry the current span's trace context; empty when tracing is off or no span is
    current (then nothing of OpenTelemetry is imported)."""
    if _provider is None:
        return {}
    from opentelemetry.propagate import inject

    carrier: dict[str, str] = {}
    inject(carrier)
    return {TRACE_OPTION: carrier} if carrier else {}


def message_trace_context() -> Context | None:
    """The trace context the current Dramatiq message carries (see `trace_options`), when tracing is on.

    Reads the message through dramatiq's `CurrentMessage` middleware, which `workers.broker` lists.
    """
    if _provider is None:
        return None
    message = CurrentMessage.get_current_message()
    carrier = message.options.get(TRACE_OPTION) if message is not None else None
    if not isinstance(carrier, dict):
        return None
    from opentelemetry.propagate import extract

    return extract(carrier)


@contextlib.contextmanager
def task_span(task_id: str, *, parent: Context | None = None) -> Iterator[None]:
    """A `task.run` span around one run of `task_id` when tracing is on; the run's type and execution id,
    which the runner binds after its claim, are added as the span ends.

    Parameters:
        task_id: the task the run is of.
        parent: the context of the span that queued the run (`message_trace_context`); None: the current one.
    """
    if _provider is None:
        yield
        return
    with _provider.get_tracer(__name__).start_as_current_span("task.run", context=parent) as span:
        span.set_attribute("taskloom.task.id", task_id)
        try:
            yield
        finally:
            run = current_run()
            if run is not None and run.task_id == task_id:
                span.set_attribute("taskloom.task.type", run.task_type)
                span.set_attribute("taskloom.execution.id", run.execution_id)
            else:
                span.set_attribute("taskloom.task.claimed", False)
