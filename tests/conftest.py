"""Shared fixtures: a migrated database (SQLite by default, PostgreSQL when TASKLOOM_TEST_DATABASE_URL
names a server), the real app under uvicorn on 127.0.0.1, API keys, and a GraphQL helper.

Tests that use the database are marked `db` automatically; `make test` runs them once per engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tortoise import Tortoise, connections

from domain.db import migrate, tortoise_config
from domain.services.effects import Effects

IN_CI = os.environ.get("CI") == "true"
PG_SERVER_URL = os.environ.get("TASKLOOM_TEST_DATABASE_URL", "")

TABLES = [
    "artifacts", "execution_log_lines", "rate_limit_hits", "outbound_messages", "task_events", "task_labels", "task_executions", "tasks", "webhooks",
    "api_keys", "workspaces",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "db" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


#: Debian's Chromium, which the browser tests drive (never a browser build downloaded by Playwright).
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium: skipped when it is missing, a failure when CI=true."""
    if not CHROMIUM.exists():
        service_unavailable(f"{CHROMIUM} (apt-get install chromium)")
    return CHROMIUM


def service_unavailable(what: str) -> None:
    """Fail in CI (a missing service there is a broken CI), skip with a reason elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} is not reachable, and CI=true requires it")
    pytest.skip(f"{what} is not reachable")


async def _postgres_database(server_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"taskloom_test_{uuid.uuid4().hex[:10]}"
    try:
        conn = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1), timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        service_unavailable(f"PostgreSQL at {server_url} ({exc})")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server_url.rsplit("/", 1)[0] + "/" + name, name


async def _drop_postgres_database(server_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A database migrated from zero with the project's aerich migrations, Tortoise initialised on it."""
    if PG_SERVER_URL:
        url, name = await _postgres_database(PG_SERVER_URL)
    else:
        url, name = f"sqlite://{tmp_path_factory.mktemp('db') / 'taskloom.db'}", ""
    applied = await migrate(url)
    assert applied, "no migration was applied to a fresh database"
    await Tortoise.init(config=tortoise_config(url), _enable_global_fallback=True)
    yield url
    await connections.close_all()
    if name:
        await _drop_postgres_database(PG_SERVER_URL, name)


async def wipe() -> None:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        # Ids keep growing across tests, as in production: live subscribers read past the last id they saw.
        # A worker process a module fixture keeps alive may read two of these tables in one transaction while
        # TRUNCATE locks them one by one; PostgreSQL breaks that deadlock by failing one side, so try again.
        for attempt in range(5):
            try:
                await conn.execute_script(f"TRUNCATE {', '.join(TABLES)} CASCADE")
                return
            except asyncpg.exceptions.DeadlockDetectedError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.1 * (attempt + 1))
    else:
        for table in TABLES:
            await conn.execute_script(f'DELETE FROM "{table}"')


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[str]:
    """An empty database before and after the test."""
    await wipe()
    yield database_url
    await wipe()


@contextlib.asynccontextmanager
async def serving(app: Any, port: int) -> AsyncIterator[Any]:
    """`app` under uvicorn on 127.0.0.1:`port`, on the tests' event loop, for the duration of the block."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           timeout_graceful_shutdown=1))
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        await task


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningApp:
    url: str
    app: Any


@pytest.fixture(scope="session")
async def app_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningApp]:
    """The Taskloom app served by uvicorn on 127.0.0.1, on the tests' event loop."""
    from api.app import create_app
    from domain.settings import load_settings

    settings = load_settings(
        database_url=database_url,
        artifacts_dir=tmp_path_factory.mktemp("artifacts"),
        egress_allowlist="127.0.0.1,localhost",
        ghl_api_key="test-ghl-token",
        llm_base_url="http://127.0.0.1:9/v1",
        _env_file=None,
    )
    # A recording dispatcher: these tests look at the API and the state machine, not at workers.
    app = create_app(settings, own_database=False, effects=Effects())
    port = free_port()
    async with serving(app, port):
        yield RunningApp(url=f"http://127.0.0.1:{port}", app=app)


@pytest.fixture
async def http(app_server: RunningApp, db: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=app_server.url, timeout=30) as client:
        yield client


@dataclass
class Caller:
    """A GraphQL client bound to one API key."""

    http: httpx.AsyncClient
    key: str
    workspace_id: str

    async def raw(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.key}"},
        )

    async def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run `query`; fails the test on a transport error or GraphQL `errors`."""
        response = await self.raw(query, variables)
        body = response.json()
        assert response.status_code == 200 and not body.get("errors"), body
        return body["data"]


async def make_caller(http: httpx.AsyncClient, workspace: str, scopes: list[str], name: str | None = None) -> Caller:
    from domain.services.api_keys import create_api_key, ensure_workspace

    ws = await ensure_workspace(workspace)
    _, key = await create_api_key(str(ws.id), name, scopes)
    return Caller(http, key, str(ws.id))


@pytest.fixture
async def admin(http: httpx.AsyncClient) -> Caller:
    """An admin key of workspace "acme"."""
    return await make_caller(http, "acme", ["admin"], name="acme-admin")


@pytest.fixture
async def other_admin(http: httpx.AsyncClient) -> Caller:
    """An admin key of another workspace, "globex"."""
    return await make_caller(http, "globex", ["admin"], name="globex-admin")


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def env(**values: str) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
