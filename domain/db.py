"""Database wiring: the Tortoise config for a URL (on PostgreSQL with asyncpg pool hooks that save a worker round
trips), and aerich migrations found beside the installed code.

`TORTOISE_ORM` (for the aerich CLI) reads `TASKLOOM_DATABASE_URL`; everything else passes the URL in.
Migrations live in one set per engine (`migrations/sqlite/`, `migrations/postgres/`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.models import Model

import migrations

__all__ = [
    "MIGRATIONS_ROOT", "MODEL_MODULES", "engine_of", "keep_session", "migrate", "migrations_dir", "prepare_connection",
    "tortoise_config",
]

#: Modules holding the models of the one Tortoise app, "models".
MODEL_MODULES = ["domain.models", "aerich.models"]
#: Where each engine's migrations are kept, found from the installed package (not the current folder).
MIGRATIONS_ROOT = Path(migrations.__file__).resolve().parent


def engine_of(database_url: str) -> str:
    """`sqlite` or `postgres`: which migration set a URL uses."""
    return "sqlite" if database_url.startswith("sqlite://") else "postgres"


def migrations_dir(database_url: str) -> Path:
    return MIGRATIONS_ROOT / engine_of(database_url)


def tortoise_config(database_url: str) -> dict[str, Any]:
    """The Tortoise config dict for one database URL, timestamps in UTC."""
    connection = expand_db_url(database_url)
    if database_url.startswith("sqlite://"):
        path = connection["credentials"]["file_path"]
        if path not in (":memory:", "") and not path.startswith("/"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        connection["engine"] = "domain.sqlite_client"  # transactions begin IMMEDIATE (see there)
    else:
        # asyncpg's pool calls `init` on each new connection and `reset` on each one given back.
        connection["credentials"].update(init=prepare_connection, reset=keep_session)
    return {
        "connections": {"default": connection},
        "apps": {"models": {"models": MODEL_MODULES, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def prepare_connection(conn: asyncpg.Connection) -> None:
    """Make a new PostgreSQL connection look up, at once, every array type the multi-row statements bind.

    asyncpg has no built-in codec for array types: it looks them up in the catalogue once per connection, with one
    query (2-15 ms) for each statement that first binds one. A fresh connection made about ten such lookups in the
    middle of the first batches it wrote; one statement naming them all makes one.
    """
    from domain import models
    from domain.services.bulk import array_types

    declared = [getattr(models, name) for name in models.__all__]
    types = array_types([m for m in declared if isinstance(m, type) and issubclass(m, Model)])
    await conn.fetchrow("SELECT " + ", ".join(f"${i}::{t} IS NULL" for i, t in enumerate(types, 1)),
                        *[None] * len(types))


async def keep_session(conn: asyncpg.Connection) -> None:
    """Give a connection back to the pool as it is: no `RESET ALL; UNLISTEN *; ...` round trip per release.

    Nothing Taskloom runs on a pooled connection outlives its transaction: its advisory locks are transaction-scoped
    (`pg_advisory_xact_lock`), it sets no session settings, opens no cursors outside a transaction, and LISTENs on a
    connection of its own (`domain/event_buses/postgres.py`). asyncpg still rolls back a transaction left open
    before it calls this. The default reset was one statement for every group-committed batch a worker wrote.
    """


async def migrate(database_url: str) -> list[str]:
    """Upgrade the database to the newest migration; returns the names of the migrations applied."""
    from aerich import Command

    command = Command(tortoise_config(database_url), app="models", location=str(migrations_dir(database_url)))
    async with command:
        return await command.upgrade(run_in_transaction=True)



