"""Two processes' transactions on one SQLite file: each begins IMMEDIATE, so the second waits for the first and
both commit. With Tortoise's plain `BEGIN`, the transaction that read first fails at its first write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tortoise.backends.sqlite.client import SqliteClient as TortoiseSqliteClient
from tortoise.exceptions import OperationalError

from domain.db import tortoise_config
from domain.sqlite_client import BUSY_TIMEOUT_MS, SqliteClient


async def _clients(tmp_path: Path, cls: type[TortoiseSqliteClient]) -> tuple[TortoiseSqliteClient, ...]:
    """Two clients on one file, each with a connection of its own, as two processes would have."""
    credentials = tortoise_config(f"sqlite://{tmp_path / 'shared.db'}")["connections"]["default"]["credentials"]
    clients = tuple(cls(connection_name=f"c{i}", **credentials) for i in range(2))
    for client in clients:
        await client.create_connection(with_db=True)
    await clients[0].execute_script("CREATE TABLE counts (n INTEGER)")
    return clients


async def _read_then_write_while_another_writes(first: TortoiseSqliteClient, second: TortoiseSqliteClient
                                                ) -> asyncio.Task[object]:
    """`first` reads in a transaction, `second` writes meanwhile, then `first` writes; returns `second`'s write."""
    async with first._in_transaction() as transaction:
        await transaction.execute_query("SELECT count(*) FROM counts")
        other = asyncio.ensure_future(second.execute_query("INSERT INTO counts VALUES (2)"))
        await asyncio.sleep(0.3)
        await transaction.execute_query("INSERT INTO counts VALUES (1)")
    return other


def test_the_engine_of_a_sqlite_url_is_ours_with_a_busy_timeout(tmp_path: Path) -> None:
    config = tortoise_config(f"sqlite://{tmp_path / 'x.db'}?busy_timeout=250")["connections"]["default"]
    assert config["engine"] == "domain.sqlite_client"
    assert config["credentials"]["busy_timeout"] == "250"  # the URL's, not the default
    assert SqliteClient(file_path="x.db", connection_name="d").pragmas["busy_timeout"] == BUSY_TIMEOUT_MS


async def test_a_transaction_holds_the_write_lock_from_its_start(database_url: str, tmp_path: Path) -> None:
    # database_url: Tortoise is initialised (a transaction sets its connection in Tortoise's context)
    first, second = await _clients(tmp_path, SqliteClient)
    try:
        other = await _read_then_write_while_another_writes(first, second)
        await other  # it waited for the transaction, then wrote
        rows = await first.execute_query_dict("SELECT n FROM counts ORDER BY rowid")
        assert [row["n"] for row in rows] == [1, 2]
    finally:
        for client in (first, second):
            await client.close()


async def test_tortoises_deferred_begin_fails_the_same_transaction(database_url: str, tmp_path: Path) -> None:
    """Why the client above exists: the stock client's transaction loses its snapshot and cannot write."""
    first, second = await _clients(tmp_path, TortoiseSqliteClient)
    try:
        with pytest.raises(OperationalError, match="locked"):
            await _read_then_write_while_another_writes(first, second)
    finally:
        for client in (first, second):
            await client.close()
