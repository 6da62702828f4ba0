"""The `taskloom` command: serve, migrate, schema, purge, api-key. The only place the API side loads Settings.

Works from any folder: migrations are found beside the installed code; only `./taskloom.db`,
`./artifacts` and `.env` depend on the folder it runs in.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from tortoise import Tortoise, connections

from domain.db import migrate, tortoise_config
from domain.errors import TaskloomError
from domain.services.retention import DEFAULT_BATCH_SIZE
from domain.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["app", "asgi_app", "main"]

T = TypeVar("T")

app = typer.Typer(help="Taskloom: tasks, workers and a GraphQL API.", no_args_is_help=True, add_completion=False)
keys = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys, name="api-key")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"taskloom: {exc}", err=True)
        raise typer.Exit(2) from None


def _event_loop(settings: Settings) -> str:
    """TASKLOOM_EVENT_LOOP resolved (`auto`: uvloop when installed, else asyncio); an unusable choice stops here."""
    from domain.event_loop import EventLoopUnavailable, resolve_event_loop

    try:
        return resolve_event_loop(settings.event_loop)
    except EventLoopUnavailable as exc:
        typer.echo(f"taskloom: {exc}", err=True)
        raise typer.Exit(2) from None


def _with_database(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` with Tortoise open on the configured database (SQLite is migrated first)."""

    async def run() -> T:
        if settings.is_sqlite:
            await migrate(settings.database_url)
        await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
        try:
            return await work()
        finally:
            await connections.close_all()

    try:
        return asyncio.run(run())
    except TaskloomError as exc:
        typer.echo(f"taskloom: {exc.message}", err=True)
        raise typer.Exit(1) from None


def asgi_app() -> Starlette:
    """The app built from the environment's settings: the factory each `serve` process imports."""
    from api.app import create_app
    from api.logs import configure_logging
    from api.metrics import track_processes
    from domain.gc_tuning import tune_gc

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    track_processes()  # under --workers N: the open subscriptions of processes that died stop counting
    app = create_app(settings)
    tune_gc(settings.gc_threshold)
    return app


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (TASKLOOM_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="bind port (TASKLOOM_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="API processes (more than 1 needs a Redis or RabbitMQ "
                                                     "broker)")] = 1,
) -> None:
    """Run the API (GraphiQL at /graphql); the embedded SQLite database is migrated on start."""
    import uvicorn

    from api.logs import configure_logging
    from workers.metrics import multiprocess_folder

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    event_loop = _event_loop(settings)
    if workers > 1 and settings.broker_url.startswith("memory://"):
        typer.echo("taskloom: --workers needs TASKLOOM_BROKER_URL=redis://… or amqp://…: the memory:// broker runs "
                   "the workers and the scheduler inside one API process", err=True)
        raise typer.Exit(2)
    if workers > 1 and settings.is_sqlite:
        asyncio.run(migrate(settings.database_url))  # once, before the processes start (they would race)
    # Several processes each write their metrics to files that whichever answers /metrics adds up.
    metrics_dir = multiprocess_folder() if workers > 1 and settings.metrics_enabled else None
    # An import string and a factory: each of several processes builds its own app (uvicorn's requirement).
    # `loop`: uvicorn's own names (asyncio, uvloop), for the one process or each of several.
    try:
        uvicorn.run("api.cli:asgi_app", factory=True, workers=workers, host=host or settings.host,
                    port=port if port is not None else settings.port, log_config=None, loop=event_loop,
                    ws_per_message_deflate=settings.ws_compression)
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="worker processes")] = 1,
    threads: Annotated[int, typer.Option(help="threads per process: tasks running at once in each")] = 16,
) -> None:
    """Run Dramatiq workers for the broker of TASKLOOM_BROKER_URL (Redis or RabbitMQ); their metrics are served
    on TASKLOOM_METRICS_HOST:TASKLOOM_WORKER_METRICS_PORT."""
    settings = _settings()
    if settings.broker_url.startswith("memory://"):
        typer.echo("taskloom: the memory:// broker lives inside `taskloom serve`; set TASKLOOM_BROKER_URL to "
                   "redis://… or amqp://… to run separate workers", err=True)
        raise typer.Exit(2)
    _event_loop(settings)  # each process's loop thread is made in workers.broker; an unusable choice stops here
    from api.logs import configure_logging
    from workers.metrics import prepare

    configure_logging(settings.log_level, settings.log_format)  # dramatiq's own lines; workers.main sets its own
    metrics_dir = prepare(settings)  # before dramatiq (and prometheus_client) is imported
    from dramatiq.cli import main as dramatiq_main

    sys.argv = ["dramatiq", "workers.main", "--processes", str(processes), "--threads", str(threads),
                "--skip-logging"]
    try:
        raise typer.Exit(dramatiq_main())
    finally:
        if metrics_dir is not None and not settings.worker_metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


@app.command()
def scheduler() -> None:
    """Run the scheduler loop alone (due, cron, retries, re-sends, recovery, webhook sends); its metrics are served
    on TASKLOOM_METRICS_HOST:TASKLOOM_SCHEDULER_METRICS_PORT."""
    from api.logs import configure_logging
    from domain.event_loop import loop_factory
    from domain.gc_tuning import tune_gc
    from workers.broker import setup_broker, worker_effects
    from workers.metrics import serve_process_metrics
    from workers.scheduler import Scheduler

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.broker_url.startswith("memory://"):
        typer.echo("taskloom: with the memory:// broker the scheduler runs inside `taskloom serve`", err=True)
        raise typer.Exit(2)
    new_loop = loop_factory(_event_loop(settings))
    if settings.scheduler_metrics_port:
        serve_process_metrics(settings.metrics_host, settings.scheduler_metrics_port)
    broker = setup_broker(settings)
    effects = worker_effects(broker, settings)
    loop = Scheduler(settings, effects, deliver=effects.dispatcher.deliver)

    async def run() -> None:
        await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
        tune_gc(settings.gc_threshold)
        try:
            for signame in ("SIGINT", "SIGTERM"):
                asyncio.get_running_loop().add_signal_handler(getattr(signal, signame), loop.stop)
            await loop.run()
        finally:
            await connections.close_all()
            broker.close()

    with asyncio.Runner(loop_factory=new_loop) as runner:  # asyncio.run's, on TASKLOOM_EVENT_LOOP's loop
        runner.run(run())


@app.command(name="migrate")
def migrate_command() -> None:
    """Upgrade the configured database (TASKLOOM_DATABASE_URL) to the newest migration."""
    settings = _settings()
    applied = asyncio.run(migrate(settings.database_url))
    typer.echo("applied: " + ", ".join(applied) if applied else "already up to date")


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from api.graphql.schema import build_schema

    typer.echo(build_schema().as_str())


@app.command()
def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="age of a finished task's latest change: "
                                                                 "30d, 12h or 90m")],
    tasks: Annotated[bool, typer.Option("--tasks", help="delete those tasks too, with everything under "
                                                        "them")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print what would be removed; remove "
                                                            "nothing")] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="rows deleted per transaction")] = DEFAULT_BATCH_SIZE,
) -> None:
    """Remove events, executions, log lines, artifacts and sent messages of tasks finished before --older-than."""
    from api.logs import configure_logging
    from domain.services.retention import ArtifactFiles, parse_age
    from domain.services.retention import purge as purge_history

    try:
        age = parse_age(older_than)
    except ValueError as exc:
        typer.echo(f"taskloom: --older-than: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    cutoff = datetime.now(UTC) - age
    counts = _with_database(settings, lambda: purge_history(
        cutoff, files=ArtifactFiles(settings.artifacts_dir), tasks=tasks, dry_run=dry_run, batch_size=batch_size))
    typer.echo(f"{'would remove' if dry_run else 'removed'}: {counts}")


@keys.command("create")
def key_create(
    workspace: Annotated[str, typer.Option(help="workspace name; created if missing")],
    scopes: Annotated[str, typer.Option(help="comma-separated: tasks:read,tasks:write,tasks:review,admin")],
    name: Annotated[str | None, typer.Option(help="key name; generated when left out")] = None,
) -> None:
    """Create a key; the key is printed alone on the last line (it is not stored and not shown again)."""
    from domain.services.api_keys import create_api_key, ensure_workspace

    async def work() -> tuple[str, str, str]:
        ws = await ensure_workspace(workspace)
        row, key = await create_api_key(str(ws.id), name, scopes.split(","))
        return row.name, ",".join(row.scopes), key

    key_name, key_scopes, key = _with_database(_settings(), work)
    typer.echo(f"created key {key_name!r} in workspace {workspace!r} with scopes {key_scopes}")
    typer.echo(key)


@keys.command("list")
def key_list(workspace: Annotated[str, typer.Option(help="workspace name")]) -> None:
    """List a workspace's keys (prefixes only)."""
    from domain.models import ApiKey

    async def work() -> list[ApiKey]:
        return await ApiKey.filter(workspace__name=workspace).order_by("created_at")

    for row in _with_database(_settings(), work):
        state = f"revoked {row.revoked_at.isoformat()}" if row.revoked_at else "active"
        typer.echo(f"{row.id}  {row.prefix}…  {row.name}  {','.join(row.scopes)}  {state}")


@keys.command("revoke")
def key_revoke(
    workspace: Annotated[str, typer.Option(help="workspace name")],
    key_id: Annotated[str, typer.Argument(help="the key's id (see `api-key list`)")],
) -> None:
    """Revoke a key: it stops working at once."""
    from domain.models import Workspace
    from domain.services.api_keys import revoke_api_key

    async def work() -> str:
        ws = await Workspace.get_or_none(name=workspace)
        if ws is None:
            raise TaskloomError(f"no workspace named {workspace!r}")
        return (await revoke_api_key(str(ws.id), key_id)).name

    typer.echo(f"revoked key {_with_database(_settings(), work)!r}")


def main() -> None:
    app()
