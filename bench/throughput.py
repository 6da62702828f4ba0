"""Benchmark: end-to-end tasks/s for N AUTOMATIC API_CALL tasks, created in bulk until all are COMPLETED.

Modes, each in one run so the table compares like with like:
- `http-only`: the baseline — the same GET requests through the same shared client, no Taskloom at all;
- `embedded`: `taskloom serve`'s engine (SQLite, in-process broker, worker threads in this process);
- `postgres+redis`: PostgreSQL, Redis, and `taskloom worker` processes (skipped when either is unreachable).

Every task claims, records an execution, calls a local aiohttp server on 127.0.0.1 and completes: 3 events,
1 execution and about 8 SQL statements each. Run: `.venv/bin/python bench/throughput.py [--tasks N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from http_client import free_port, wait_listening
from tortoise import Tortoise, connections

from domain.db import migrate, tortoise_config
from domain.enums import ExecutionType, TaskType
from domain.models import Task, Workspace
from domain.services.effects import Effects
from domain.services.task_rules import Capabilities, TaskDraft
from domain.services.tasks import create_tasks
from domain.settings import Settings, load_settings
from domain.state_machine import TaskStatus

#: Tasks per mode, and how many a createTasks call carries.
DEFAULT_TASKS = 2000
BATCH = 1000
PG_SERVER = os.environ.get("TASKLOOM_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = "redis://127.0.0.1:6379/9"
MODES = ("http-only", "embedded", "postgres+redis")
#: Give up on a mode after this many seconds.
MODE_TIMEOUT_S = 120


@dataclass
class Row:
    mode: str
    tasks: int
    wall_s: float
    note: str = ""

    @property
    def per_s(self) -> float:
        return self.tasks / self.wall_s if self.wall_s else 0.0


def drafts(url: str, n: int) -> list[TaskDraft]:
    return [
        TaskDraft(title=f"bench {i}", task_type=TaskType.API_CALL, execution_type=ExecutionType.AUTOMATIC,
                  assigned_to_bot=True, max_retries=0, execution_config={"apiEndpoint": url})
        for i in range(n)
    ]


async def create_and_wait(settings: Settings, url: str, n: int, effects: Effects) -> float:
    workspace = await Workspace.create(name=f"bench-{uuid.uuid4().hex[:6]}")
    started = time.perf_counter()
    for offset in range(0, n, BATCH):
        await create_tasks(str(workspace.id), drafts(url, min(BATCH, n - offset)), actor="bench", effects=effects,
                           capabilities=Capabilities())
    deadline = time.monotonic() + MODE_TIMEOUT_S
    while True:
        done = await Task.filter(workspace_id=workspace.id, status__in=[TaskStatus.COMPLETED, TaskStatus.FAILED]
                                 ).count()
        if done >= n:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {done} of {n} tasks finished in {MODE_TIMEOUT_S} s")
        await asyncio.sleep(0.05)
    elapsed = time.perf_counter() - started
    failed = await Task.filter(workspace_id=workspace.id, status=TaskStatus.FAILED).count()
    if failed:
        raise RuntimeError(f"{failed} tasks failed")
    return elapsed


async def http_only(settings: Settings, url: str, n: int, concurrency: int) -> Row:
    from workers.http import build_http_client

    client = build_http_client(settings)
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            (await client.get(url)).raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    elapsed = time.perf_counter() - started
    await client.aclose()
    return Row("http-only (baseline)", n, elapsed, f"{concurrency} in flight, no database")


async def embedded(url: str, n: int, threads: int) -> Row:
    from workers.engine import engine

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(database_url=f"sqlite://{tmp}/bench.db", egress_allowlist="127.0.0.1",
                                 _env_file=None)
        await migrate(settings.database_url)
        await Tortoise.init(config=tortoise_config(settings.database_url), _enable_global_fallback=True)
        effects = Effects()
        try:
            async with engine(settings, effects, threads=threads):
                elapsed = await create_and_wait(settings, url, n, effects)
        finally:
            await connections.close_all()
    return Row("embedded (SQLite, memory://)", n, elapsed, f"{threads} worker threads in-process")


async def postgres_redis(url: str, n: int, processes: int, threads: int) -> Row:
    import asyncpg
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
        conn = await asyncpg.connect(PG_SERVER.replace("postgres://", "postgresql://", 1), timeout=3)
    except Exception as exc:  # a missing service skips the mode, it does not fail the benchmark
        return Row("postgres+redis", 0, 0.0, f"skipped: {type(exc).__name__}: {exc}")
    name = f"taskloom_bench_{uuid.uuid4().hex[:8]}"
    await conn.execute(f'CREATE DATABASE "{name}"')
    db_url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")},
           "TASKLOOM_DATABASE_URL": db_url, "TASKLOOM_BROKER_URL": REDIS_URL, "TASKLOOM_EGRESS_ALLOWLIST": "127.0.0.1",
           "TASKLOOM_LOG_LEVEL": "WARNING"}
    taskloom = str(Path(sys.executable).with_name("taskloom"))
    worker = None
    try:
        await migrate(db_url)
        worker = subprocess.Popen([taskloom, "worker", "--processes", str(processes), "--threads", str(threads)],
                                  env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        await Tortoise.init(config=tortoise_config(db_url), _enable_global_fallback=True)
        settings = load_settings(database_url=db_url, broker_url=REDIS_URL, egress_allowlist="127.0.0.1",
                                 _env_file=None)
        from workers.broker import DramatiqDispatcher, setup_broker

        broker = setup_broker(settings)
        await asyncio.sleep(2)  # let the worker processes boot
        elapsed = await create_and_wait(settings, url, n, Effects(dispatcher=DramatiqDispatcher(broker)))
        broker.close()
    finally:
        if worker is not None:
            # SIGTERM to dramatiq's main process only: it forwards it to its children once.
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        await connections.close_all()
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()
    return Row("postgres+redis", n, elapsed, f"{processes} worker processes x {threads} threads")


def run_mode(mode: str, url: str, args: argparse.Namespace) -> Row:
    """One mode in the current process (Tortoise keeps one SQL dialect per process: one mode each)."""
    settings = load_settings(egress_allowlist="127.0.0.1", _env_file=None)
    if mode == "http-only":
        return asyncio.run(http_only(settings, url, args.tasks, args.threads))
    if mode == "embedded":
        return asyncio.run(embedded(url, args.tasks, args.threads))
    return asyncio.run(postgres_redis(url, args.tasks, args.processes, args.threads))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:  # a child run: print one JSON line
        print(json.dumps(asdict(run_mode(args.mode, args.url, args))))
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, str(Path(__file__).with_name("http_client.py")), "--serve", str(port)])
    rows = []
    try:
        wait_listening(port, server)
        for mode in MODES:
            child = subprocess.run(
                [sys.executable, __file__, "--mode", mode, "--url", f"http://127.0.0.1:{port}/", "--tasks",
                 str(args.tasks), "--threads", str(args.threads), "--processes", str(args.processes)],
                capture_output=True, text=True, timeout=MODE_TIMEOUT_S + 60,
            )
            if child.returncode != 0:
                rows.append(Row(mode, 0, 0.0, f"failed: {child.stderr.strip().splitlines()[-1:]}"))
                continue
            rows.append(Row(**json.loads(child.stdout.strip().splitlines()[-1])))
    finally:
        server.terminate()
        server.wait()
    base = rows[0].per_s
    print(f"{args.tasks} AUTOMATIC API_CALL tasks, created in batches of {BATCH}, until all COMPLETED "
          f"({os.cpu_count()} cores)")
    print(f"{'mode':<30} {'tasks':>6} {'wall s':>8} {'tasks/s':>9} {'vs baseline':>12}  note")
    for row in rows:
        ratio = f"{row.per_s / base:.2f}x" if row.tasks and base else "-"
        print(f"{row.mode:<30} {row.tasks:>6} {row.wall_s:>8.2f} {row.per_s:>9.0f} {ratio:>12}  {row.note}")


if __name__ == "__main__":
    main()
