"""Maintain the aerich migrations, one set per engine, generated from the same models.

    python -m migrations make NAME   write the next migration for SQLite and PostgreSQL
    python -m migrations check       exit 1 when the models have changes no migration holds

`make` needs a PostgreSQL server for the very first migration only (aerich's `init-db` reads the schema
from a live database): it uses a scratch database on `TASKLOOM_TEST_DATABASE_URL`'s server.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from aerich import Command

from domain.db import MIGRATIONS_ROOT, tortoise_config

_DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


async def _scratch_postgres(server_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"taskloom_migrations_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + "/" + name, name


async def _drop_postgres(server_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await conn.close()


async def _make(engine: str, name: str, location: Path, scratch: Path) -> str | None:
    """Write the next migration of `engine` into `location`; returns its name, or None when nothing changed."""
    if (location / "models").exists():  # later migrations are diffed offline against the last one
        url = f"sqlite://{scratch / 'offline.db'}" if engine == "sqlite" else _DEFAULT_PG
        command = Command(tortoise_config(url), app="models", location=str(location))
        await command.init(offline=True)
        try:
            return await command.migrate(name, offline=True)
        finally:
            await command.aclose()
    if engine == "sqlite":  # the first migration is read from a live, empty database
        url, dbname, server = f"sqlite://{scratch / 'scratch.db'}", "", ""
    else:
        server = os.environ.get("TASKLOOM_TEST_DATABASE_URL", _DEFAULT_PG)
        url, dbname = await _scratch_postgres(server)
    try:
        async with Command(tortoise_config(url), app="models", location=str(location)) as command:
            await command.init_db(safe=True)
        return "init"
    finally:
        if dbname:
            await _drop_postgres(server, dbname)


def _run_one(action: str, engine: str, name: str) -> int:
    """One engine per process: Tortoise cannot switch SQL dialects once initialised."""
    with tempfile.TemporaryDirectory() as tmp:
        location = MIGRATIONS_ROOT / engine
        if action == "check":
            location = Path(tmp) / engine
            shutil.copytree(MIGRATIONS_ROOT / engine, location)
        made = asyncio.run(_make(engine, name, location, Path(tmp)))
    if action == "make":
        print(f"{engine}: {made or 'no changes'}")
        return 0
    if made:
        print(f"{engine}: the models changed since the last migration")
    return 1 if made else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["_one"]:
        return _run_one(*argv[1:4])
    if len(argv) < 1 or argv[0] not in {"make", "check"}:
        print(__doc__)
        return 2
    name = argv[1] if len(argv) > 1 else ("update" if argv[0] == "make" else "drift")
    codes = [
        subprocess.call([sys.executable, "-m", "migrations", "_one", argv[0], engine, name])
        for engine in ("sqlite", "postgres")
    ]
    if argv[0] == "check":
        drifted = any(codes)
        print("migrations: " + ("models drifted; run `python -m migrations make NAME`" if drifted
                                else "up to date"))
        return 1 if drifted else 0
    return max(codes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
