"""Database wiring: the Tortoise config for a URL, and aerich migrations found beside the installed code.

`TORTOISE_ORM` (for the aerich CLI) reads `TASKLOOM_DATABASE_URL`; everything else passes the URL in.
Migrations live in one set per engine (`migrations/sqlite/`, `migrations/postgres/`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import migrations

__all__ = ["MIGRATIONS_ROOT", "MODEL_MODULES", "engine_of", "migrate", "migrations_dir", "tortoise_config"]

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
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://")
        if path not in (":memory:", "") and not path.startswith("/"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": database_url},
        "apps": {"models": {"models": MODEL_MODULES, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(database_url: str) -> list[str]:
    """Upgrade the database to the newest migration; returns the names of the migrations applied."""
    from aerich import Command

    command = Command(tortoise_config(database_url), app="models", location=str(migrations_dir(database_url)))
    async with command:
        return await command.upgrade(run_in_transaction=True)



