"""The engine as the API process sees it: the broker to dispatch to and, on `memory://`, the workers and the
scheduler running inside the same process (the embedded default of `taskloom serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import dramatiq

from domain.services.effects import Effects
from domain.settings import Settings
from workers.broker import DramatiqDispatcher, setup_broker
from workers.middleware.resources import WorkerRuntime, worker_name
from workers.scheduler import Scheduler

__all__ = ["DEFAULT_EMBEDDED_THREADS", "engine"]

logger = logging.getLogger(__name__)

#: Worker threads inside `taskloom serve`: tasks are I/O-bound, each holds a thread while it runs.
DEFAULT_EMBEDDED_THREADS = 16


@contextlib.asynccontextmanager
async def engine(settings: Settings, effects: Effects, *, threads: int = DEFAULT_EMBEDDED_THREADS,
                 scheduler: bool = True) -> AsyncIterator[dramatiq.Broker]:
    """Point `effects` at the broker for as long as the block runs; on `memory://` run workers and the
    scheduler meanwhile. Yields the broker.

    Must be entered on the loop that serves the API: embedded actors run their coroutines on it.
    """
    from workers.http import build_http_client

    embedded = settings.broker_url.startswith("memory://")
    runtime = WorkerRuntime(settings, build_http_client(settings), effects, worker_name()) if embedded else None
    broker = setup_broker(settings, host_loop=asyncio.get_running_loop() if embedded else None, runtime=runtime)
    dispatcher = DramatiqDispatcher(broker)
    effects.dispatcher = dispatcher
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100) if embedded else None
    loop_task = None
    ticker = Scheduler(settings, effects, deliver=dispatcher.deliver)
    try:
        if worker is not None:
            worker.start()
            if scheduler:
                loop_task = asyncio.ensure_future(ticker.run())
            logger.info("embedded engine: %d worker threads%s", threads, " and the scheduler" if scheduler else "")
        yield broker
    finally:
        ticker.stop()
        if loop_task is not None:
            await loop_task
        if worker is not None:
            # Worker threads wait on coroutines of this loop: stop them from another thread.
            await asyncio.to_thread(worker.stop)
        if runtime is not None:
            await runtime.close_browser()
            await runtime.close_http()
        broker.close()
