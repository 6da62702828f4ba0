"""Fault drills: a worker killed with `kill -9`, Redis stopped while tasks are created, PostgreSQL restarted.

Each drill runs its own stack on 127.0.0.1: a scratch database on a private PostgreSQL cluster (initdb into a
temporary folder, run as the `postgres` user when we are root), a private `redis-server`, an aiohttp target
that answers after a delay, `taskloom serve` (the API alone), two `taskloom worker` processes and `taskloom
scheduler`. It creates AUTOMATIC API_CALL tasks with GraphQL `createTasks`, breaks one thing mid-run, and then
checks the database: every task terminal and COMPLETED, none lost (every id the API returned is a row), none
with two SUCCESS executions, every Taskloom process still alive. It prints one table and exits 1 when a drill
fails. Nothing outside 127.0.0.1 is touched, and everything started is stopped and deleted at the end.

Run: `make drills`, or `.venv/bin/python bench/drills.py [--drill NAME ...]` (2 to 4 minutes for all).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

#: Tasks per drill, and how many one createTasks call carries.
TASKS = 1000
BATCH = 100
#: How long Redis stays down in the broker drill.
REDIS_DOWN_S = 30.0
#: How long PostgreSQL stays down in the database drill (stopped with `-m fast`, then started again).
POSTGRES_DOWN_S = 5.0
#: Share of the tasks that must be terminal before the fault is injected.
FAULT_AT = 0.25
#: Give up waiting for every task to be terminal after this many seconds.
SETTLE_TIMEOUT_S = 150.0
START_TIMEOUT_S = 30.0
WORKERS = 2
WORKER_THREADS = 8
#: Engine timings of the drills: a run is lost after 5 s of silence, an unclaimed QUEUED task is re-sent after 3 s.
TIMINGS = {"heartbeat_s": "1", "lost_after_s": "5", "redispatch_after_s": "3", "retry_base_s": "0.5",
           "retry_cap_s": "2"}
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
TASKLOOM = str(Path(sys.executable).with_name("taskloom"))
CREATE_TASKS = ("mutation($inputs: [CreateTaskInput!]!) { createTasks(inputs: $inputs) { tasks { id } "
                "userErrors { field message code } } }")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, proc: subprocess.Popen[bytes] | None, what: str) -> None:
    import socket

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {START_TIMEOUT_S:.0f} s")


def serve_target(port: int) -> None:
    """The HTTP target (a subprocess): `GET /slow/<ms>` answers 200 after that many milliseconds."""
    from aiohttp import web

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(int(request.match_info["ms"]) / 1000)
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/slow/{ms}", slow)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- private services ---------------------------------------------------------------------------------------------

def _stop(proc: subprocess.Popen[bytes], *, group: bool = False) -> None:
    """SIGTERM (to the process, or its whole group), then SIGKILL to its group if it lingers."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        if group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # every process here starts a session of its own: the group is ours
        proc.wait()


@dataclass
class PrivateRedis:
    """`redis-server --port <free> --bind 127.0.0.1 --save ''`: stopped and started again on the same port."""

    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, cwd=tempfile.gettempdir())
        wait_listening(self.port, self.proc, "the private redis-server")

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None


@dataclass
class PrivatePostgres:
    """A throwaway PostgreSQL cluster in a temporary folder; initdb refuses root, so root runs it as `postgres`."""

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="taskloom-drills-pg-")))
    port: int = field(default_factory=free_port)

    def _pg(self, tool: str, *args: str) -> None:
        (binary,) = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))[-1:] or [Path(tool)]
        command = [str(binary), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=self.folder)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {(done.stderr or done.stdout).strip()[-500:]}")

    def init(self) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._pg("initdb", "-D", str(self.folder / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "server.log"), "-w", "-t", "30",
                 "-o", options, "start")

    def stop(self) -> None:
        self._pg("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "-t", "30", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


async def pg_connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1), timeout=5)


# -- one drill's stack --------------------------------------------------------------------------------------------

@dataclass
class Stack:
    """The Taskloom processes of one drill, on its own scratch database and private Redis."""

    folder: Path
    database_url: str
    redis: PrivateRedis
    target: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    api: str = ""
    key: str = ""

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
        env.update({f"TASKLOOM_{name.upper()}": value for name, value in TIMINGS.items()})
        env.update(TASKLOOM_DATABASE_URL=self.database_url, TASKLOOM_BROKER_URL=self.redis.url,
                   TASKLOOM_EGRESS_ALLOWLIST="127.0.0.1", TASKLOOM_WORKER_METRICS_PORT="0",  # two workers, one host
                   TASKLOOM_ARTIFACTS_DIR=str(self.folder / "artifacts"), PYTHONUNBUFFERED="1",
                   dramatiq_restart_delay="300")  # a consumer that lost the broker retries after 0.3 s, not 3 s
        return env

    def run(self, *args: str) -> str:
        done = subprocess.run([TASKLOOM, *args], env=self.env, cwd=self.folder, capture_output=True, text=True,
                              timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"taskloom {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
        return done.stdout

    def start(self, name: str, *args: str, log_level: str = "WARNING") -> None:
        with (self.folder / f"{name}.log").open("wb") as log:
            self.procs[name] = subprocess.Popen([TASKLOOM, *args], env={**self.env, "TASKLOOM_LOG_LEVEL": log_level},
                                                cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
                                                start_new_session=True)

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_log(self, name: str, text: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while text not in self.log(name):
            if self.procs[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not log {text!r}: {self.log(name)[-800:]}")
            time.sleep(0.1)

    def up(self) -> None:
        self.run("migrate")
        self.key = self.run("api-key", "create", "--workspace", "drills", "--scopes", "admin").strip().splitlines()[-1]
        port = free_port()
        self.start("serve", "serve", "--host", "127.0.0.1", "--port", str(port))
        wait_listening(port, self.procs["serve"], "taskloom serve")
        self.api = f"http://127.0.0.1:{port}"
        for i in range(WORKERS):
            # INFO: dramatiq says "ready for action" at that level once the worker process consumes
            self.start(f"worker-{i + 1}", "worker", "--processes", "1", "--threads", str(WORKER_THREADS),
                       log_level="INFO")
        for i in range(WORKERS):
            self.wait_log(f"worker-{i + 1}", "ready for action")
        self.start("scheduler", "scheduler")

    def kill9(self, name: str) -> None:
        """`kill -9` of the process's whole group (dramatiq's main process and its worker process)."""
        os.killpg(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait()

    def dead(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is not None]

    def down(self) -> None:
        for name, proc in reversed(self.procs.items()):
            # dramatiq's main process forwards SIGTERM to its children itself; the others get it alone too
            _stop(proc, group=not name.startswith("worker"))


@dataclass
class Created:
    """What createTasks answered during a drill: the ids it returned, each refused batch's error, the slowest call."""

    ids: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    slowest_s: float = 0.0


async def create_tasks(stack: Stack, n: int, url: str, into: Created) -> None:
    """`createTasks` over GraphQL in batches of BATCH, each outcome recorded in `into`."""
    async with httpx.AsyncClient(timeout=60) as http:
        for offset in range(0, n, BATCH):
            inputs = [{"title": f"drill {offset + i}", "taskType": "API_CALL", "executionType": "AUTOMATIC",
                       "assignedToBot": True, "executionConfig": {"apiEndpoint": url}}
                      for i in range(min(BATCH, n - offset))]
            started = time.monotonic()
            try:
                response = await http.post(f"{stack.api}/graphql", json={"query": CREATE_TASKS,
                                           "variables": {"inputs": inputs}},
                                           headers={"Authorization": f"Bearer {stack.key}"})
                body = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                into.refused.append(f"{type(exc).__name__}: {exc}")
                continue
            finally:
                into.slowest_s = max(into.slowest_s, time.monotonic() - started)
            payload = (body.get("data") or {}).get("createTasks") or {}
            if response.status_code != 200 or body.get("errors") or payload.get("userErrors"):
                into.refused.append(f"HTTP {response.status_code}: {body.get('errors') or payload.get('userErrors')}")
                continue
            into.ids += [task["id"] for task in payload["tasks"]]


@dataclass
class Census:
    """What the database says about the drill's tasks."""

    statuses: dict[str, str]
    double_success: int
    completed_without_success: int
    recovered: int
    executions: dict[str, int] = field(default_factory=dict)

    @property
    def terminal(self) -> int:
        return sum(1 for s in self.statuses.values() if s in TERMINAL)

    @property
    def completed(self) -> int:
        return sum(1 for s in self.statuses.values() if s == "COMPLETED")


async def census(database_url: str) -> Census:
    conn = await pg_connect(database_url)
    try:
        rows = await conn.fetch("SELECT id::text AS id, status FROM tasks")
        double = await conn.fetchval("SELECT count(*) FROM (SELECT task_id FROM task_executions "
                                     "WHERE status = 'SUCCESS' GROUP BY task_id HAVING count(*) > 1) d")
        unbacked = await conn.fetchval("SELECT count(*) FROM tasks t WHERE t.status = 'COMPLETED' AND NOT EXISTS "
                                       "(SELECT 1 FROM task_executions e WHERE e.task_id = t.id "
                                       "AND e.status = 'SUCCESS')")
        recovered = await conn.fetchval("SELECT count(*) FROM task_executions WHERE error LIKE 'worker lost%'")
        executions = await conn.fetch("SELECT status, count(*) AS n FROM task_executions GROUP BY status")
    finally:
        await conn.close()
    return Census({r["id"]: r["status"] for r in rows}, double, unbacked, recovered,
                  {r["status"]: r["n"] for r in executions})


async def wait_terminal(stack: Stack, share: float = 1.0, *, expected: int) -> Census:
    """Poll the database until `share` of `expected` tasks are terminal (or SETTLE_TIMEOUT_S passed)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        with contextlib.suppress(OSError, asyncpg.PostgresError):
            now = await census(stack.database_url)
            if now.terminal >= share * expected or time.monotonic() > deadline:
                return now
        if time.monotonic() > deadline:
            raise RuntimeError("the database did not answer")
        await asyncio.sleep(0.5)


# -- the drills ---------------------------------------------------------------------------------------------------

@dataclass
class Result:
    drill: str
    tasks: int
    census: Census
    lost: int
    wall_s: float
    note: str
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class Drill:
    """One drill: `run(stack, target, pg, created)` creates the tasks, injects its fault and returns a note."""

    name: str
    what: str
    run: Callable[[Stack, str, PrivatePostgres, Created], Awaitable[str]]


async def kill_a_worker(stack: Stack, target: str, pg: PrivatePostgres, created: Created) -> str:
    await create_tasks(stack, TASKS, f"{target}/slow/200", created)
    await wait_terminal(stack, FAULT_AT, expected=len(created.ids))
    stack.kill9("worker-1")
    return f"worker-1's process group killed with SIGKILL at {FAULT_AT:.0%} done"


async def redis_down(stack: Stack, target: str, pg: PrivatePostgres, created: Created) -> str:
    stack.redis.stop()
    back_at = time.monotonic() + REDIS_DOWN_S
    batches = TASKS // BATCH
    for i in range(batches):  # spread over the outage's first 25 s
        await create_tasks(stack, BATCH, f"{target}/slow/20", created)
        await asyncio.sleep(max(0.0, (back_at - 5 - time.monotonic()) / (batches - i)))
    await asyncio.sleep(max(0.0, back_at - time.monotonic()))
    stack.redis.start()
    return (f"Redis down {REDIS_DOWN_S:.0f} s, {TASKS} created meanwhile: {len(created.ids)} accepted "
            f"(slowest createTasks {created.slowest_s:.1f} s)")


async def postgres_restart(stack: Stack, target: str, pg: PrivatePostgres, created: Created) -> str:
    await create_tasks(stack, TASKS, f"{target}/slow/100", created)
    await wait_terminal(stack, FAULT_AT, expected=len(created.ids))
    await asyncio.to_thread(pg.stop)
    await asyncio.sleep(POSTGRES_DOWN_S)
    await asyncio.to_thread(pg.start)
    # The API must serve writes again once the database is back: BATCH more tasks right after the restart.
    await create_tasks(stack, BATCH, f"{target}/slow/100", created)
    return f"PostgreSQL down {POSTGRES_DOWN_S:.0f} s at {FAULT_AT:.0%} done, then +{BATCH} tasks"


DRILLS = [
    Drill("kill-9-worker", "worker kill -9 mid-run", kill_a_worker),
    Drill("redis-down", "Redis down 30 s during createTasks", redis_down),
    Drill("postgres-restart", "PostgreSQL restarted mid-run", postgres_restart),
]


@contextlib.asynccontextmanager
async def stack_for(drill: Drill, pg: PrivatePostgres, target: str) -> AsyncIterator[Stack]:
    """A scratch database, a private Redis and the Taskloom processes, all gone when the block ends."""
    database = f"drill_{drill.name.replace('-', '_')}_{uuid.uuid4().hex[:6]}"
    admin = await pg_connect(pg.url())
    await admin.execute(f'CREATE DATABASE "{database}"')
    await admin.close()
    redis = PrivateRedis()
    with tempfile.TemporaryDirectory(prefix=f"taskloom-drill-{drill.name}-") as tmp:
        stack = Stack(Path(tmp), pg.url(database), redis, target)
        try:
            redis.start()
            await asyncio.to_thread(stack.up)
            yield stack
        finally:
            stack.down()
            redis.stop()
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                admin = await pg_connect(pg.url())
                await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                await admin.close()


async def run_drill(drill: Drill, pg: PrivatePostgres, target: str) -> Result:
    started = time.monotonic()
    async with stack_for(drill, pg, target) as stack:
        created = Created()
        note = await drill.run(stack, target, pg, created)
        final = await wait_terminal(stack, expected=len(created.ids))
        wall_s = time.monotonic() - started
        dead = stack.dead()
        if drill.name == "kill-9-worker":
            dead.remove("worker-1")
        problems = []
        lost = sum(1 for i in created.ids if i not in final.statuses)
        if lost:
            problems.append(f"{lost} accepted tasks are not in the database")
        if final.terminal < len(final.statuses):
            stuck = sorted({s for s in final.statuses.values() if s not in TERMINAL})
            problems.append(f"{len(final.statuses) - final.terminal} tasks not terminal ({', '.join(stuck)})")
        if final.completed < final.terminal:
            problems.append(f"{final.terminal - final.completed} tasks ended FAILED or CANCELLED")
        if final.double_success:
            problems.append(f"{final.double_success} tasks with two SUCCESS executions")
        if final.completed_without_success:
            problems.append(f"{final.completed_without_success} COMPLETED tasks without a SUCCESS execution")
        if dead:
            problems.append(f"{', '.join(dead)} died")
        if drill.name == "kill-9-worker" and not final.recovered:
            problems.append("no run was recovered: the kill hit no task in flight")
        if created.refused:
            note += f"; {len(created.refused)} batches refused: {created.refused[0][:160]}"
        note += "; executions " + ", ".join(f"{n} {status}" for status, n in sorted(final.executions.items()))
        if final.recovered:
            note += f" ({final.recovered} recovered as worker lost)"
        if problems:
            for name in stack.procs:
                print(f"--- {drill.name}: {name} log (tail) ---\n{stack.log(name)[-1500:]}", file=sys.stderr)
        return Result(drill.what, len(final.statuses), final, lost, wall_s, note, problems)


async def main(selected: list[str]) -> int:
    if shutil.which("redis-server") is None or not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        print("the drills need redis-server and PostgreSQL's server binaries (apt-get install redis-server "
              "postgresql)", file=sys.stderr)
        return 2
    target_port = free_port()
    target_proc = subprocess.Popen([sys.executable, __file__, "--target", str(target_port)], start_new_session=True)
    pg = PrivatePostgres()
    results: list[Result] = []
    try:
        wait_listening(target_port, target_proc, "the target")
        await asyncio.to_thread(pg.init)
        for drill in DRILLS:
            if selected and drill.name not in selected:
                continue
            try:
                results.append(await run_drill(drill, pg, f"http://127.0.0.1:{target_port}"))
            except Exception as exc:  # a drill that could not run is a failed drill; the others still run
                results.append(Result(drill.what, 0, Census({}, 0, 0, 0), 0, 0.0, "", [f"{type(exc).__name__}: {exc}"]))
    finally:
        await asyncio.to_thread(pg.remove)
        _stop(target_proc)
    print(f"{'drill':<36} {'tasks':>5} {'terminal':>8} {'lost':>4} {'double-success':>14} {'wall s':>6}  verdict")
    for r in results:
        verdict = "PASS" if r.passed else "FAIL: " + "; ".join(r.problems)
        print(f"{r.drill:<36} {r.tasks:>5} {r.census.terminal:>8} {r.lost:>4} {r.census.double_success:>14} "
              f"{r.wall_s:>6.1f}  {verdict}")
        if r.note:
            print(f"{'':<36} {r.note}")
    return 0 if results and all(r.passed for r in results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--drill", action="append", choices=[d.name for d in DRILLS], help="run only this drill")
    parser.add_argument("--target", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.target:
        serve_target(args.target)
    else:
        sys.exit(asyncio.run(main(args.drill or [])))
