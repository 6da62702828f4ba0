"""Benchmark: live delivery over graphql-transport-ws — create → COMPLETED latency, and subscriber fan-out.

1. Latency: AUTOMATIC API_CALL tasks, each created by its own `createTask` mutation over HTTP at a fixed rate
   (open loop: a slow answer never delays the next send), each calling a local aiohttp server on 127.0.0.1; one
   subscriber on `taskEvents(filter: {toStatus: [COMPLETED]})` over a real WebSocket notes when each COMPLETED
   arrives (it subscribes with `after: "0"`, so replay covers its own start). Latency = arrival - the
   client-side send time of that task's create; the indented rows split it into stages by the events' `at`
   (server wall clock). Ten unmeasured warm-up tasks go first. Modes:
   - `embedded`: `taskloom serve` on a temporary SQLite file, memory:// broker (workers in the API process);
   - `postgres+redis`: a scratch PostgreSQL database, `taskloom serve` API-only, `taskloom worker --processes 1
     --threads 16` on Redis db 10, events over PostgreSQL NOTIFY (the default on PostgreSQL); skipped when
     either service is unreachable. No task is created before the worker consumes.
   Baseline rows: the HTTP round-trip of those same createTask mutations (send → answer), client-side.
2. Fan-out: N subscribers on one `taskloom serve` (embedded SQLite), all in ONE separate client process (one
   asyncio loop, `websockets`), each on `taskEvents` with no filter, so each receives every event; a writer in
   this process creates MANUAL tasks (one PENDING event each) at a fixed total rate. Delivery = a subscriber's
   arrival - the writer's send time of the create (CLOCK_MONOTONIC, shared by the processes of one machine).
   LOST = N x events - pairs received. CPU% is one process's user+system time over the writer's window, from
   /proc/<pid>/stat (100% = one core). Baseline: N=1, in the same run. A fresh server for every N. The client
   process creates warm-up tasks until every subscriber has seen one, then the writer starts.

Everything listens on 127.0.0.1. Run: `.venv/bin/python bench/live.py [--tasks N] [--subscribers 100,500,1000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import websockets
from http_client import free_port, wait_listening

#: Latency benchmark: tasks per mode, creates per second, and unmeasured tasks sent first.
DEFAULT_TASKS = 500
RATE_PER_S = 20.0
WARMUP_TASKS = 10
#: Fan-out benchmark: subscriber counts (N=1, the baseline, is always run first), and how long the writer writes.
DEFAULT_SUBSCRIBERS = "100,500,1000"
FANOUT_SECONDS = 10.0
#: WebSocket handshakes in flight at once while the client process opens its subscribers.
CONNECT_CONCURRENCY = 50
#: Give up waiting for the last COMPLETED / the last delivery this long after the last send.
DRAIN_TIMEOUT_S = 30.0
#: How long a server or worker may take to start, and to stop after SIGTERM before kill -9.
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 30.0

PG_SERVER = os.environ.get("TASKLOOM_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = "redis://127.0.0.1:6379/10"
LATENCY_MODES = ("embedded", "postgres+redis")
PROTOCOL = "graphql-transport-ws"
TASKLOOM = str(Path(sys.executable).with_name("taskloom"))

CREATE_TASK = ("mutation($input: CreateTaskInput!) { createTask(input: $input) { task { id } "
               "userErrors { field message code } } }")
#: `after: "0"` on the fresh database: replay, then live, so nothing committed while the subscription starts is missed.
COMPLETED_EVENTS = 'subscription { taskEvents(filter: {toStatus: [COMPLETED]}, after: "0") { id taskId } }'
#: Fan-out documents: the event's ids alone, or the dashboard's own (api/dashboard/static/js/queries.js: the task's
#: row too, read through DataLoaders, with `after` = the newest event id when it subscribes).
FANOUT_DOCUMENTS = {
    "ids": "subscription { taskEvents { id taskId } }",
    "dashboard": "subscription($after: ID) { taskEvents(after: $after) { id taskId fromStatus toStatus reason actor "
                 "at task { id title description status taskType priority errorCount createdAt updatedAt "
                 "attempts: executions(first: 1) { totalCount } } } }",
}


# -- shared helpers ---------------------------------------------------------------------------------------------


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"p50": percentile(ordered, 50) * 1000, "p95": percentile(ordered, 95) * 1000,
            "p99": percentile(ordered, 99) * 1000, "max": (ordered[-1] if ordered else 0.0) * 1000}


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far, from /proc/<pid>/stat (fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def task_input(title: str, *, url: str | None = None) -> dict[str, Any]:
    if url is None:  # MANUAL: waits PENDING, one event
        return {"title": title, "taskType": "API_CALL", "executionConfig": {"apiEndpoint": "http://127.0.0.1:9/"}}
    return {"title": title, "taskType": "API_CALL", "executionType": "AUTOMATIC", "assignedToBot": True,
            "maxRetries": 0, "executionConfig": {"apiEndpoint": url}}


async def create_task(http: aiohttp.ClientSession, base: str, key: str, payload: dict[str, Any]) -> str:
    """Send one createTask; the new task's id."""
    async with http.post(f"{base}/graphql", json={"query": CREATE_TASK, "variables": {"input": payload}},
                         headers={"Authorization": f"Bearer {key}"}) as response:
        body = await response.json()
    data = (body.get("data") or {}).get("createTask") or {}
    if body.get("errors") or data.get("userErrors") or not data.get("task"):
        raise RuntimeError(f"createTask failed: {body}")
    return str(data["task"]["id"])


async def sleep_until(deadline: float) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def open_subscription(base: str, key: str, query: str,
                            variables: dict[str, Any] | None = None) -> websockets.ClientConnection:
    """A WebSocket on /graphql, acknowledged, with one subscription (id "1") sent."""
    conn = await websockets.connect(base.replace("http://", "ws://") + "/graphql", subprotocols=[PROTOCOL],
                                    ping_interval=None, max_queue=None, open_timeout=60)
    await conn.send(json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {key}"}}))
    ack = json.loads(await asyncio.wait_for(conn.recv(), 60))
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    await conn.send(json.dumps({"id": "1", "type": "subscribe",
                                "payload": {"query": query, "variables": variables or {}}}))
    return conn


class Services:
    """Processes and scratch databases of one run; everything is stopped and dropped by `close()`."""

    def __init__(self, tmp: str) -> None:
        self.tmp = Path(tmp)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pg_db: str | None = None

    def run(self, env: dict[str, str], *args: str) -> str:
        done = subprocess.run([TASKLOOM, *args], env=env, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"taskloom {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
        return done.stdout

    def api_key(self, env: dict[str, str]) -> str:
        return self.run(env, "api-key", "create", "--workspace", "bench", "--scopes", "admin").strip().splitlines()[-1]

    def start(self, env: dict[str, str], name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("wb")
        proc = subprocess.Popen([TASKLOOM, *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs.append(proc)
        return proc

    def serve(self, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        proc = self.start(env, "serve", "serve", "--host", "127.0.0.1", "--port", str(port))
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while True:
                try:
                    wait_listening(port, proc)
                    break
                except RuntimeError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}: {self.log_tail('serve')}") from None
        return proc, f"http://127.0.0.1:{port}"

    def wait_consuming(self, name: str, redis_url: str) -> None:
        """Wait until a worker process consumes from the Redis broker at `redis_url` (its heartbeat appears).

        Its runtime (database, HTTP client) is open before it consumes, so a task created after this runs at
        once; its log is no signal (TASKLOOM_LOG_LEVEL=WARNING hides dramatiq's "ready" line).
        """
        import redis

        client = redis.Redis.from_url(redis_url)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not client.zcard("dramatiq:__heartbeats__"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not consume within {START_TIMEOUT_S:.0f} s: {self.log_tail(name)}")
            time.sleep(0.1)
        client.close()

    def log_tail(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace").strip()[-400:] if path.exists() else ""

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
        self.procs.clear()


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the main process only (Dramatiq forwards it to its children); kill -9 its group as fallback."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # started with start_new_session: the group is ours alone
        proc.wait()


def base_env(**taskloom: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASKLOOM_")}
    env.update({"TASKLOOM_EGRESS_ALLOWLIST": "127.0.0.1", "TASKLOOM_LOG_LEVEL": "WARNING"})
    env.update({f"TASKLOOM_{k.upper()}": v for k, v in taskloom.items()})
    return env


# -- 1. latency create → COMPLETED --------------------------------------------------------------------------------


@dataclass
class LatencyRow:
    mode: str
    measure: str
    count: int = 0
    stats: dict[str, float] = field(default_factory=dict)
    note: str = ""


TASK_EVENTS = ("query($after: String) { tasks(first: 200, after: $after, orderBy: CREATED_AT_ASC) { "
               "nodes { id events { toStatus at } } pageInfo { hasNextPage endCursor } } }")
#: Where the time goes, from the server's event timestamps (`at`, wall clock) and the client's wall clock.
STAGES = ("  create sent -> QUEUED committed", "  QUEUED -> IN_PROGRESS (dispatch, broker, claim)",
          "  IN_PROGRESS -> COMPLETED (the run)", "  COMPLETED -> seen (bus, Hub, WebSocket)")


@dataclass
class LatencyResult:
    round_trips: list[float]
    latencies: list[float]
    missing: int
    stages: dict[str, list[float]]


async def event_times(http: aiohttp.ClientSession, base: str, key: str) -> dict[str, dict[str, float]]:
    """Task id → {status: wall-clock time of the event that entered it}, for every task of the workspace."""
    times: dict[str, dict[str, float]] = {}
    after = None
    while True:
        async with http.post(f"{base}/graphql", json={"query": TASK_EVENTS, "variables": {"after": after}},
                             headers={"Authorization": f"Bearer {key}"}) as response:
            page = (await response.json())["data"]["tasks"]
        for node in page["nodes"]:
            times[node["id"]] = {e["toStatus"]: datetime.fromisoformat(e["at"]).timestamp() for e in node["events"]}
        if not page["pageInfo"]["hasNextPage"]:
            return times
        after = page["pageInfo"]["endCursor"]


async def measure_latency(base: str, key: str, target: str, tasks: int) -> LatencyResult:
    arrivals: dict[str, tuple[float, float]] = {}  # task id → (monotonic, wall clock) of its COMPLETED
    conn = await open_subscription(base, key, COMPLETED_EVENTS)

    async def listen() -> None:
        async for raw in conn:
            now, wall = time.monotonic(), time.time()
            message = json.loads(raw)
            if message["type"] == "next":
                arrivals.setdefault(message["payload"]["data"]["taskEvents"]["taskId"], (now, wall))
            elif message["type"] == "ping":
                await conn.send('{"type": "pong"}')
            elif message["type"] in ("error", "complete"):
                raise RuntimeError(f"the subscription ended: {message}")

    listener = asyncio.create_task(listen())
    sent: dict[str, tuple[float, float]] = {}
    round_trips: list[float] = []
    try:
        async with aiohttp.ClientSession() as http:

            async def one(i: int, start: float, into: dict[str, tuple[float, float]], trips: list[float]) -> None:
                await sleep_until(start + i / RATE_PER_S)
                t0, wall = time.monotonic(), time.time()
                into[await create_task(http, base, key, task_input(f"live bench {i}", url=target))] = (t0, wall)
                trips.append(time.monotonic() - t0)

            async def wait_seen(wanted: dict[str, tuple[float, float]]) -> None:
                deadline = time.monotonic() + DRAIN_TIMEOUT_S
                while time.monotonic() < deadline and not all(i in arrivals for i in wanted):
                    if listener.done():
                        listener.result()
                    await asyncio.sleep(0.02)

            # Warm-up (not measured): the subscription is live, the worker and its HTTP client are up.
            warm: dict[str, tuple[float, float]] = {}
            start = time.monotonic()
            await asyncio.gather(*(one(i, start, warm, []) for i in range(WARMUP_TASKS)))
            await wait_seen(warm)
            if not all(i in arrivals for i in warm):
                raise RuntimeError(f"warm-up tasks not COMPLETED within {DRAIN_TIMEOUT_S:.0f} s")
            start = time.monotonic()
            await asyncio.gather(*(one(i, start, sent, round_trips) for i in range(tasks)))
            await wait_seen(sent)
            events = await event_times(http, base, key)
    finally:
        listener.cancel()
        with contextlib.suppress(BaseException):
            await listener
        await conn.close()
    seen = [i for i in sent if i in arrivals]
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    for i in seen:
        at = events.get(i, {})
        if {"QUEUED", "IN_PROGRESS", "COMPLETED"} <= at.keys():
            points = (sent[i][1], at["QUEUED"], at["IN_PROGRESS"], at["COMPLETED"], arrivals[i][1])
            for name, a, b in zip(STAGES, points, points[1:], strict=False):
                stages[name].append(b - a)
    return LatencyResult(round_trips, [arrivals[i][0] - sent[i][0] for i in seen], len(sent) - len(seen), stages)


async def latency_mode(mode: str, target: str, tasks: int) -> list[LatencyRow]:
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(tmp)
        admin = None
        try:
            if mode == "embedded":
                env = base_env(database_url=f"sqlite://{tmp}/live.db", broker_url="memory://")
                note = "SQLite, memory:// broker, engine in the API process"
            else:
                try:
                    import asyncpg
                    import redis

                    redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()
                    admin = await asyncpg.connect(PG_SERVER.replace("postgres://", "postgresql://", 1), timeout=3)
                except Exception as exc:  # a missing service skips the mode
                    return [LatencyRow(mode, "skipped", note=f"{type(exc).__name__}: {exc}")]
                services.pg_db = f"taskloom_bench_live_{uuid.uuid4().hex[:8]}"
                await admin.execute(f'CREATE DATABASE "{services.pg_db}"')
                env = base_env(database_url=PG_SERVER.rsplit("/", 1)[0] + "/" + services.pg_db, broker_url=REDIS_URL)
                services.run(env, "migrate")
                note = "API-only serve + worker 1 proc x 16 threads, Redis broker, PostgreSQL NOTIFY"
            key = services.api_key(env)
            _, base = services.serve(env)
            if mode != "embedded":
                services.start(env, "worker", "worker", "--processes", "1", "--threads", "16")
                services.wait_consuming("worker", REDIS_URL)
            result = await measure_latency(base, key, target, tasks)
        finally:
            services.close()
            if admin is not None:
                if services.pg_db:
                    await admin.execute(f'DROP DATABASE IF EXISTS "{services.pg_db}" WITH (FORCE)')
                await admin.close()
    lost = f"; {result.missing} COMPLETED not seen within {DRAIN_TIMEOUT_S:.0f} s" if result.missing else ""
    rows = [LatencyRow(mode, "createTask round-trip (baseline)", len(result.round_trips),
                       summary_ms(result.round_trips), "client-side, send -> HTTP answer"),
            LatencyRow(mode, "create -> COMPLETED seen", len(result.latencies), summary_ms(result.latencies),
                       note + lost)]
    return rows + [LatencyRow(mode, name, len(v), summary_ms(v), "event `at` (server) and client wall clocks")
                   for name, v in result.stages.items()]


def print_latency(rows: list[LatencyRow], tasks: int) -> None:
    print(f"\n1. Latency create -> COMPLETED seen by a taskEvents(toStatus: [COMPLETED]) subscriber: {tasks} AUTOMATIC "
          f"API_CALL tasks per mode, one createTask each at {RATE_PER_S:.0f}/s ({os.cpu_count()} cores)")
    header = (f"{'mode':<15} {'measure':<50} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
              f" {'p50 - baseline':>15}  note")
    print(header)
    print("-" * len(header))
    baseline: dict[str, float] = {}
    for row in rows:
        if not row.stats:
            print(f"{row.mode:<15} {row.measure:<50} {'-':>5} {'':>8} {'':>8} {'':>8} {'':>8} {'':>15}  {row.note}")
            continue
        s = row.stats
        if row.measure.endswith("(baseline)"):
            baseline[row.mode], added = s["p50"], "-"
        elif row.measure.startswith(" "):
            added = ""
        else:
            added = f"+{s['p50'] - baseline[row.mode]:.1f} ms" if row.mode in baseline else "-"
        print(f"{row.mode:<15} {row.measure:<50} {row.count:>5} {s['p50']:>8.1f} {s['p95']:>8.1f} {s['p99']:>8.1f}"
              f" {s['max']:>8.1f} {added:>15}  {row.note}")


# -- 2. fan-out ---------------------------------------------------------------------------------------------------


class Subscriber:
    """One WebSocket with one taskEvents subscription; first arrival per task id (one event per task here)."""

    def __init__(self) -> None:
        self.conn: websockets.ClientConnection | None = None
        self.got: dict[str, float] = {}
        self.duplicates = 0
        self.ended: str | None = None

    async def read(self) -> None:
        assert self.conn is not None
        try:
            async for raw in self.conn:
                now = time.monotonic()
                message = json.loads(raw)
                kind = message["type"]
                if kind == "next":
                    task_id = message["payload"]["data"]["taskEvents"]["taskId"]
                    if task_id in self.got:
                        self.duplicates += 1
                    else:
                        self.got[task_id] = now
                elif kind == "ping":
                    await self.conn.send('{"type": "pong"}')
                elif kind in ("error", "complete"):
                    self.ended = f"{kind}: {message.get('payload')}"
        except websockets.ConnectionClosed as exc:
            self.ended = f"closed {exc.rcvd.code if exc.rcvd else '?'} {exc.rcvd.reason if exc.rcvd else ''}"


async def fanout_client(base: str, key: str, n: int, document: str) -> None:
    """The client process: open `n` subscribers, warm up, say READY, then on `STOP <file>` report deliveries."""
    raise_open_files()
    latest = '{ latestEventId }'
    async with aiohttp.ClientSession() as http, http.post(base + "/graphql", json={"query": latest},
                                                          headers={"Authorization": f"Bearer {key}"}) as answer:
        variables = {"after": (await answer.json())["data"]["latestEventId"] or "0"}
    subscribers = [Subscriber() for _ in range(n)]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    started = time.monotonic()

    async def open_one(sub: Subscriber) -> None:
        async with gate:
            sub.conn = await open_subscription(base, key, FANOUT_DOCUMENTS[document],
                                               variables if document == "dashboard" else None)

    await asyncio.gather(*(open_one(s) for s in subscribers))
    connect_s = time.monotonic() - started
    readers = [asyncio.create_task(s.read()) for s in subscribers]
    async with aiohttp.ClientSession() as http:  # warm-up events until every subscription is live
        warm: list[str] = []
        deadline = time.monotonic() + 60
        while not all(any(w in s.got for w in warm) for s in subscribers):
            if time.monotonic() > deadline:
                raise RuntimeError("the subscribers did not all receive a warm-up event within 60 s")
            warm.append(await create_task(http, base, key, task_input("fan-out warm-up")))
            await asyncio.sleep(1.0)
    print("READY", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    sent: dict[str, float] = json.loads(Path(line.split(maxsplit=1)[1].strip()).read_text())
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline and not all(all(t in s.got for t in sent) for s in subscribers):
        await asyncio.sleep(0.2)
    delays = [s.got[t] - t0 for s in subscribers for t, t0 in sent.items() if t in s.got]
    ended = [s.ended for s in subscribers if s.ended]
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    result = {"received": len(delays), "stats": summary_ms(delays),
              "duplicates": sum(s.duplicates for s in subscribers), "ended": len(ended),
              "ended_first": ended[0] if ended else "", "connect_s": connect_s}
    await asyncio.gather(*(s.conn.close() for s in subscribers if s.conn), return_exceptions=True)
    print(json.dumps(result), flush=True)


@dataclass
class FanoutRow:
    subscribers: int
    events: int = 0
    received: int = 0
    duplicates: int = 0
    stats: dict[str, float] = field(default_factory=dict)
    server_cpu: float = 0.0
    client_cpu: float = 0.0
    note: str = ""

    @property
    def lost(self) -> int:
        return self.subscribers * self.events - self.received


async def write_events(base: str, key: str, seconds: float) -> tuple[dict[str, float], list[float]]:
    """Create MANUAL tasks at RATE_PER_S for `seconds`: (task id → send time (CLOCK_MONOTONIC), round-trips)."""
    sent: dict[str, float] = {}
    round_trips: list[float] = []
    async with aiohttp.ClientSession() as http:
        start = time.monotonic()

        async def one(i: int) -> None:
            await sleep_until(start + i / RATE_PER_S)
            t0 = time.monotonic()
            sent[await create_task(http, base, key, task_input(f"fan-out {i}"))] = t0
            round_trips.append(time.monotonic() - t0)

        await asyncio.gather(*(one(i) for i in range(round(seconds * RATE_PER_S))))
    return sent, round_trips


def fanout_one(n: int, seconds: float, document: str) -> FanoutRow:
    raise_open_files()
    with tempfile.TemporaryDirectory() as tmp:
        services = Services(tmp)
        client = None
        try:
            env = base_env(database_url=f"sqlite://{tmp}/live.db", broker_url="memory://")
            key = services.api_key(env)
            server, base = services.serve(env)
            client = subprocess.Popen([sys.executable, __file__, "--fanout-client", base, key, str(n), document],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            ready = client.stdout.readline() if client.stdout else ""
            if ready.strip() != "READY":
                raise RuntimeError(f"the client process did not get ready (exit {client.wait()})")
            cpu0, client_cpu0, t0 = cpu_seconds(server.pid), cpu_seconds(client.pid), time.monotonic()
            sent, round_trips = asyncio.run(write_events(base, key, seconds))
            wall = time.monotonic() - t0
            server_cpu = (cpu_seconds(server.pid) - cpu0) / wall * 100
            client_cpu = (cpu_seconds(client.pid) - client_cpu0) / wall * 100
            sent_file = Path(tmp) / "sent.json"
            sent_file.write_text(json.dumps(sent))
            out, _ = client.communicate(f"STOP {sent_file}\n", timeout=DRAIN_TIMEOUT_S + 60)
            if client.returncode != 0:
                raise RuntimeError(f"the client process failed with exit code {client.returncode}")
            result = json.loads(out.strip().splitlines()[-1])
        except Exception as exc:
            return FanoutRow(n, note=f"failed: {type(exc).__name__}: {exc}"[:300])
        finally:
            if client is not None and client.poll() is None:
                client.kill()
                client.wait()
            services.close()
    note = f"createTask p99 {summary_ms(round_trips)['p99']:.0f} ms; {n} connected in {result['connect_s']:.1f} s"
    if result["ended"]:
        note += f"; {result['ended']} subscriptions ended early ({result['ended_first']})"
    return FanoutRow(n, len(sent), result["received"], result["duplicates"], result["stats"], server_cpu,
                     client_cpu, note)


def print_fanout(rows: list[FanoutRow], seconds: float, document: str) -> None:
    print(f"\n2. Fan-out: N subscribers on one `taskloom serve` (embedded SQLite), one client process, each on "
          f"taskEvents (every event; the {document!r} document);\n{RATE_PER_S:.0f} createTask MANUAL/s for "
          f"{seconds:.0f} s = one PENDING event each; delivery = arrival - send of the create; lost = not received "
          f"{DRAIN_TIMEOUT_S:.0f} s after the last send; CPU% of one core over the writer's window")
    header = (f"{'N':>5} {'events':>6} {'expected':>9} {'received':>9} {'lost':>6} {'dup':>4}"
              f" {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p99 x base':>10} {'server CPU':>10}"
              f" {'client CPU':>10}  note")
    print(header)
    print("-" * len(header))
    base = rows[0].stats.get("p99", 0.0) if rows else 0.0
    for i, row in enumerate(rows):
        if not row.stats:
            print(f"{row.subscribers:>5} {'-':>6}  {row.note}")
            continue
        s = row.stats
        ratio = "baseline" if i == 0 else (f"{s['p99'] / base:.1f}x" if base else "-")
        print(f"{row.subscribers:>5} {row.events:>6} {row.subscribers * row.events:>9} {row.received:>9}"
              f" {row.lost:>6} {row.duplicates:>4} {s['p50']:>8.1f} {s['p95']:>8.1f} {s['p99']:>8.1f} {s['max']:>8.1f}"
              f" {ratio:>10} {row.server_cpu:>9.0f}% {row.client_cpu:>9.0f}%  {row.note}")


# -- main ---------------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=DEFAULT_TASKS, help="latency: tasks per mode")
    parser.add_argument("--subscribers", default=DEFAULT_SUBSCRIBERS, help="fan-out: comma-separated N values")
    parser.add_argument("--seconds", type=float, default=FANOUT_SECONDS, help="fan-out: how long events are written")
    parser.add_argument("--only", choices=("latency", "fanout"), help="run one benchmark")
    parser.add_argument("--document", choices=tuple(FANOUT_DOCUMENTS), default="ids",
                        help="fan-out: what each subscriber selects")
    parser.add_argument("--fanout-client", nargs=4, metavar=("URL", "KEY", "N", "DOCUMENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fanout_client:
        base, key, n, document = args.fanout_client
        asyncio.run(fanout_client(base, key, int(n), document))
        return
    if args.only != "fanout":
        port = free_port()
        target = subprocess.Popen([sys.executable, str(Path(__file__).with_name("http_client.py")), "--serve",
                                   str(port)])
        rows: list[LatencyRow] = []
        try:
            wait_listening(port, target)
            for mode in LATENCY_MODES:
                try:
                    rows += asyncio.run(latency_mode(mode, f"http://127.0.0.1:{port}/", args.tasks))
                except Exception as exc:
                    rows.append(LatencyRow(mode, "failed", note=f"{type(exc).__name__}: {exc}"[:300]))
        finally:
            target.terminate()
            target.wait(timeout=10)
        print_latency(rows, args.tasks)
    if args.only != "latency":
        counts = [1] + [int(n) for n in args.subscribers.split(",") if n.strip() and int(n) != 1]
        print_fanout([fanout_one(n, args.seconds, args.document) for n in counts], args.seconds, args.document)


if __name__ == "__main__":
    main()
