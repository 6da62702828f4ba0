"""The PostgreSQL (LISTEN/NOTIFY) and Redis (pub/sub) event buses against real servers on 127.0.0.1.

Every test runs once per bus, on a channel of its own, so concurrent runs never hear each other. Two bus
instances stand for two processes; one test uses a real second process. A server that is not reachable
skips the test (fails it when CI=true).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest
from conftest import PG_SERVER_URL, service_unavailable
from redis.asyncio import Redis
from redis.exceptions import RedisError

from domain.event_buses.postgres import PostgresBus
from domain.event_buses.redis import RedisBus
from domain.events import EventBus, Notice

PG_URL = PG_SERVER_URL or "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/6"
#: How long a notice may take to arrive (a reconnect included).
WAIT_S = 5.0
RESCAN = [Notice("event", 0, "*"), Notice("log", 0, "*")]
REPO_ROOT = Path(__file__).resolve().parents[2]

#: Run by a second Python process: publish 5 notices with a fresh, never-started bus.
PUBLISHER_SCRIPT = """
import asyncio, importlib, sys
from domain.events import Notice
module, name, url, channel = sys.argv[1:]
bus = getattr(importlib.import_module(module), name)(url, channel=channel)
async def main():
    for i in range(1, 6):
        await bus.publish(Notice("event", i, "ws-child"))
    await bus.stop()
asyncio.run(main())
"""


class Backend:
    """One bus implementation on a fresh channel, with the hooks its tests need; stops its buses afterwards."""

    url: str

    def __init__(self) -> None:
        self.channel = f"taskloom_test_{uuid.uuid4().hex[:12]}"
        self.buses: list[EventBus] = []

    def bus(self, url: str | None = None) -> EventBus:
        bus = self._make(url or self.url)
        self.buses.append(bus)
        return bus

    def _make(self, url: str) -> EventBus:
        raise NotImplementedError

    async def check(self) -> None:
        """Skip (or fail in CI) when the server does not answer."""
        raise NotImplementedError

    async def send_raw(self, payload: str) -> None:
        """Put `payload` on the channel as is, as a stranger would."""
        raise NotImplementedError

    async def cut_listener(self) -> None:
        """Kill, on the server's side, the connection the started bus listens on."""
        raise NotImplementedError

    async def listening(self) -> int:
        """How many connections listen on the channel."""
        raise NotImplementedError


class PostgresBackend(Backend):
    url = PG_URL

    def _make(self, url: str) -> EventBus:
        return PostgresBus(url, channel=self.channel)

    @contextlib.asynccontextmanager
    async def _admin(self) -> AsyncIterator[asyncpg.Connection]:
        conn = await asyncpg.connect(self.url.replace("postgres://", "postgresql://", 1), timeout=2)
        try:
            yield conn
        finally:
            await conn.close()

    async def check(self) -> None:
        try:
            async with self._admin():
                pass
        except (OSError, asyncpg.PostgresError) as exc:
            service_unavailable(f"PostgreSQL at {self.url} ({exc!r})")

    async def send_raw(self, payload: str) -> None:
        async with self._admin() as conn:
            await conn.execute("SELECT pg_notify($1, $2)", self.channel, payload)

    async def cut_listener(self) -> None:
        async with self._admin() as conn:
            killed = await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = $1",
                f'LISTEN "{self.channel}"',
            )
        assert killed == 1

    async def listening(self) -> int:
        async with self._admin() as conn:
            count: int = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE query = $1", f'LISTEN "{self.channel}"'
            )
        return count


class RedisBackend(Backend):
    url = REDIS_URL

    def _make(self, url: str) -> EventBus:
        # The channel as client name: the reconnect test kills this bus's subscriber and no one else's.
        return RedisBus(url, channel=self.channel, client_name=self.channel)

    @contextlib.asynccontextmanager
    async def _admin(self) -> AsyncIterator[Redis]:
        client = Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=2)
        try:
            yield client
        finally:
            await client.aclose()

    async def check(self) -> None:
        try:
            async with self._admin() as client:
                await client.ping()
        except (OSError, RedisError) as exc:
            service_unavailable(f"Redis at {self.url} ({exc!r})")

    async def send_raw(self, payload: str) -> None:
        async with self._admin() as client:
            await client.publish(self.channel, payload)

    async def cut_listener(self) -> None:
        async with self._admin() as client:
            ids = [c["id"] for c in await client.client_list(_type="pubsub") if c["name"] == self.channel]
            assert len(ids) == 1
            await client.client_kill_filter(_id=ids[0])

    async def listening(self) -> int:
        async with self._admin() as client:
            [(_, count)] = await client.pubsub_numsub(self.channel)
        return int(count)


@pytest.fixture(params=[pytest.param(PostgresBackend, id="postgres"), pytest.param(RedisBackend, id="redis")])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    backend: Backend = request.param()
    await backend.check()
    yield backend
    for bus in backend.buses:
        await bus.stop()


class Outage:
    """A TCP proxy in front of a server on 127.0.0.1 that can go away (dropping every connection, refusing new
    ones) and come back on the same port: a server restart, seen from the bus."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    async def up(self) -> None:
        self._server = await asyncio.start_server(self._proxy, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _proxy(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        for reader, writer in [(client_r, server_w), (server_r, client_w)]:
            pipe = asyncio.create_task(self._pipe(reader, writer))
            self._pipes.add(pipe)
            pipe.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


def at_port(url: str, port: int) -> str:
    """`url` pointing at 127.0.0.1:`port`, its user and password kept."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    return parts._replace(netloc=f"{userinfo}@127.0.0.1:{port}" if userinfo else f"127.0.0.1:{port}").geturl()


def inbox(bus: EventBus) -> list[Notice]:
    """The notices `bus` delivers, in delivery order."""
    notices: list[Notice] = []
    bus.add_listener(notices.append)
    return notices


async def eventually(check: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        await asyncio.sleep(0.01)


def notices(count: int, start: int = 1) -> list[Notice]:
    return [Notice("event" if i % 3 else "log", i, f"ws-{i % 4}") for i in range(start, start + count)]


async def test_notices_from_a_never_started_bus_reach_another_bus_in_order(backend: Backend) -> None:
    # Given a started bus (an API process) and a bus that only publishes (a worker process)
    listener, publisher = backend.bus(), backend.bus()
    received = inbox(listener)
    await listener.start()

    # When the publisher sends 50 notices
    sent = notices(50)
    for notice in sent:
        await publisher.publish(notice)

    # Then the listener gets all of them, in order
    await eventually(lambda: len(received) >= 50, "50 notices")
    assert received == sent


async def test_started_bus_hears_its_own_notices_once(backend: Backend) -> None:
    bus = backend.bus()
    received = inbox(bus)
    await bus.start()

    for notice in notices(3):
        await bus.publish(notice)

    await eventually(lambda: len(received) >= 3, "3 notices")
    await asyncio.sleep(0.2)
    assert received == notices(3)


async def test_malformed_payloads_are_logged_and_ignored(backend: Backend, caplog: pytest.LogCaptureFixture) -> None:
    listener = backend.bus()
    received = inbox(listener)
    await listener.start()

    with caplog.at_level(logging.WARNING):
        for garbage in ["not json", "[1, 2]", '{"kind": "event"}', '{"kind": "bogus", "id": 1, "workspace_id": "w"}']:
            await backend.send_raw(garbage)
        await backend.bus().publish(Notice("event", 7, "ws"))
        await eventually(lambda: len(received) >= 1, "the valid notice")

    assert received == [Notice("event", 7, "ws")]
    assert sum("malformed notice" in r.getMessage() for r in caplog.records) == 4


async def test_stop_releases_the_connection_and_is_idempotent(backend: Backend) -> None:
    bus = backend.bus()
    received = inbox(bus)
    await bus.start()
    await bus.start()  # a second start is a no-op
    assert await backend.listening() == 1

    await bus.stop()
    await bus.stop()
    assert await backend.listening() == 0
    await backend.bus().publish(Notice("event", 1, "ws"))
    await asyncio.sleep(0.2)
    assert received == []

    # And it can start again
    await bus.start()
    await backend.bus().publish(Notice("event", 2, "ws"))
    await eventually(lambda: received == [Notice("event", 2, "ws")], "the notice after a restart")


async def test_notices_from_another_process_arrive(backend: Backend) -> None:
    listener = backend.bus()
    received = inbox(listener)
    await listener.start()
    cls = type(listener)

    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PUBLISHER_SCRIPT, cls.__module__, cls.__name__, backend.url, backend.channel,
        cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(child.communicate(), 20)
    assert child.returncode == 0, stderr.decode()

    await eventually(lambda: len(received) >= 5, "5 notices from the child process")
    assert received == [Notice("event", i, "ws-child") for i in range(1, 6)]


async def test_lost_connection_is_restored_and_subscribers_asked_to_rescan(backend: Backend) -> None:
    # Given a started bus that has heard one notice
    listener, publisher = backend.bus(), backend.bus()
    received = inbox(listener)
    await listener.start()
    await publisher.publish(Notice("event", 1, "ws"))
    await eventually(lambda: len(received) == 1, "the first notice")

    # When the server drops its connection
    await backend.cut_listener()

    # Then it reconnects and asks everyone to re-scan, and new notices arrive again
    await eventually(lambda: len(received) == 3, "the re-scan notices")
    assert received[1:] == RESCAN
    await publisher.publish(Notice("event", 2, "ws"))
    await eventually(lambda: len(received) == 4, "the notice after the reconnect")
    assert received[3] == Notice("event", 2, "ws")
    assert await backend.listening() == 1


async def test_bus_retries_with_backoff_while_the_server_is_away(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a started bus that reaches its server through a proxy
    target = urlsplit(backend.url)
    outage = Outage(target.port or 0)
    await outage.up()
    try:
        listener = backend.bus(at_port(backend.url, outage.port))
        received = inbox(listener)
        await listener.start()

        # When the server goes away for a while (the first attempts are refused), then comes back
        with caplog.at_level(logging.WARNING):
            await outage.down()
            await asyncio.sleep(1.2)
            await outage.up()
            await eventually(lambda: len(received) == 2, "the re-scan notices")

        # Then the bus retried after 0.5 s, then 1 s, reconnected, asked for a re-scan, and hears new notices
        delays = [r.getMessage().rpartition("next attempt in ")[2] for r in caplog.records if "next attempt" in r.getMessage()]
        assert delays[:2] == ["0.5 s", "1.0 s"]
        assert received == RESCAN
        await backend.bus().publish(Notice("event", 3, "ws"))
        await eventually(lambda: len(received) == 3, "the notice after the outage")
    finally:
        await outage.down()


@pytest.mark.parametrize(("bus_class", "url"), [
    pytest.param(PostgresBus, "postgres://postgres:s3cret@127.0.0.1:{port}/postgres", id="postgres"),
    pytest.param(RedisBus, "redis://:s3cret@127.0.0.1:{port}/6", id="redis"),
])
async def test_start_and_publish_fail_clearly_when_the_server_is_down(bus_class: type[EventBus], url: str) -> None:
    # A bound socket that never listens: connecting to its port is refused at once.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        bus = bus_class(url.format(port=port))  # type: ignore[call-arg]

        with pytest.raises(ConnectionError) as caught:
            await bus.start()
        assert f"127.0.0.1:{port}" in str(caught.value)
        assert "s3cret" not in str(caught.value)
        with pytest.raises((OSError, RedisError)):
            await bus.publish(Notice("event", 1, "ws"))
        await bus.stop()


async def test_notify_sends_without_waiting_and_folds_what_piles_up(backend: Backend) -> None:
    # Given a listening bus and a publishing one
    listener, publisher = backend.bus(), backend.bus()
    received = inbox(listener)
    await listener.start()

    # When 200 notices of two workspaces are handed over in one go (a busy worker's batches, back to back)
    for i in range(1, 201):
        publisher.notify(Notice("event", i, f"ws-{i % 2}"))

    # Then each workspace hears its newest notice, and far fewer than 200 went out
    await eventually(lambda: {n.id for n in received} >= {199, 200}, "the newest notice of each workspace")
    await asyncio.sleep(0.2)
    assert len(received) < 200
    assert [n.id for n in received if n.workspace_id == "ws-1"][-1] == 199
    assert [n.id for n in received if n.workspace_id == "ws-0"][-1] == 200


@pytest.mark.parametrize(("bus_class", "url"), [
    pytest.param(PostgresBus, "postgres://postgres@127.0.0.1:{port}/postgres", id="postgres"),
    pytest.param(RedisBus, "redis://127.0.0.1:{port}/6", id="redis"),
])
async def test_notify_logs_a_failed_publish(bus_class: type[EventBus], url: str, caplog: pytest.LogCaptureFixture,
                                            ) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        bus = bus_class(url.format(port=closed.getsockname()[1]))  # type: ignore[call-arg]
        with caplog.at_level(logging.ERROR, logger="domain.events"):
            bus.notify(Notice("event", 5, "ws"))  # returns at once; the failure comes later, in the log
            await eventually(lambda: any("publishing event notice 5 failed" in r.getMessage()
                                         for r in caplog.records), "the failure in the log")
        await bus.stop()
