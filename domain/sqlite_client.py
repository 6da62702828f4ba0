"""Tortoise's SQLite client, with every transaction begun by `BEGIN IMMEDIATE` and writers waiting their turn.

Tortoise opens its transactions with a plain `BEGIN` (deferred): the transaction reads first and asks for the write
lock at its first write. In WAL mode, if another process committed in between, that upgrade fails at once with
"database is locked" (SQLITE_BUSY_SNAPSHOT), whatever the busy timeout: no wait can make the transaction's snapshot
current again. Several processes on one SQLite file (`serve --workers N`, a separate `taskloom worker`) met that
whenever two ended attempts at the same moment. `BEGIN IMMEDIATE` takes the write lock first, so a transaction that
has to wait waits in the busy handler (`busy_timeout`) and then reads what the other one committed. Readers outside
transactions never wait: WAL lets them read beside the writer.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tortoise.backends.base.client import TransactionContext
from tortoise.backends.sqlite.client import SqliteClient as _TortoiseSqliteClient
from tortoise.backends.sqlite.client import SqliteTransactionContext, SqliteTransactionWrapper
from tortoise.exceptions import TransactionManagementError

__all__ = ["BUSY_TIMEOUT_MS", "SqliteClient", "client_class"]

#: How long a statement waits for another process's write lock before "database is locked" (a URL's
#: `?busy_timeout=` overrides it).
BUSY_TIMEOUT_MS = 15_000


class _ImmediateTransaction(SqliteTransactionWrapper):
    async def begin(self) -> None:
        try:
            await self._connection.commit()
            await self._connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise TransactionManagementError(exc) from exc


class SqliteClient(_TortoiseSqliteClient):
    """Tortoise's client; its transactions (not its nested savepoints) begin with `BEGIN IMMEDIATE`."""

    def __init__(self, file_path: str, **kwargs: Any) -> None:
        kwargs.setdefault("busy_timeout", BUSY_TIMEOUT_MS)
        super().__init__(file_path, **kwargs)

    def _in_transaction(self) -> TransactionContext:
        return SqliteTransactionContext(_ImmediateTransaction(self), self._lock)


#: What Tortoise looks up in an `engine` module.
client_class = SqliteClient
