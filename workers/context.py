"""What an executor gets for one attempt: its collaborators, the deadline and a way to report progress."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from domain.services.execution_logs import LineDraft
from domain.settings import Settings
from workers.direct_http import DirectClient

__all__ = ["ExecutionContext", "ExecutorResult", "LogLine", "session_recorder"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExecutorResult:
    """What a successful attempt produced: the task's `result` and a one-line `resultSummary`."""

    output: dict[str, Any]
    summary: str
    steps: list[dict[str, Any]] | None = None


#: One `ctx.log` line: the domain's LineDraft, stored as it is by the LogWriter.
LogLine = LineDraft


@dataclass
class ExecutionContext:
    """One attempt's view of the world. Executors never import `api/` and never query the ORM themselves.

    Attributes:
        http: the process's shared, egress-guarded httpx client.
        direct_http: the process's egress-guarded aiohttp client of the API_CALL executor.
        browser: the process's browser pool (`workers.browser.BrowserPool`), for browser executors.
        artifacts: where screenshots and other files go (`workers.artifacts.ArtifactStore`).
        steps: a browser executor's step records, recorded on the execution even when the attempt fails.
        deadline: `loop.time()` by which the attempt must end (the task's timeoutSeconds).
        cancelled: true once cancelTask asked the attempt to stop; long executors check it between steps.
    """

    task_id: str
    execution_id: str
    workspace_id: str
    attempt: int
    http: httpx.AsyncClient
    settings: Settings
    deadline: float
    source_webhook_id: str | None = None
    scheduled_for: datetime | None = None
    cancelled: Callable[[], bool] = lambda: False
    outbound_message_ids: list[str] = field(default_factory=list)
    lines: list[LogLine] = field(default_factory=list)
    on_line: Callable[[LogLine], Any] | None = None
    browser: Any = None  # workers.browser.BrowserPool of the process (None where no browser is available)
    artifacts: Any = None  # workers.artifacts.ArtifactStore
    direct_http: DirectClient = field(default_factory=DirectClient)
    steps: list[dict[str, Any]] | None = None  # step records so far; kept on the execution, failed or not

    def log(self, message: str, *, level: str = "INFO", step: int | None = None) -> None:
        """Report progress: kept with the execution and streamed to `executionLog` subscribers."""
        line = LogLine(datetime.now(UTC), level, message, step)
        self.lines.append(line)
        logger.log(logging.getLevelName(level), "task %r execution %r: %s", self.task_id, self.execution_id, message)
        if self.on_line is not None:
            self.on_line(line)

    def remaining_s(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self.deadline - asyncio.get_running_loop().time())


def session_recorder(ctx: ExecutionContext) -> Callable[[str, str | None], Awaitable[None]]:
    """`BrowserPool.context(on_session=...)` for this attempt: records the remote session on the execution."""

    async def record(session_id: str, debug_url: str | None) -> None:
        from domain.services.runs import record_browser_session

        await record_browser_session(ctx.execution_id, session_id, debug_url)
        ctx.log(f"remote browser session {session_id}" + (f", live view: {debug_url}" if debug_url else ""))

    return record
