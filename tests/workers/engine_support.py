"""Shared pieces of the engine tests: a scripted HTTP target on 127.0.0.1 and waiting for a task to settle."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from conftest import free_port, serving
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.models import Task
from domain.state_machine import RUN_ENDING_STATES, TaskStatus


@dataclass
class Target:
    """An HTTP server that answers scripted statuses per path and records every request."""

    url: str = ""
    scripts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    seen: list[dict[str, Any]] = field(default_factory=list)

    def script(self, key: str, *statuses: int) -> str:
        self.scripts[key] = list(statuses)
        return f"{self.url}/scripted/{key}"

    def hits(self, key: str) -> list[dict[str, Any]]:
        return [r for r in self.seen if r["path"].endswith(f"/{key}")]

    def app(self) -> Starlette:
        async def record(request: Request) -> None:
            self.seen.append({"path": request.url.path, "method": request.method, "headers": dict(request.headers),
                              "body": await request.body(), "at": time.time()})

        async def scripted(request: Request) -> Response:
            await record(request)
            statuses = self.scripts[request.path_params["key"]]
            status = statuses.pop(0) if len(statuses) > 1 else (statuses[0] if statuses else 200)
            return JSONResponse({"status": status}, status_code=status)

        async def slow(request: Request) -> Response:
            await record(request)
            await asyncio.sleep(float(request.query_params.get("s", "5")))
            return JSONResponse({"slow": True})

        return Starlette(routes=[Route("/scripted/{key}", scripted, methods=["GET", "POST"]),
                                 Route("/slow/{key}", slow, methods=["GET", "POST"])])


async def serve(app: Any, port: int) -> AsyncIterator[Any]:
    """`conftest.serving` as an async generator, for module fixtures that `async for` over it."""
    async with serving(app, port) as server:
        yield server


@pytest_asyncio.fixture(scope="module")
async def target() -> AsyncIterator[Target]:
    """A Target on a free 127.0.0.1 port for the module (import this fixture into a test module to use it)."""
    stub = Target()
    port = free_port()
    stub.url = f"http://127.0.0.1:{port}"
    async with serving(stub.app(), port):
        yield stub


async def settled(task_id: str, *, timeout_s: float = 15, statuses: frozenset[TaskStatus] = RUN_ENDING_STATES) -> Task:
    """The task once it reaches one of `statuses`; fails the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        task = await Task.get(id=task_id)
        if task.status in statuses:
            return task
        assert time.monotonic() < deadline, f"task stayed {task.status.value} for {timeout_s} s"
        await asyncio.sleep(0.05)
