"""The Redis event bus: pub/sub, so every process that `start()`s it hears what any process publishes.

A started bus keeps one subscriber connection, read by a task; `publish` sends PUBLISH on a client created on
first use, so processes that only publish (workers) never call `start()`. Redis delivers a message to every
subscriber, the publisher's own process included, and messages from one connection in the order they were
sent. Channels are server-wide: the database number of the URL does not separate them, the channel name does.

When the subscriber connection drops (a restart, `CLIENT KILL`) the bus reconnects: at once, then after
`RECONNECT_INITIAL_DELAY_S`, doubling up to `RECONNECT_MAX_DELAY_S`. Messages sent while it was away are lost,
so after reconnecting it delivers `RESCAN_NOTICES`: workspace `"*"` and id 0 mean "everyone re-read the
table" (events, then log lines). Redis-py's own transparent reconnect is turned off on the subscriber so that
no reconnect goes unnoticed.

Tuned by `TASKLOOM_EVENTS_URL` (by default the broker's `TASKLOOM_BROKER_URL` when that is Redis).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

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

__all__ = ["RESCAN_NOTICES", "RedisBus"]

logger = logging.getLogger(__name__)

#: The name the bus's connections carry in `CLIENT LIST`.
DEFAULT_CLIENT_NAME = "taskloom-events"



class RedisBus(EventBus):
    """Notices over Redis pub/sub on `channel`.

    Parameters:
      url: A `redis://` or `rediss://` URL.
      channel: The pub/sub channel; every process of one deployment must use the same one.
      client_name: The name both connections carry in `CLIENT LIST`.
    """

    def __init__(self, url: str, *, channel: str = CHANNEL, client_name: str = DEFAULT_CLIENT_NAME) -> None:
        super().__init__()
        self._url = url
        self._safe_url = redacted(url)
        self._channel = channel
        self._client_name = client_name
        self._publisher: Redis | None = None
        self._subscriber: Redis | None = None
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """SUBSCRIBE to the channel and keep reading (reconnecting) until `stop()`; a no-op when started.

        Raises:
          ConnectionError: Redis cannot be reached now.
        """
        if self._reader is not None:
            return
        await self._subscribe()
        self._reader = asyncio.create_task(self._read(), name=f"RedisBus reader ({self._channel})")

    async def stop(self) -> None:
        """Stop reading and close both clients."""
        reader, self._reader = self._reader, None
        if reader is not None:
            await cancel_task(reader)
        await self._unsubscribe()
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.aclose()

    async def publish(self, notice: Notice) -> None:
        """Send `notice` to every subscribed process with PUBLISH (works without `start()`).

        Raises:
          redis.exceptions.RedisError: Redis cannot be reached or refused the command.
        """
        if self._publisher is None:
            self._publisher = Redis.from_url(
                self._url, client_name=self._client_name, socket_connect_timeout=CONNECT_TIMEOUT_S,
                socket_timeout=CONNECT_TIMEOUT_S,
                # One immediate retry on a fresh connection (a pooled one may have died while idle), no more: a
                # failed publish is logged by the caller and the next notice (or a re-scan) catches up.
                retry=Retry(NoBackoff(), 1),
            )
        await self._publisher.publish(self._channel, notice.encode())

    # -- the subscriber ------------------------------------------------------------------------------------

    async def _subscribe(self) -> None:
        client = Redis.from_url(
            self._url, client_name=self._client_name, socket_connect_timeout=CONNECT_TIMEOUT_S,
            socket_keepalive=True, health_check_interval=HEALTH_CHECK_INTERVAL_S,
            # No transparent reconnect: a lost connection must reach `_read`, which re-scans after reconnecting.
            retry=Retry(NoBackoff(), 0, supported_errors=()),
        )
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(self._channel)
            await _confirmed(pubsub)
        except BaseException as exc:
            await _close(client, pubsub)
            if isinstance(exc, (RedisError, OSError)):
                raise ConnectionError(
                    f"cannot subscribe to {self._channel!r} at Redis {self._safe_url} for event notices ({exc!r}); "
                    "check that the server is up and TASKLOOM_EVENTS_URL (or TASKLOOM_BROKER_URL)"
                ) from exc
            raise
        self._subscriber, self._pubsub = client, pubsub

    async def _unsubscribe(self) -> None:
        client, pubsub = self._subscriber, self._pubsub
        self._subscriber = self._pubsub = None
        if client is not None and pubsub is not None:
            await _close(client, pubsub)

    async def _read(self) -> None:
        """Deliver every message, reconnecting whenever the connection is lost; runs until `stop()`."""
        while True:
            try:
                await self._pump()
            except (RedisError, OSError) as exc:
                logger.warning("lost the event subscriber connection to %s (%r); reconnecting", self._safe_url, exc)
            except Exception:  # a bug must not end live events for good: log it, start afresh
                logger.exception("the event subscriber for %s failed; reconnecting", self._safe_url)
            await self._unsubscribe()
            delay_s = RECONNECT_INITIAL_DELAY_S
            while True:
                try:
                    await self._subscribe()
                    break
                except ConnectionError as exc:
                    logger.warning("%s; next attempt in %.1f s", exc, delay_s)
                    await asyncio.sleep(delay_s)
                    delay_s = min(delay_s * 2, RECONNECT_MAX_DELAY_S)
            logger.info("subscribed for events at %s again; asking subscribers to re-scan", self._safe_url)
            for notice in RESCAN_NOTICES:
                self._deliver(notice)

    async def _pump(self) -> None:
        pubsub = self._pubsub
        assert pubsub is not None, "_pump runs only while subscribed"
        while True:
            # A timeout, not a blocking read: each call lets redis-py send its health-check PING when idle.
            message = await pubsub.get_message(timeout=HEALTH_CHECK_INTERVAL_S)
            if message is None or message["type"] != "message":
                continue
            notice = decode_notice(message["data"], self._channel)
            if notice is not None:
                self._deliver(notice)


async def _confirmed(pubsub: PubSub) -> None:
    """Wait for the SUBSCRIBE confirmation: only then does a PUBLISH from elsewhere reach us."""
    async with asyncio.timeout(CONNECT_TIMEOUT_S):
        while True:
            message: dict[str, Any] | None = await pubsub.get_message(timeout=CONNECT_TIMEOUT_S)
            if message is not None and message["type"] == "subscribe":
                return


async def _close(client: Redis, pubsub: PubSub) -> None:
    with contextlib.suppress(RedisError, OSError):
        await pubsub.aclose()
    with contextlib.suppress(RedisError, OSError):
        await client.aclose()


