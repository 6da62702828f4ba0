"""Pieces of the broker tests: real `taskloom worker` processes, a private redis-server, broker checks and
purges, a target whose first call stalls, and the scheduler loop running on the test's event loop.

Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import free_port, service_unavailable
from engine_support import Target
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from domain.services.effects import Effects
from domain.settings import Settings
from workers.broker import DELIVERY_QUEUE, TASK_QUEUES
from workers.scheduler import Scheduler

#: The machine's shared services (STACK_NOTES.md), on a Redis DB number no other test uses.
SHARED_REDIS_URL = "redis://127.0.0.1:6379/7"
SHARED_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
#: Every queue the actors use (dramatiq adds the .DQ and .XQ companions of each).
QUEUES = [queue for queue, _ in TASK_QUEUES.values()] + [DELIVERY_QUEUE]
#: What a worker process logs once it consumes (dramatiq's own line).
READY_LINE = "Worker process is ready for action."
#: What its consumers log when the broker went away (dramatiq's own line).
BROKER_LOST_LINE = "Consumer encountered a connection error"
#: The timings of the brief: heartbeats every 0.3 s, lost after 2 s of silence, unclaimed re-sent after 1 s.
FAST_TIMINGS = {
    "heartbeat_s": 0.3, "lost_after_s": 2, "redispatch_after_s": 1, "retry_base_s": 0.05, "retry_cap_s": 0.2,
}
TASKLOOM = Path(sys.executable).with_name("taskloom")


# -- the brokers -------------------------------------------------------------------------------------------

def reachable(url: str) -> str | None:
    """None when the broker at `url` answers, else why not."""
    try:
        if url.startswith("redis://"):
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
            try:
                client.ping()
            finally:
                client.close()
        else:
            import pika

            params = pika.URLParameters(url)
            params.connection_attempts, params.socket_timeout, params.blocked_connection_timeout = 1, 2, 2
            pika.BlockingConnection(params).close()
    except Exception as exc:
        return repr(exc)
    return None


def require(url: str, what: str) -> None:
    problem = reachable(url)
    if problem is not None:
        service_unavailable(f"{what} at {url} ({problem})")


def purge(url: str) -> None:
    """Drop every message of Taskloom's queues: FLUSHDB on Redis, a purge of each queue and its companions
    (.DQ, .XQ) on RabbitMQ (a queue that does not exist yet is skipped by dramatiq's `flush`)."""
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            client.flushdb()
        finally:
            client.close()
        return
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    broker = RabbitmqBroker(url=url, middleware=[])
    try:
        for queue in QUEUES:
            broker.declare_queue(queue)
        broker.flush_all()
    finally:
        broker.close()


def waiting_messages(url: str, queue: str) -> int:
    """Messages of `queue` not yet acknowledged (Redis: waiting or being worked on; RabbitMQ: waiting)."""
    if url.startswith("redis://"):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        try:
            return int(client.hlen(f"dramatiq:{queue}.msgs"))
        finally:
            client.close()
    from dramatiq.brokers.rabbitmq import RabbitmqBroker

    broker = RabbitmqBroker(url=url, middleware=[])
    try:
        return sum(broker.get_queue_message_counts(queue))
    finally:
        broker.close()


# -- processes ---------------------------------------------------------------------------------------------

def _wait_for_port(port: int, timeout_s: float) -> bool:
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
        time.sleep(0.02)
    return False


@dataclass
class RedisServer:
    """A private `redis-server` on a loopback port, for drills that stop the broker (never the shared one)."""

    port: int
    folder: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            service_unavailable("redis-server (the binary, for a private instance)")
        assert binary is not None
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        if not _wait_for_port(self.port, 5):
            self.stop()
            raise AssertionError(f"the private redis-server did not listen on 127.0.0.1:{self.port} within 5 s")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server on a free loopback port, for tests that stop the broker (import it as a fixture)."""
    server = RedisServer(port=free_port(), folder=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def worker_env(database_url: str, broker_url: str, artifacts: Path) -> dict[str, str]:
    """The environment of a worker process: the test database and broker, loopback allowed, fast timings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
    env.update({f"TASKLOOM_{name.upper()}": str(value) for name, value in FAST_TIMINGS.items()})
    env.update(
        TASKLOOM_DATABASE_URL=database_url,
        TASKLOOM_BROKER_URL=broker_url,
        TASKLOOM_EGRESS_ALLOWLIST="127.0.0.1",
        TASKLOOM_ARTIFACTS_DIR=str(artifacts),
        PYTHONUNBUFFERED="1",
        # dramatiq's pause before a consumer reconnects after a broker error (default 3000 ms): shorter, so
        # the broker-down drill does not wait seconds for consumers that gave up while the broker was away.
        dramatiq_restart_delay="300",
    )
    return env


@dataclass
class WorkerProcess:
    """`taskloom worker` (dramatiq's main process and its forked worker process) in a session of its own,
    so that one `killpg` reaches every process it started."""

    proc: subprocess.Popen[bytes]
    log_path: Path

    @classmethod
    def start(cls, *, database_url: str, broker_url: str, folder: Path, name: str, threads: int = 4) -> WorkerProcess:
        folder.mkdir(parents=True, exist_ok=True)
        log_path = folder / f"{name}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [str(TASKLOOM), "worker", "--processes", "1", "--threads", str(threads)],
                env=worker_env(database_url, broker_url, folder / "artifacts"), cwd=folder,  # no stray .env
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        return cls(proc, log_path)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def logged(self, text: str, *, timeout_s: float = 20) -> None:
        """Return once `text` is in the worker's log; fail with the log if it exits or takes too long."""
        deadline = time.monotonic() + timeout_s
        while text not in self.log():
            assert self.proc.poll() is None, f"taskloom worker exited with {self.proc.returncode}:\n{self.log()}"
            assert time.monotonic() < deadline, f"{text!r} not logged within {timeout_s} s:\n{self.log()}"
            await asyncio.sleep(0.05)

    async def ready(self) -> None:
        """Return once the worker process consumes."""
        await self.logged(READY_LINE)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """`kill -9` of the whole process group, then reap the main process (idempotent)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


# -- the target and the scheduler ----------------------------------------------------------------------------

#: How long the first call of a stall-once path hangs (the worker running it is killed well before).
STALL_S = 60.0


@dataclass
class DrillTarget(Target):
    """The engine tests' Target plus `/stall-once/<key>`: the first call hangs, the later ones answer 200."""

    released: asyncio.Event = field(default_factory=asyncio.Event)

    def stall_once(self, key: str) -> str:
        return f"{self.url}/stall-once/{key}"

    def app(self) -> Starlette:
        app = super().app()

        async def stall_once(request: Request) -> Response:
            key = request.path_params["key"]
            first = not self.hits(key)
            self.seen.append({"path": request.url.path, "method": request.method, "headers": dict(request.headers),
                              "body": await request.body(), "at": time.time()})
            if first:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.released.wait(), STALL_S)
            return JSONResponse({"first": first})

        app.router.routes.append(Route("/stall-once/{key}", stall_once, methods=["GET", "POST"]))
        return app


@contextlib.asynccontextmanager
async def scheduling(settings: Settings, effects: Effects, *, tick_s: float = 0.1) -> AsyncIterator[Scheduler]:
    """The scheduler loop (`Scheduler.run`, as `taskloom scheduler` runs it) on this event loop, fast ticks."""
    from workers.broker import DramatiqDispatcher

    assert isinstance(effects.dispatcher, DramatiqDispatcher)
    scheduler = Scheduler(settings, effects, deliver=effects.dispatcher.deliver, tick_s=tick_s)
    running = asyncio.ensure_future(scheduler.run())
    try:
        yield scheduler
    finally:
        scheduler.stop()
        await running
