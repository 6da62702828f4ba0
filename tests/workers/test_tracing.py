"""Optional tracing: with OTEL_EXPORTER_OTLP_ENDPOINT set, a fake OTLP/HTTP collector on 127.0.0.1 receives a
span for the GraphQL request and one for the task run (with its id, type and execution id), the run's span in
the request's trace (embedded, and across `taskloom serve` and `taskloom worker` on Redis); without it, nothing
of OpenTelemetry is imported and messages carry no trace context."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from broker_support import TASKLOOM, WorkerProcess, purge, require, worker_env
from conftest import Caller, free_port, make_caller, serving
from engine_support import Target, settled, target  # noqa: F401 (target: a fixture)
from samples import CREATE_TASK, CREATE_TASKS, task_input
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.app import create_app
from domain.models import TaskExecution
from domain.settings import load_settings
from domain.state_machine import TaskStatus
from workers.tracing import shutdown_tracing, tracer_provider

pytest.importorskip("opentelemetry.proto", reason="the [otel] extra and opentelemetry-proto (dev) are not installed")

#: A Redis database of these tests alone, for the API and worker processes.
REDIS_URL = "redis://127.0.0.1:6379/14"


@dataclass
class Collector:
    """Receives OTLP/HTTP protobuf trace exports and keeps every span as {name, service, attributes, ids}."""

    url: str = ""
    spans: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> Starlette:
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        async def traces(request: Request) -> Response:
            export = ExportTraceServiceRequest.FromString(await request.body())
            for resource_spans in export.resource_spans:
                service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        attributes = {a.key: a.value.string_value or a.value.bool_value for a in span.attributes}
                        self.spans.append({"name": span.name, "service": service, "attributes": attributes,
                                           "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                                           "parent_span_id": span.parent_span_id.hex()})
            return Response(ExportTraceServiceResponse().SerializeToString(), media_type="application/x-protobuf")

        return Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])

    def ancestors(self, span: dict[str, Any]) -> list[str]:
        """The ids of the spans above `span`, nearest first (as far as the collector received them)."""
        by_id = {s["span_id"]: s for s in self.spans if s["trace_id"] == span["trace_id"]}
        chain, parent = [], span["parent_span_id"]
        while parent and parent not in chain:
            chain.append(parent)
            parent = by_id[parent]["parent_span_id"] if parent in by_id else ""
        return chain


@pytest_asyncio.fixture
async def collector() -> AsyncIterator[Collector]:
    sink = Collector()
    port = free_port()
    sink.url = f"http://127.0.0.1:{port}"
    async with serving(sink.app(), port):
        yield sink


@pytest_asyncio.fixture
async def traced(database_url: str, db: str, collector: Collector,
                 tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Caller]:
    """The app with its embedded engine, tracing to the collector; tracing is stopped again afterwards."""
    settings = load_settings(database_url=database_url, egress_allowlist="127.0.0.1", _env_file=None,
                             artifacts_dir=tmp_path_factory.mktemp("artifacts"),
                             OTEL_EXPORTER_OTLP_ENDPOINT=collector.url)
    port = free_port()
    try:
        async with serving(create_app(settings, own_database=False), port), \
                httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield await make_caller(client, "acme", ["admin"], name="traced")
    finally:
        await asyncio.to_thread(shutdown_tracing)  # it exports what is pending to the collector on this loop


async def test_a_graphql_request_and_a_task_run_each_export_a_span(traced: Caller, collector: Collector,
                                                                   target: Target) -> None:
    config = {"apiEndpoint": target.script("traced", 200)}
    created = await traced(CREATE_TASK, {"input": task_input("API_CALL", config, executionType="AUTOMATIC",
                                                             assignedToBot=True)})
    task_id = created["createTask"]["task"]["id"]
    assert (await settled(task_id)).status == TaskStatus.COMPLETED
    (execution,) = await TaskExecution.filter(task_id=task_id)
    provider = tracer_provider()
    assert provider is not None
    assert await asyncio.to_thread(provider.force_flush)  # off the loop: the collector answers on it

    requests = [s for s in collector.spans if s["name"] == "POST /graphql"]
    assert requests and all(s["service"] == "taskloom-api" for s in requests)
    runs = [s for s in collector.spans if s["name"] == "task.run"]
    assert [s["attributes"] for s in runs] == [{
        "taskloom.task.id": task_id, "taskloom.task.type": "API_CALL", "taskloom.execution.id": str(execution.id),
    }]
    assert not [s for s in collector.spans if "/metrics" in s["name"]]
    # the run belongs to the trace of the request that created the task, under that request's span
    (run,) = runs
    (creating,) = [s for s in requests if s["trace_id"] == run["trace_id"]]
    assert creating["span_id"] in collector.ancestors(run)


async def test_each_task_of_a_bulk_creation_runs_in_the_trace_of_the_creating_request(
        traced: Caller, collector: Collector, target: Target) -> None:
    # Given 16 tasks from one createTasks: they go out 2 a message, so messages carry several ids
    config = {"apiEndpoint": target.script("bulk", 200)}
    inputs = [task_input("API_CALL", config, executionType="AUTOMATIC", assignedToBot=True) for _ in range(16)]
    created = await traced(CREATE_TASKS, {"inputs": inputs})
    task_ids = {task["id"] for task in created["createTasks"]["tasks"]}
    # When they all ran
    for task_id in task_ids:
        assert (await settled(task_id)).status == TaskStatus.COMPLETED
    provider = tracer_provider()
    assert provider is not None
    assert await asyncio.to_thread(provider.force_flush)

    # Then every task.run span sits under the span of the one request that created them
    runs = [s for s in collector.spans if s["name"] == "task.run"]
    assert {s["attributes"]["taskloom.task.id"] for s in runs} == task_ids and len(runs) == 16
    (creating,) = [s for s in collector.spans if s["name"] == "POST /graphql" and s["trace_id"] == runs[0]["trace_id"]]
    assert all(s["trace_id"] == creating["trace_id"] for s in runs)
    assert all(creating["span_id"] in collector.ancestors(s) for s in runs)


def start(args: list[str], env: dict[str, str], folder: Path, name: str) -> WorkerProcess:
    """`taskloom <args>` in a session of its own, its output in `folder/<name>.log`."""
    log_path = folder / f"{name}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(TASKLOOM), *args], env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    return WorkerProcess(proc, log_path)


async def test_a_run_in_a_worker_process_joins_the_trace_of_the_api_request(db: str, collector: Collector,
                                                                             target: Target, tmp_path: Path) -> None:
    # Given `taskloom serve` and `taskloom worker` on Redis, both tracing to the collector (exports every 0.1 s)
    require(REDIS_URL, "Redis")
    purge(REDIS_URL)
    env = worker_env(db, REDIS_URL, tmp_path / "artifacts")
    env.update(OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_BSP_SCHEDULE_DELAY="100",
               TASKLOOM_WORKER_METRICS_PORT="0")
    port = free_port()
    server = start(["serve", "--port", str(port)], env, tmp_path, "serve")
    worker = start(["worker", "--processes", "1", "--threads", "2"], env, tmp_path, "worker")
    try:
        await server.logged("Application startup complete", timeout_s=30)
        await worker.ready()
        # When a request to the API creates a task that the worker runs
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            caller = await make_caller(client, "acme", ["admin"], name="traced")
            created = await caller(CREATE_TASK, {"input": task_input(
                "API_CALL", {"apiEndpoint": target.script("processes", 200)}, executionType="AUTOMATIC",
                assignedToBot=True)})
        task_id = created["createTask"]["task"]["id"]
        assert (await settled(task_id, timeout_s=20)).status == TaskStatus.COMPLETED

        # Then the worker's task.run span is in the trace of the API's request span, under it
        def exported() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            runs = [s for s in collector.spans if s["name"] == "task.run" and s["service"] == "taskloom-worker"]
            requests = [s for s in collector.spans if s["name"] == "POST /graphql" and s["service"] == "taskloom-api"
                        and any(s["trace_id"] == run["trace_id"] for run in runs)]
            return runs, requests

        for _ in range(100):
            runs, requests = exported()
            if runs and requests:
                break
            await asyncio.sleep(0.1)
        (run,), (creating,) = exported()
        assert run["attributes"]["taskloom.task.id"] == task_id
        assert creating["span_id"] in collector.ancestors(run)
    finally:
        worker.kill()
        server.kill()
        purge(REDIS_URL)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TASKLOOM_"))}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          timeout=60, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


CHECK = """
import sys
from dramatiq import Message
from api.app import create_app
from domain.dispatch import DispatchRequest
from domain.enums import TaskPriority
from domain.services.effects import Effects
from domain.settings import load_settings
from workers.broker import TASK_QUEUES, DramatiqDispatcher, setup_broker
from workers.tracing import task_span, tracer_provider

def build(**settings):
    create_app(load_settings(_env_file=None, **settings), own_database=False, effects=Effects())
    with task_span("t1"):
        pass

build()
broker = setup_broker(load_settings(_env_file=None, broker_url="memory://"))
DramatiqDispatcher(broker)._send([DispatchRequest("t1", TaskPriority.NORMAL)])
queued = broker.queues[TASK_QUEUES[TaskPriority.NORMAL][0]].get_nowait()
print("MESSAGE OPTIONS", Message.decode(queued).options)
print("WITHOUT THE ENDPOINT", sorted(m for m in sys.modules if m.startswith("opentelemetry")))
sys.modules["opentelemetry"] = None  # what an install without the [otel] extra looks like
build(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9")
print("WITHOUT THE PACKAGES", tracer_provider())
"""


def test_tracing_stays_off_without_the_endpoint_or_without_the_packages() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "TASKLOOM_"))}
    done = subprocess.run([sys.executable, "-c", CHECK], env=clean, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "MESSAGE OPTIONS {}" in done.stdout  # a dispatched message carries no trace context
    assert "WITHOUT THE ENDPOINT []" in done.stdout  # nothing of OpenTelemetry was imported
    assert "WITHOUT THE PACKAGES None" in done.stdout
    assert "OpenTelemetry is not installed; install taskloom[otel]" in done.stderr
