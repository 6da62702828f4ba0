"""Rate limiters shared by every caller of one outside API: at most `max_requests` per `window_s`, per key.

Both limiters keep a sliding window log (the start time of each admitted request), so no span of
`window_s` seconds ever holds more than `max_requests` admissions, whatever the server's own window
alignment is. A fixed-window counter would let 2 x max through across a window boundary.

- `RedisRateLimiter` keeps the log in a Redis sorted set per key, read and written by one Lua script
  timed by the Redis server's clock: every worker process on that Redis shares one budget. Chosen by
  `build_rate_limiter` when `TASKLOOM_BROKER_URL` is `redis://` or `rediss://`.
- `DatabaseRateLimiter` keeps the log in the `rate_limit_hits` table: every worker process on that database
  shares one budget (RabbitMQ deployments). Each admission is one short transaction, serialised per key by a
  transaction-scoped advisory lock on PostgreSQL and by SQLite's single writer.
- `LocalRateLimiter` keeps the log in this process's memory: exact when every worker runs in one process
  (`memory://` broker, the embedded mode), and the cheapest.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError
from tortoise.transactions import in_transaction

from domain.errors import RetryableError
from domain.models import RateLimitHit
from domain.settings import Settings

__all__ = [
    "DEFAULT_KEY_PREFIX",
    "DatabaseRateLimiter",
    "LocalRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "build_rate_limiter",
]

#: Redis keys of the limiter's logs start with this; the rest is the caller's key.
DEFAULT_KEY_PREFIX = "taskloom:ratelimit:"
#: How long opening a Redis connection or running the script may take, in seconds.
REDIS_TIMEOUT_S = 5.0

# KEYS[1]: the key's sorted set (member: one admission, score: its time in microseconds on Redis's clock).
# ARGV: max requests, window in microseconds, a unique member. Returns 0 when admitted, else the
# microseconds until the oldest admission leaves the window. Redis >= 5 replicates a script's effects, which
# is what allows a write after TIME.
_SLIDING_WINDOW_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local max = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < max then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""


class RateLimiter:
    """At most `max_requests` admissions per key in any `window_s` seconds; `acquire` waits for a slot.

    Parameters:
      max_requests: admissions allowed per window, per key.
      window_s: the window's length in seconds.
    """

    def __init__(self, *, max_requests: int, window_s: float) -> None:
        if max_requests < 1 or window_s <= 0:
            raise ValueError(f"a rate limit needs max_requests >= 1 and window_s > 0, got {max_requests}/{window_s}")
        self.max_requests = max_requests
        self.window_s = window_s

    async def acquire(self, key: str, *, timeout_s: float) -> None:
        """Wait until `key` may send one more request, and count it.

        Parameters:
          key: whose budget to spend, e.g. `ghl:<locationId>`.
          timeout_s: the longest this call may wait (the rest of the attempt's time).

        Raises:
          RetryableError: no slot frees up within `timeout_s`; `retry_after_s` says when one will.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            wait_s = await self._try_acquire(key)
            if wait_s <= 0:
                return
            left_s = deadline - loop.time()
            if wait_s > left_s:
                raise RetryableError(
                    f"rate limit of {self.max_requests} requests per {self.window_s:g} s for {key!r} reached: "
                    f"the next slot frees up in {wait_s:.2f} s, after this attempt's time runs out",
                    retry_after_s=wait_s,
                )
            await asyncio.sleep(wait_s)

    async def _try_acquire(self, key: str) -> float:
        """Count one admission for `key` and return 0, or return the seconds until one may be admitted."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release connections; the limiter is not used afterwards."""


class LocalRateLimiter(RateLimiter):
    """The sliding window kept in this process's memory: it limits this process only (see the module doc).

    One instance belongs to one event loop: `_try_acquire` never awaits, so the loop makes it atomic.
    """

    def __init__(self, *, max_requests: int, window_s: float) -> None:
        super().__init__(max_requests=max_requests, window_s=window_s)
        self._admitted: dict[str, deque[float]] = {}

    async def _try_acquire(self, key: str) -> float:
        now = asyncio.get_running_loop().time()
        log = self._admitted.setdefault(key, deque())
        while log and log[0] <= now - self.window_s:
            log.popleft()
        if len(log) < self.max_requests:
            log.append(now)
            return 0.0
        return log[0] + self.window_s - now


class RedisRateLimiter(RateLimiter):
    """The sliding window kept in Redis: every process using the same Redis and key shares one budget.

    Parameters:
      url: a `redis://` or `rediss://` URL (its database number is where the logs live).
      key_prefix: put in front of every key; processes that share a budget must use the same prefix.
    """

    def __init__(self, url: str, *, max_requests: int, window_s: float, key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        super().__init__(max_requests=max_requests, window_s=window_s)
        self._url = url
        self._key_prefix = key_prefix
        self._client: Redis | None = None
        self._script: AsyncScript | None = None

    async def _try_acquire(self, key: str) -> float:
        if self._script is None:
            self._client = Redis.from_url(
                self._url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
            )
            self._script = self._client.register_script(_SLIDING_WINDOW_LUA)  # EVALSHA, loading it on NOSCRIPT
        window_us = max(1, round(self.window_s * 1_000_000))
        try:
            args = [self.max_requests, window_us, uuid.uuid4().hex]
            wait_us = await self._script(keys=[self._key_prefix + key], args=args)
        except (RedisError, OSError) as exc:
            raise RetryableError(
                f"rate limiter: Redis at {_redacted(self._url)} cannot be reached ({type(exc).__name__}); "
                "check the server and TASKLOOM_BROKER_URL"
            ) from exc
        return int(wait_us) / 1_000_000

    async def aclose(self) -> None:
        client, self._client, self._script = self._client, None, None
        if client is not None:
            await client.aclose()


class DatabaseRateLimiter(RateLimiter):
    """The sliding window kept in the database: every process on that database shares one budget."""

    async def _try_acquire(self, key: str) -> float:
        now = datetime.now(UTC)
        async with in_transaction() as conn:
            if conn.capabilities.dialect == "postgres":
                await conn.execute_query("SELECT pg_advisory_xact_lock(hashtext($1))", [key])
            # The delete comes first: on SQLite it takes the write lock, so concurrent writers queue here.
            await RateLimitHit.filter(key=key, at__lte=now - timedelta(seconds=self.window_s)).using_db(conn).delete()
            hits = await RateLimitHit.filter(key=key).using_db(conn).order_by("at").values_list("at", flat=True)
            if len(hits) < self.max_requests:
                await RateLimitHit.create(key=key, at=now, using_db=conn)
                return 0.0
        return max(0.001, (hits[0] + timedelta(seconds=self.window_s) - now).total_seconds())


def build_rate_limiter(settings: Settings, *, max_requests: int, window_s: float) -> RateLimiter:
    """The limiter all of this deployment's workers can share: Redis when the broker is Redis, the database
    with another broker that runs separate worker processes (RabbitMQ), in-process for `memory://`.

    Parameters:
      settings: `broker_url` (TASKLOOM_BROKER_URL) picks the kind.
      max_requests: admissions allowed per window, per key.
      window_s: the window's length in seconds.
    """
    if settings.broker_url.startswith(("redis://", "rediss://")):
        return RedisRateLimiter(settings.broker_url, max_requests=max_requests, window_s=window_s)
    if settings.broker_url.startswith("memory://"):
        return LocalRateLimiter(max_requests=max_requests, window_s=window_s)
    return DatabaseRateLimiter(max_requests=max_requests, window_s=window_s)


def _redacted(url: str) -> str:
    """`url` without its password: it may appear in messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, f"***@{netloc}", parts.path, parts.query, parts.fragment))
