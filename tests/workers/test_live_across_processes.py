"""Events produced in a worker process reach subscribers of API processes through the cross-process bus:
PostgreSQL NOTIFY (the default on PostgreSQL) or Redis pub/sub (the default on SQLite with a Redis broker),
and two API replicas both deliver them."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import httpx
from broker_support import SHARED_REDIS_URL, TASKLOOM, WorkerProcess, purge, require, worker_env
from conftest import free_port, make_caller
from engine_support import Target, serve, target  # noqa: F401 (target: a fixture)
from samples import CREATE_TASK, task_input
from ws_client import WsClient

from api.app import create_app
from domain.settings import load_settings

EVENTS = "subscription($f: TaskEventFilter) { taskEvents(filter: $f) { id toStatus actor } }"
#: The API replicas' safety read interval: far longer than the test, so only the bus can deliver in time.
NO_POLL_S = 120.0
#: How long a subscriber waits for each event (generous: a busy CI machine is slow, but never 120 s slow).
WAIT_S = 30.0
REDIS_EVENTS = SHARED_REDIS_URL.rsplit("/", 1)[0] + "/5"


def bus_of(database_url: str) -> str:
    """The bus these tests expect by default: NOTIFY on PostgreSQL, else Redis (the broker)."""
    return "postgres NOTIFY" if database_url.startswith("postgres") else "redis pub/sub"


async def wait_http(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient() as client:
        while True:
            try:
                if (await client.get(url + "/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "the second API replica did not come up"
            await asyncio.sleep(0.2)


async def test_worker_events_reach_subscribers_of_two_api_replicas(
    db: str, target: Target, tmp_path: Path
) -> None:
    # Given a Redis broker, a worker process, and two API processes (this one and a `taskloom serve`)
    require(SHARED_REDIS_URL, "Redis")
    purge(REDIS_EVENTS)
    settings = load_settings(database_url=db, broker_url=REDIS_EVENTS, egress_allowlist="127.0.0.1",
                             live_poll_s=NO_POLL_S, _env_file=None)
    assert settings.events_url_resolved == (db if db.startswith("postgres") else REDIS_EVENTS), bus_of(db)
    worker = WorkerProcess.start(database_url=db, broker_url=REDIS_EVENTS, folder=tmp_path / "worker",
                                 name="worker")
    port_a, port_b = free_port(), free_port()
    env = {**worker_env(db, REDIS_EVENTS, tmp_path / "artifacts"), "TASKLOOM_PORT": str(port_b),
           "TASKLOOM_LIVE_POLL_S": str(NO_POLL_S)}
    replica = subprocess.Popen([str(TASKLOOM), "serve"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    clients: list[WsClient] = []
    try:
        await worker.ready()
        async for _ in serve(create_app(settings, own_database=False), port_a):
            url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
            await wait_http(url_b, replica)
            async with httpx.AsyncClient(base_url=url_a, timeout=30) as http:
                admin = await make_caller(http, "acme", ["admin"], name="replica-admin")
                task = (await admin(CREATE_TASK, {"input": task_input(
                    "API_CALL", {"apiEndpoint": target.script("replicas", 200)}, title="watched",
                    requiresHumanReview=True, executionType="AUTOMATIC", assignedToBot=True)}))
                task_id = task["createTask"]["task"]["id"]
                for url in (url_a, url_b):
                    client = await WsClient.connect(url, admin.key)
                    await client.acked()
                    await client.subscribe("1", EVENTS, {"f": {"taskIds": [task_id]}})
                    clients.append(client)
                await asyncio.sleep(0.3)  # live only: let both subscriptions register
                # When the task is approved on replica A and run by the worker process
                await admin("mutation($id: ID!) { approveTask(id: $id) { task { status } } }", {"id": task_id})
                # Then both replicas stream QUEUED (replica A's write), IN_PROGRESS and COMPLETED (the worker's),
                # long before their first safety read: the bus carried the worker's notices.
                for client in clients:
                    seen = [(await client.next_data("1", timeout_s=WAIT_S))["taskEvents"] for _ in range(3)]
                    assert [e["toStatus"] for e in seen] == ["QUEUED", "IN_PROGRESS", "COMPLETED"], seen
                    assert [e["actor"] for e in seen] == ["key:replica-admin", "worker", "worker"]
            break
    finally:
        for client in clients:
            await client.close()
        replica.terminate()
        replica.wait(15)
        worker.kill()
        purge(REDIS_EVENTS)


