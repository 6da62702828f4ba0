"""A worker process's resources: Tortoise, the shared httpx and aiohttp clients, the effects (dispatcher, bus).

Opened in `before_worker_boot` on the async actors' loop and closed in `before_worker_shutdown`. In the
embedded mode the API already opened them, and passes a ready `WorkerRuntime` instead.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import dramatiq
import httpx
from dramatiq.asyncio import get_event_loop_thread
from dramatiq.middleware import Middleware
from tortoise import Tortoise, connections

from domain.db import tortoise_config
from domain.egress import EgressPolicy
from domain.gc_tuning import tune_gc
from domain.services.effects import Effects
from domain.services.runs import RetryPolicy
from domain.settings import Settings

if TYPE_CHECKING:
    from workers.artifacts import ArtifactStore
    from workers.browser import BrowserPool
    from workers.direct_http import DirectClient
    from workers.webhooks import WebhookSender

__all__ = ["Resources", "WorkerRuntime", "get_runtime"]

logger = logging.getLogger(__name__)


@dataclass
class WorkerRuntime:
    """What the runner and the delivery actor need, built once per process."""

    settings: Settings
    http: httpx.AsyncClient
    effects: Effects
    worker_id: str
    _sender: WebhookSender | None = field(default=None, repr=False)
    _browser: BrowserPool | None = field(default=None, repr=False)
    _direct_http: DirectClient | None = field(default=None, repr=False)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(base_s=self.settings.retry_base_s, cap_s=self.settings.retry_cap_s)

    @property
    def webhook_sender(self) -> WebhookSender:
        """The process's webhook sender, on the shared client (built on first use)."""
        if self._sender is None:
            from domain.services.messages import parse_schedule
            from workers.webhooks import WebhookSender

            self._sender = WebhookSender(
                client=self.http, egress=EgressPolicy.from_setting(self.settings.egress_allowlist),
                timeout_s=self.settings.webhook_timeout_s, schedule=parse_schedule(self.settings.webhook_schedule),
            )
        return self._sender

    @property
    def direct_http(self) -> DirectClient:
        """The API_CALL executor's aiohttp client, egress-guarded like the shared one (built on first use)."""
        if self._direct_http is None:
            from workers.direct_http import DirectClient

            self._direct_http = DirectClient(EgressPolicy.from_setting(self.settings.egress_allowlist))
        return self._direct_http

    @property
    def browser_pool(self) -> BrowserPool:
        """The process's browser pool (built on first use; Chromium starts on the first browser task)."""
        if self._browser is None:
            from workers.browser import BrowserPool

            self._browser = BrowserPool(self.settings)
        return self._browser

    @functools.cached_property
    def artifact_store(self) -> ArtifactStore:
        """Where screenshots go: the filesystem under TASKLOOM_ARTIFACTS_DIR (made on first use)."""
        from workers.artifacts import FilesystemStore

        return FilesystemStore(self.settings.artifacts_dir)

    async def close_browser(self) -> None:
        """Close the browser pool, if one was started."""
        if self._browser is not None:
            await self._browser.close()
            self._browser = None

    async def close_http(self) -> None:
        """Close the shared httpx client and the API_CALL executor's aiohttp client."""
        await self.http.aclose()
        if self._direct_http is not None:
            await self._direct_http.aclose()
            self._direct_http = None


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Resources(Middleware):
    """Owns the WorkerRuntime of this process; `get_runtime()` finds it through the broker."""

    def __init__(self, settings: Settings, *, runtime: WorkerRuntime | None = None) -> None:
        self.settings = settings
        self.runtime = runtime
        self._owned = runtime is None

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        # Before boot, not after: dramatiq starts consuming before after_worker_boot, and a message taken
        # then would find no runtime. AsyncIO (earlier in the list) has started its loop by now.
        if not self._owned:
            return
        from workers.http import build_http_client

        loop_thread = get_event_loop_thread()
        assert loop_thread is not None, "list the AsyncIO middleware before Resources"

        async def open_() -> WorkerRuntime:
            await Tortoise.init(config=tortoise_config(self.settings.database_url), _enable_global_fallback=True)
            from workers.broker import worker_effects

            effects = worker_effects(broker, self.settings)
            return WorkerRuntime(self.settings, build_http_client(self.settings), effects, worker_name())

        self.runtime = loop_thread.run_coroutine(open_())
        tune_gc(self.settings.gc_threshold)  # a worker process of its own: it has started up
        # Dramatiq's consumers (made after this hook) back off to this between asks of an idle Redis queue.
        worker.worker_timeout = self.settings.worker_poll_ms
        logger.info("worker %s ready; consumers ask for messages at least every %d ms while idle",
                    self.runtime.worker_id, worker.worker_timeout)

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        if not self._owned or self.runtime is None:
            return
        loop_thread = get_event_loop_thread()
        runtime = self.runtime

        async def close() -> None:
            await runtime.close_browser()
            await runtime.close_http()
            await connections.close_all()

        if loop_thread is not None:
            loop_thread.run_coroutine(close())


def get_runtime() -> WorkerRuntime:
    """The runtime of this process (set up by the Resources middleware of the current broker)."""
    for middleware in dramatiq.get_broker().middleware:
        if isinstance(middleware, Resources) and middleware.runtime is not None:
            return middleware.runtime
    raise RuntimeError("no worker runtime: is the Resources middleware in the broker's list and booted?")
