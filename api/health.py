"""`/healthz` (the process is up) and `/readyz` (the database and the broker answer)."""

from __future__ import annotations

import asyncio
import logging
import socket
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

__all__ = ["healthz", "readyz"]

logger = logging.getLogger(__name__)

#: How long each readiness check may take, in seconds.
CHECK_TIMEOUT_S = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database() -> None:
    await connections.get("default").execute_query("SELECT 1")


def _broker_reachable(url: str) -> None:
    """Raise unless the broker answers: PING for Redis, a TCP connect for RabbitMQ, nothing for memory://."""
    if url.startswith("memory://"):
        return
    if url.startswith(("redis://", "rediss://")):
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_S, socket_timeout=CHECK_TIMEOUT_S)
        try:
            client.ping()
        finally:
            client.close()
        return
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=CHECK_TIMEOUT_S):
        pass


async def readyz(request: Request) -> JSONResponse:
    settings = request.app.state.services.settings
    checks: dict[str, str] = {}
    for name, check in (("database", _database()),
                        ("broker", asyncio.to_thread(_broker_reachable, settings.broker_url))):
        try:
            await asyncio.wait_for(check, CHECK_TIMEOUT_S + 1)
            checks[name] = "ok"
        except Exception as exc:  # any failure means not ready; say which, never with credentials
            logger.warning("readiness: %s unreachable: %s", name, type(exc).__name__)
            checks[name] = f"unreachable: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)
