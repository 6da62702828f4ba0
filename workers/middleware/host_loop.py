"""Run async actors on an event loop the process already has (the API's, in the embedded mode).

Dramatiq's `AsyncIO` middleware starts a loop thread of its own; inside `taskloom serve` the actors must
share the API's loop instead, so that they share its database connections.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import dramatiq
from dramatiq.asyncio import EventLoopThread, set_event_loop_thread
from dramatiq.middleware import Middleware

__all__ = ["HostLoop"]


class _HostLoopThread(EventLoopThread):
    """An EventLoopThread over a loop that something else runs: nothing to start or stop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        threading.Thread.__init__(self, daemon=True)
        self.interrupt_check_ival = 0.1
        self.logger = logging.getLogger(__name__)
        self.loop = loop

    def start(self, *, timeout: float | None = None) -> None:
        return None

    def stop(self) -> None:
        return None


class HostLoop(Middleware):
    """Point dramatiq's async actors at `loop` for as long as the worker runs."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def before_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        set_event_loop_thread(_HostLoopThread(self.loop))

    def after_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        set_event_loop_thread(None)
