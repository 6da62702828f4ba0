"""Benchmark suite (`make bench`): Taskloom end to end against hand-written peers, in one run, as one table.

Every row runs the same work: N AUTOMATIC API_CALL tasks, each a GET to a local aiohttp server on 127.0.0.1 (the
baseline row: those GETs alone, no task system), from the first create until every task is COMPLETED.
- Taskloom: a scratch PostgreSQL database, Redis db 10, one `taskloom serve` (API only) and one `taskloom worker
  --processes 1`; the tasks are created over GraphQL `createTasks`, 1000 per call. The same services then give
  the SQL statements of one `tasks(first: 100)` page with executions and events, and the create -> COMPLETED
  latency seen by a `taskEvents` subscriber (bench/live.py's measurement, createTask at 20/s).
- Dramatiq and Celery peers (bench/peers/): a row per task in PostgreSQL (inserted QUEUED in one statement),
  claimed by compare-and-set, the GET with httpx, the row marked COMPLETED; 8 worker threads, Redis db 11 / 12.
CPU is user+system time of each process tree (the worker's forked children included) and of the PostgreSQL
backends serving the scratch database, per task. SQL statements are counted in the Taskloom processes by an
asyncpg query logger (bench/sqlcount/sitecustomize.py), with the COMMITs among them.

Run: `.venv/bin/python bench/suite.py [--tasks N] [--latency-tasks N] [--threads N]` (about 3 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import redis
from http_client import free_port, wait_listening
from live import Services, base_env, cpu_seconds, measure_latency, summary_ms, task_input

BENCH = Path(__file__).resolve().parent
PG_SERVER = os.environ.get("TASKLOOM_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
#: Redis databases of the rows (the tests use 3 and 7).
REDIS_DB = {"taskloom": 10, "dramatiq": 11, "celery": 12}
DEFAULT_TASKS = 2000
DEFAULT_LATENCY_TASKS = 300
#: Worker threads of the peers (the brief's hand-written baseline).
PEER_THREADS = 8
#: Tasks per createTasks call (its maximum).
BULK = 1000
#: Give up on a row this many seconds after its first create.
RUN_TIMEOUT_S = 90.0
PAGE = ("{ tasks(first: 100) { nodes { id status executions { nodes { id status durationMs } totalCount } "
        "events { id toStatus at } } } }")
CREATE_TASKS = ("mutation($inputs: [CreateTaskInput!]!) { createTasks(inputs: $inputs) { tasks { id } "
                "userErrors { code } } }")


@dataclass
class Row:
    name: str
    tasks: int = 0
    wall_s: float = 0.0
    cpu_ms: dict[str, float] = field(default_factory=dict)  # process -> CPU ms per task
    note: str = ""

    @property
    def per_s(self) -> float:
        return self.tasks / self.wall_s if self.wall_s else 0.0


@dataclass
class TaskloomExtras:
    sql_per_task: float = 0.0
    commits_per_task: float = 0.0
    page_statements: int = 0
    gc_ms_per_task: float = 0.0
    latency: dict[str, float] = field(default_factory=dict)
    latency_note: str = ""


# -- processes and databases ---------------------------------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    """CPU seconds of `pid` and its living descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            children.setdefault(int(stat.read_text().rsplit(")", 1)[1].split()[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        with contextlib.suppress(OSError):
            total += cpu_seconds(current)
        todo += children.get(current, [])
    return total


def backends_cpu(database: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to `database` (by its process title)."""
    found = {}
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        with contextlib.suppress(OSError):
            if f" {database} " in cmdline.read_bytes().decode(errors="replace"):
                found[int(cmdline.parent.name)] = cpu_seconds(int(cmdline.parent.name))
    return found


class CpuMeter:
    """CPU of named process trees and of a database's backends between `start()` and `stop()`."""

    def __init__(self, trees: dict[str, int], database: str) -> None:
        self.trees, self.database = trees, database

    def start(self) -> None:
        self.before = {name: tree_cpu(pid) for name, pid in self.trees.items()}
        self.pg_before = backends_cpu(self.database)

    def stop(self, tasks: int) -> dict[str, float]:
        used = {name: tree_cpu(pid) - self.before[name] for name, pid in self.trees.items()}
        used["postgres"] = sum(t - self.pg_before.get(pid, 0.0) for pid, t in backends_cpu(self.database).items())
        return {name: seconds * 1000 / tasks for name, seconds in used.items()}


@contextlib.asynccontextmanager
async def scratch_database(label: str) -> AsyncIterator[tuple[str, str]]:
    """A new database on PG_SERVER, dropped afterwards: (name, URL)."""
    admin = await asyncpg.connect(PG_SERVER.replace("postgres://", "postgresql://", 1), timeout=5)
    name = f"taskloom_bench_{label}_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, PG_SERVER.rsplit("/", 1)[0] + "/" + name
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def redis_url(row: str) -> str:
    url = f"redis://127.0.0.1:6379/{REDIS_DB[row]}"
    redis.Redis.from_url(url).flushdb()
    return url


@contextlib.contextmanager
def services() -> Iterator[Services]:
    with tempfile.TemporaryDirectory() as tmp:
        procs = Services(tmp)
        try:
            yield procs
        finally:
            procs.close()


async def wait_done(count: Any, n: int, started: float) -> float:
    """Poll `count()` until it reaches `n`; seconds since `started`."""
    while (done := await count()) < n:
        if time.perf_counter() - started > RUN_TIMEOUT_S:
            raise TimeoutError(f"only {done} of {n} tasks COMPLETED within {RUN_TIMEOUT_S:.0f} s")
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


# -- Taskloom ------------------------------------------------------------------------------------------------------


class SqlCounts:
    """Statements each benchmarked process sent so far (files written by bench/sqlcount/sitecustomize.py)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir()

    def total(self) -> tuple[int, int, float]:
        """(statements, COMMITs, seconds of garbage collection) of all the processes."""
        time.sleep(0.25)  # two flushes of the writers
        counts = [p.read_text().split() for p in self.folder.iterdir()]
        counts = [c for c in counts if c]
        return sum(int(c[0]) for c in counts), sum(int(c[1]) for c in counts), sum(float(c[2]) for c in counts)


async def graphql(http: aiohttp.ClientSession, base: str, key: str, query: str, variables: Any = None) -> Any:
    async with http.post(f"{base}/graphql", json={"query": query, "variables": variables or {}},
                         headers={"Authorization": f"Bearer {key}"}) as response:
        body = await response.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


async def create_all(http: aiohttp.ClientSession, base: str, key: str, target: str, n: int) -> None:
    for offset in range(0, n, BULK):
        inputs = [task_input(f"bench {offset + i}", url=target) for i in range(min(BULK, n - offset))]
        data = await graphql(http, base, key, CREATE_TASKS, {"inputs": inputs})
        if data["createTasks"]["userErrors"]:
            raise RuntimeError(f"createTasks refused: {data['createTasks']['userErrors']}")


async def run_taskloom(target: str, n: int, latency_tasks: int, threads: int,
                       gc_threshold: int | None = None) -> tuple[Row, TaskloomExtras]:
    extras = TaskloomExtras()
    async with scratch_database("taskloom") as (db_name, db_url):
        with services() as procs:
            sql = SqlCounts(procs.tmp / "sql")
            env = base_env(database_url=db_url, broker_url=redis_url("taskloom"))
            if gc_threshold is not None:
                env["TASKLOOM_GC_THRESHOLD"] = str(gc_threshold)
            env.update(PYTHONPATH=str(BENCH / "sqlcount"), TASKLOOM_BENCH_SQL_DIR=str(sql.folder))
            procs.run(env, "migrate")
            key = procs.api_key(env)
            serve, base = procs.serve(env)
            worker = procs.start(env, "worker", "worker", "--processes", "1", "--threads", str(threads))
            procs.wait_consuming("worker", env["TASKLOOM_BROKER_URL"])
            db = await asyncpg.connect(db_url.replace("postgres://", "postgresql://", 1))

            async def completed() -> int:
                return int(await db.fetchval("SELECT count(*) FROM tasks WHERE status = 'COMPLETED'"))

            try:
                # Idle connections are dropped before uvicorn's 5 s keep-alive ends them: reusing one it is closing
                # failed the page queries after the run with ServerDisconnectedError.
                connector = aiohttp.TCPConnector(keepalive_timeout=1)
                async with aiohttp.ClientSession(connector=connector) as http:
                    await create_all(http, base, key, target, 20)  # warm-up: connections, caches
                    await wait_done(completed, 20, time.perf_counter())
                    meter = CpuMeter({"API": serve.pid, "worker": worker.pid}, db_name)
                    statements, commits, gc_s = sql.total()
                    meter.start()
                    started = time.perf_counter()
                    await create_all(http, base, key, target, n)
                    wall = await wait_done(completed, n + 20, started)
                    cpu = meter.stop(n)
                    statements_after, commits_after, gc_s_after = sql.total()
                    extras.sql_per_task = (statements_after - statements) / n
                    extras.commits_per_task = (commits_after - commits) / n
                    extras.gc_ms_per_task = (gc_s_after - gc_s) * 1000 / n
                    pages = []
                    for _ in range(3):  # the least of three: the Hub's 2 s poll may fall inside one
                        before = sql.total()[0]
                        await graphql(http, base, key, PAGE)
                        pages.append(sql.total()[0] - before)
                    extras.page_statements = min(pages)
                if latency_tasks:
                    latency_key = procs.run(env, "api-key", "create", "--workspace", "latency", "--scopes",
                                            "admin").strip().splitlines()[-1]
                    result = await measure_latency(base, latency_key, target, latency_tasks)
                    extras.latency = summary_ms(result.latencies)
                    extras.latency_note = f"{len(result.latencies)} tasks at 20/s" + (
                        f", {result.missing} not seen" if result.missing else "")
            finally:
                await db.close()
    note = f"serve (API only) + worker 1 process x {threads} threads"
    return Row("Taskloom (PostgreSQL + Redis)", n, wall, cpu, note), extras


# -- peers ---------------------------------------------------------------------------------------------------------


def peer_command(row: str) -> list[str]:
    """The worker command of a peer."""
    if row == "dramatiq":
        return [str(Path(sys.executable).with_name("dramatiq")), "peers.dramatiq_peer", "--processes", "1",
                "--threads", str(PEER_THREADS)]
    return [str(Path(sys.executable).with_name("celery")), "-A", "peers.celery_peer", "worker", "--pool", "threads",
            "--concurrency", str(PEER_THREADS), "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO"]


def wait_ready(procs: Services, row: str, redis_url: str) -> None:
    """Wait until the peer's worker consumes (Dramatiq: its heartbeat in Redis; Celery: its "ready." line)."""
    if row == "dramatiq":
        procs.wait_consuming("peer", redis_url)
        return
    deadline = time.monotonic() + 30
    while " ready." not in procs.log_tail("peer"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not get ready: {procs.log_tail('peer')}")
        time.sleep(0.1)


def enqueue(row: str, ids: list[str]) -> None:
    if row == "dramatiq":
        from peers.dramatiq_peer import run_task

        for task_id in ids:
            run_task.send(task_id)
    else:
        from peers.celery_peer import run_task as celery_task

        for task_id in ids:
            celery_task.delay(task_id)


async def run_peer(row: str, target: str, n: int) -> Row:
    from peers import store

    async with scratch_database(row) as (db_name, db_url):
        with services() as procs:
            env = {**os.environ, "PEER_DATABASE_URL": db_url, "PEER_REDIS_URL": redis_url(row),
                   "PEER_TARGET_URL": target, "PYTHONPATH": str(BENCH)}
            os.environ.update({k: env[k] for k in ("PEER_DATABASE_URL", "PEER_REDIS_URL", "PEER_TARGET_URL")})
            log = (procs.tmp / "peer.log").open("wb")
            worker = subprocess.Popen(peer_command(row), env=env, cwd=BENCH, stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
            procs.procs.append(worker)
            wait_ready(procs, row, env["PEER_REDIS_URL"])
            warm = [str(uuid.uuid4()) for _ in range(20)]
            store.create(db_url, warm)
            await asyncio.to_thread(enqueue, row, warm)

            async def completed() -> int:
                return await asyncio.to_thread(store.completed, db_url)

            await wait_done(completed, 20, time.perf_counter())
            meter = CpuMeter({"worker": worker.pid}, db_name)
            meter.start()
            started = time.perf_counter()
            ids = [str(uuid.uuid4()) for _ in range(n)]
            store.create(db_url, ids)
            await asyncio.to_thread(enqueue, row, ids)
            wall = await wait_done(completed, n + 20, started)
            cpu = meter.stop(n)
    name = {"dramatiq": "Dramatiq, hand-written", "celery": "Celery, hand-written"}[row]
    pool = "threads" if row == "dramatiq" else "thread pool"
    return Row(name, n, wall, cpu, f"1 process x {PEER_THREADS} {pool}, httpx + psycopg, Redis broker")


async def run_baseline(target: str, n: int) -> Row:
    """The GETs alone: n requests, 50 at a time, through aiohttp."""
    sem = asyncio.Semaphore(50)
    async with aiohttp.ClientSession() as http:

        async def one() -> None:
            async with sem, http.get(target) as response:
                await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return Row("baseline: the GETs alone", n, time.perf_counter() - started, note="aiohttp, 50 in flight")


# -- main ----------------------------------------------------------------------------------------------------------


def print_table(rows: list[Row], extras: TaskloomExtras | None, args: argparse.Namespace) -> None:
    print(f"\n{args.tasks} AUTOMATIC API_CALL tasks (GET 127.0.0.1) per row, first create -> all COMPLETED; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end")
    header = (f"{'row':<32} {'tasks/s':>8} {'wall s':>7} {'Taskloom x':>11} {'CPU ms/task: API':>17} "
              f"{'worker':>7} {'postgres':>9}  note")
    print(header)
    print("-" * len(header))
    ours = next((r.per_s for r in rows if r.name.startswith("Taskloom")), 0.0)
    for row in rows:
        if not row.tasks:
            print(f"{row.name:<32} {'-':>8}  {row.note}")
            continue
        ratio = "" if row.name.startswith(("Taskloom", "baseline")) or not ours else f"{ours / row.per_s:.2f}x"
        cpu = [f"{row.cpu_ms[k]:.2f}" if k in row.cpu_ms else "" for k in ("API", "worker", "postgres")]
        print(f"{row.name:<32} {row.per_s:>8.0f} {row.wall_s:>7.2f} {ratio:>11} {cpu[0]:>17} {cpu[1]:>7} "
              f"{cpu[2]:>9}  {row.note}")
    if extras is not None:
        lat = extras.latency
        print(f"\nTaskloom: {extras.sql_per_task:.2f} SQL statements and {extras.commits_per_task:.2f} COMMITs per "
              f"task (API + worker); a tasks(first: 100) page with executions and events: {extras.page_statements} "
              f"statements; garbage collection {extras.gc_ms_per_task:.3f} ms per task (API + worker)")
        if lat:
            print(f"Taskloom: create -> COMPLETED seen by a taskEvents subscriber: p50 {lat['p50']:.1f} ms, "
                  f"p95 {lat['p95']:.1f} ms, p99 {lat['p99']:.1f} ms ({extras.latency_note})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS)
    parser.add_argument("--latency-tasks", type=int, default=DEFAULT_LATENCY_TASKS)
    parser.add_argument("--threads", type=int, default=32,
                        help="Taskloom worker threads (each runs a message of up to 50 task ids on the event loop)")
    parser.add_argument("--only", choices=("taskloom", "dramatiq", "celery"), help="one row (and the baseline)")
    parser.add_argument("--gc-threshold", type=int, help="TASKLOOM_GC_THRESHOLD of Taskloom's processes (0: Python's "
                                                         "own garbage collection settings)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every row this many times, interleaved, and show each row's median round "
                             "(a shared machine's drift then hits all rows alike)")
    args = parser.parse_args()
    port = free_port()
    target_server = subprocess.Popen([sys.executable, str(BENCH / "http_client.py"), "--serve", str(port)])
    target = f"http://127.0.0.1:{port}/"
    names = [row for row in ("taskloom", "dramatiq", "celery") if args.only in (None, row)]
    rounds: dict[str, list[Row]] = {name: [] for name in ["baseline", *names]}
    extras = None
    try:
        wait_listening(port, target_server)
        for number in range(args.rounds):
            rounds["baseline"].append(asyncio.run(run_baseline(target, args.tasks)))
            for row in names:
                try:
                    if row == "taskloom":
                        latency_tasks = args.latency_tasks if number == 0 else 0  # measured in the first round
                        result, found = asyncio.run(run_taskloom(target, args.tasks, latency_tasks, args.threads,
                                                                 args.gc_threshold))
                        extras = extras or found
                    else:
                        result = asyncio.run(run_peer(row, target, args.tasks))
                except Exception as exc:
                    traceback.print_exc()
                    result = Row(row, note=f"failed: {type(exc).__name__}: {exc}"[:300])
                rounds[row].append(result)
    finally:
        target_server.terminate()
        target_server.wait(timeout=10)
    print_table([median_round(results) for results in rounds.values()], extras, args)


def median_round(results: list[Row]) -> Row:
    """The round with the median tasks/s, its note listing every round's."""
    if len(results) == 1:
        return results[0]
    ranked = sorted(results, key=lambda row: row.per_s)
    median = ranked[(len(ranked) - 1) // 2]
    rates = " / ".join(f"{row.per_s:.0f}" for row in results)
    return replace(median, note=f"{median.note}; median of {len(results)} rounds: {rates} tasks/s")


if __name__ == "__main__":
    main()
