"""The PostgreSQL event bus: LISTEN/NOTIFY, so every process that `start()`s it hears what any process publishes.

One dedicated connection LISTENs on the channel; `publish` sends `pg_notify` on a second connection that is
opened on first use, so processes that only publish (workers) never call `start()`. PostgreSQL delivers a
notification to every listening session, the publisher's own process included (a started bus hears its own
notices once, through the server), and notifications from one connection in the order they were sent.

When the listening connection drops (a restart, `pg_terminate_backend`, a failed health check) the bus
reconnects: at once, then after `RECONNECT_INITIAL_DELAY_S`, doubling up to `RECONNECT_MAX_DELAY_S`. Notices
sent while it was away are lost, so after reconnecting it delivers `RESCAN_NOTICES`: workspace `"*"` and id 0
mean "everyone re-read the table" (events, then log lines).

Tuned by `TASKLOOM_EVENTS_URL` (by default `TASKLOOM_DATABASE_URL`): the Tortoise options of that URL that
configure a pool (`minsize`, `maxsize`, ...) are dropped, the rest goes to asyncpg.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from domain.event_buses._common import (
    CONNECT_TIMEOUT_S,
    HEALTH_CHECK_INTERVAL_S,
    RECONNECT_INITIAL_DELAY_S,
    RECONNECT_MAX_DELAY_S,
    RESCAN_NOTICES,
    cancel_task,
    decode_notice,
    redacted,
)
from domain.events import CHANNEL, EventBus, Notice

__all__ = ["RESCAN_NOTICES", "PostgresBus"]

logger = logging.getLogger(__name__)


#: Query options of a Tortoise URL that configure Tortoise's pool: asyncpg would send them to the server as
#: settings, which it rejects.
_TORTOISE_POOL_OPTIONS = frozenset({
    "minsize", "maxsize", "min_size", "max_size", "max_queries", "max_inactive_connection_lifetime", "timeout",
    "statement_cache_size", "max_cached_statement_lifetime", "max_cacheable_statement_size", "schema",
})
_TRUE = frozenset({"1", "true", "yes", "on"})
#: What a failed connection attempt raises.
_CONNECT_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class PostgresBus(EventBus):
    """Notices over PostgreSQL LISTEN/NOTIFY on `channel`.

    Parameters:
      url: A `postgres://` or `postgresql://` URL (a Tortoise database URL works as is).
      channel: The NOTIFY channel; every process of one deployment must use the same one.
    """

    def __init__(self, url: str, *, channel: str = CHANNEL) -> None:
        super().__init__()
        self._dsn, self._connect_options = _asyncpg_dsn(url)
        self._safe_url = redacted(url)
        self._channel = channel
        self._listen_conn: asyncpg.Connection | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._lost = asyncio.Event()
        self._publish_conn: asyncpg.Connection | None = None
        self._publish_lock = asyncio.Lock()

    async def start(self) -> None:
        """LISTEN on the channel and keep listening (reconnecting) until `stop()`; a no-op when started.

        Raises:
          ConnectionError: PostgreSQL cannot be reached (or refuses the LISTEN) now.
        """
        if self._watcher is not None:
            return
        self._lost.clear()
        self._listen_conn = await self._listen()
        self._watcher = asyncio.create_task(self._watch(), name=f"PostgresBus watcher ({self._channel})")

    async def stop(self) -> None:
        """Stop listening and close both connections (waiting for a publish in flight)."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            await cancel_task(watcher)
        listen_conn, self._listen_conn = self._listen_conn, None
        if listen_conn is not None:
            await _close(listen_conn)
        async with self._publish_lock:
            publish_conn, self._publish_conn = self._publish_conn, None
        if publish_conn is not None:
            await _close(publish_conn)

    async def publish(self, notice: Notice) -> None:
        """Send `notice` to every listening process with `pg_notify` (works without `start()`).

        Raises:
          ConnectionError: PostgreSQL cannot be reached.
          asyncpg.PostgresError: PostgreSQL refused the notification.
        """
        payload = notice.encode()
        async with self._publish_lock:
            for attempt in (1, 2):
                conn = await self._publisher()
                try:
                    await conn.execute("SELECT pg_notify($1, $2)", self._channel, payload, timeout=CONNECT_TIMEOUT_S)
                    return
                except Exception:
                    # An idle connection may have died unnoticed (a restart, an idle timeout): one more try on a
                    # fresh one. A duplicate notice is harmless; subscribers read rows by id.
                    if attempt == 2 or not conn.is_closed():
                        raise
                    logger.info("the event publishing connection to %s was closed; opening another", self._safe_url)

    # -- connections ---------------------------------------------------------------------------------------

    async def _connect(self) -> asyncpg.Connection:
        try:
            return await asyncpg.connect(self._dsn, timeout=CONNECT_TIMEOUT_S, **self._connect_options)
        except _CONNECT_ERRORS as exc:
            raise ConnectionError(
                f"cannot connect to PostgreSQL at {self._safe_url} for event notices ({exc!r}); check that the "
                "server is up and TASKLOOM_EVENTS_URL (or TASKLOOM_DATABASE_URL)"
            ) from exc

    async def _publisher(self) -> asyncpg.Connection:
        if self._publish_conn is None or self._publish_conn.is_closed():
            self._publish_conn = await self._connect()
        return self._publish_conn

    async def _listen(self) -> asyncpg.Connection:
        conn = await self._connect()
        try:
            await conn.add_listener(self._channel, self._on_notification)
        except BaseException as exc:
            conn.terminate()
            if isinstance(exc, _CONNECT_ERRORS):
                raise ConnectionError(
                    f"cannot LISTEN on {self._channel!r} at PostgreSQL {self._safe_url} ({exc!r})"
                ) from exc
            raise
        conn.add_termination_listener(self._on_termination)
        return conn

    def _on_termination(self, conn: asyncpg.Connection) -> None:
        if conn is self._listen_conn:  # not one that `stop()` or a reconnect closed on purpose
            self._lost.set()

    async def _watch(self) -> None:
        """Reconnect the listening connection whenever it is lost or fails a health check; runs until `stop()`."""
        while True:
            try:
                # Not `asyncio.wait_for`: on 3.11 it swallows a cancel (from `stop()`) that lands just as `_lost`
                # is set, and the watcher would go on reconnecting.
                async with asyncio.timeout(HEALTH_CHECK_INTERVAL_S):
                    await self._lost.wait()
            except TimeoutError:
                if await self._listener_alive():
                    continue
            self._lost.clear()
            await self._reconnect()

    async def _listener_alive(self) -> bool:
        conn = self._listen_conn
        if conn is None or conn.is_closed():
            return False
        try:
            await conn.execute("SELECT 1", timeout=CONNECT_TIMEOUT_S)
        except Exception as exc:  # whatever the failure, the connection is no use any more
            logger.warning("the event listening connection to %s failed a health check (%r)", self._safe_url, exc)
            return False
        return True

    async def _reconnect(self) -> None:
        old, self._listen_conn = self._listen_conn, None
        if old is not None:
            old.terminate()  # already broken or unresponsive: no goodbye
        logger.warning("lost the event listening connection to %s; reconnecting", self._safe_url)
        delay_s = RECONNECT_INITIAL_DELAY_S
        while True:
            try:
                self._listen_conn = await self._listen()
                break
            except ConnectionError as exc:
                logger.warning("%s; next attempt in %.1f s", exc, delay_s)
                await asyncio.sleep(delay_s)
                delay_s = min(delay_s * 2, RECONNECT_MAX_DELAY_S)
        logger.info("listening for events at %s again; asking subscribers to re-scan", self._safe_url)
        for notice in RESCAN_NOTICES:
            self._deliver(notice)

    # -- receiving -----------------------------------------------------------------------------------------

    def _on_notification(self, conn: object, pid: int, channel: str, payload: str) -> None:
        notice = decode_notice(payload, channel)
        if notice is not None:
            self._deliver(notice)




async def _close(conn: asyncpg.Connection) -> None:
    try:
        await conn.close(timeout=CONNECT_TIMEOUT_S)
    except Exception:  # closing politely failed: drop the socket
        conn.terminate()


def _asyncpg_dsn(url: str) -> tuple[str, dict[str, Any]]:
    """An asyncpg DSN and connect options for a Tortoise-style URL (its pool options dropped, `ssl=` mapped)."""
    parts = urlsplit(url)
    options: dict[str, Any] = {}
    query = []
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "ssl":
            options["ssl"] = value.lower() in _TRUE
        elif key not in _TORTOISE_POOL_OPTIONS:
            query.append((key, value))
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), "")), options
