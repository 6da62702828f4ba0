"""Database failures worth trying again, and `retry_transient`, which tries a write again while they last.

A write fails for a while when PostgreSQL restarts, a pooled connection was dropped, or another process holds
SQLite's write lock past the busy timeout; the same write a moment later succeeds. An attempt's end is the write
that must not be given up lightly: the attempt already ran, and if its end is never written the scheduler calls
the run lost and runs the task again (an API call sent twice). A constraint violation or a bug fails at once.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError, TransactionManagementError

from domain.metrics import observe_retry

__all__ = ["is_transient", "retry_transient"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Waits between tries: doubling from the first, capped.
FIRST_WAIT_S = 0.1
MAX_WAIT_S = 2.0
#: How long a write keeps trying: an attempt's end left unwritten would have the scheduler call the run lost and run
#: the task again, and a PostgreSQL restart takes seconds.
RETRY_WITHIN_S = 20.0
#: At most one warning per kind of write this often.
WARN_EVERY_S = 1.0


def is_transient(exc: BaseException) -> bool:
    """Whether the same write may succeed later: a lost or refused connection, a server shutting down or starting
    up, a deadlock or serialization failure, a busy SQLite file. A constraint violation is not, nor PostgreSQL's
    syntax, access and data errors (Tortoise raises those, and SQLite's errors, as its OperationalError)."""
    if isinstance(exc, IntegrityError):
        return False
    if isinstance(exc, OperationalError):
        return any(isinstance(cause, sqlite3.OperationalError) for cause in (*exc.args[:1], exc.__cause__))
    # asyncpg's InterfaceError and InternalClientError themselves say the connection closed or lost track of its
    # state ("cannot switch to state ..."); their subclasses (bad arguments, unsupported features) are mistakes.
    if type(exc) in (asyncpg.InterfaceError, asyncpg.exceptions.InternalClientError):
        return True
    return isinstance(exc, (TransactionManagementError, DBConnectionError, OSError, asyncpg.PostgresConnectionError,
                            asyncpg.exceptions.OperatorInterventionError, asyncpg.exceptions.TransactionRollbackError))


async def retry_transient(call: Callable[[], Awaitable[T]], *, what: str, within_s: float = RETRY_WITHIN_S,
                          which: Callable[[], str] | None = None) -> T:
    """`await call()`, tried again after a transient failure (waits of 0.1 s doubling to 2 s) until `within_s`
    seconds have passed since the first try; then, or on any other failure, the exception is raised.

    Parameters:
        what: the kind of write ("writing an attempt's end"), named in the warning before a new try. One such
            warning per kind per `WARN_EVERY_S` at most: an outage fails every write of a batch of hundreds. Every
            new try counts in `taskloom_write_retries_total{write=what}`.
        which: names this one write in that warning (called only then: ends are many).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    wait = FIRST_WAIT_S
    while True:
        try:
            return await call()
        except Exception as exc:
            if not is_transient(exc) or loop.time() + wait > deadline:
                raise
            observe_retry(what)
            _warn(what, which, exc, wait)
        await asyncio.sleep(wait)
        wait = min(wait * 2, MAX_WAIT_S)


#: Per kind of write: when its last warning went out, and how many were held back since.
_WARNED: dict[str, tuple[float, int]] = {}


def _warn(what: str, which: Callable[[], str] | None, exc: Exception, wait: float) -> None:
    now = time.monotonic()
    last, held = _WARNED.get(what, (-WARN_EVERY_S, 0))
    if now - last < WARN_EVERY_S:
        _WARNED[what] = (last, held + 1)
        return
    _WARNED[what] = (now, 0)
    also = f"; {held} more like it since the last such line" if held else ""
    this = f"{which()}, " if which is not None else ""
    logger.warning("%s failed (%s%s: %s); trying again in %.1f s%s", what, this, type(exc).__name__, exc, wait, also)
