"""Maintain the aerich migrations, one set per engine, generated from the same models.

    python -m migrations make NAME   write the next migration for SQLite and PostgreSQL
    python -m migrations check       exit 1 when the models have changes no migration holds

`make` needs a PostgreSQL server for the very first migration only (aerich's `init-db` reads the schema
from a live database): it uses a scratch database on `TASKLOOM_TEST_DATABASE_URL`'s server.
"""

from __future__ import annotations

import asyncio
import shutil
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
    if engine == "sqlite":
        url = f"sqlite://{scratch / 'scratch.db'}"
    else:
        import os

        server = os.environ.get("TASKLOOM_TEST_DATABASE_URL", _DEFAULT_PG)
        url, dbname = await _scratch_postgres(server)
    try:
        command = Command(tortoise_config(url), app="models", location=str(location))
        if not (location / "models").exists():
            async with command:
                await command.init_db(safe=True)
            return "init"
        await command.init(offline=True)
        try:
            return await command.migrate(name, offline=True)
        finally:
            await command.aclose()
    finally:
        if engine == "postgres":
            await _drop_postgres(server, dbname)


def main(argv: list[str]) -> int:
    if len(argv) < 1 or argv[0] not in {"make", "check"}:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        if argv[0] == "make":
            name = argv[1] if len(argv) > 1 else "update"
            for engine in ("sqlite", "postgres"):
                made = asyncio.run(_make(engine, name, MIGRATIONS_ROOT / engine, Path(tmp)))
                print(f"{engine}: {made or 'no changes'}")
            return 0
        drift = []
        for engine in ("sqlite", "postgres"):
            copy = Path(tmp) / engine
            shutil.copytree(MIGRATIONS_ROOT / engine, copy)
            made = asyncio.run(_make(engine, "drift", copy, Path(tmp)))
            if made:
                drift.append(f"{engine}: the models changed since the last migration ({made})")
        for line in drift:
            print(line)
        print("migrations: " + ("models drifted; run `python -m migrations make NAME`" if drift else "up to date"))
        return 1 if drift else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
