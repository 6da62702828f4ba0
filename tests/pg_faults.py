"""A real PostgreSQL fault for the tests: a write killed on the server while it waits for a lock another session
holds, as a restart or a dropped connection would kill it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg


@contextlib.asynccontextmanager
async def holding(database_url: str, sql: str, *args: Any) -> AsyncIterator[asyncpg.Connection]:
    """A session of its own that runs `sql` (taking a lock) in a transaction held open for the block."""
    blocker = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        async with blocker.transaction():
            await blocker.execute(sql, *args)
            yield blocker
    finally:
        await blocker.close()


async def kill_the_waiter(blocker: asyncpg.Connection, *, timeout_s: float = 5) -> None:
    """Terminate the backend that waits for the lock `blocker` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while (waiting := await blocker.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")) is None:
        assert loop.time() < deadline, "no session waited for the lock"
        await asyncio.sleep(0.025)
    assert await blocker.fetchval("SELECT pg_terminate_backend($1)", waiting)
