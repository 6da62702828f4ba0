"""`/metrics` on the served app: HTTP requests by route template, GraphQL operations and errors, open
subscriptions — read over real HTTP before and after, so each test sees its own deltas. Under `taskloom serve
--workers 2`, the open subscriptions of a process that died stop counting."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import Caller, RunningApp, free_port, service_unavailable
from metrics_support import sample, scrape
from ws_client import WsClient

EVENTS = "subscription { taskEvents { id } }"
#: A Redis database of these tests alone (`serve --workers N` needs a Redis broker).
REDIS_URL = "redis://127.0.0.1:6379/13"
TASKLOOM = Path(sys.executable).with_name("taskloom")
ROOT = Path(__file__).resolve().parents[2]
#: A process of the multiprocess folder with one subscription open: it says so, then waits to be killed.
OPEN_ONE = """
from api.metrics import SUBSCRIPTIONS_OPEN
SUBSCRIPTIONS_OPEN.inc()
print("open", flush=True)
input()
"""
#: A process of the folder that opens one and exits cleanly, as `serve` starts its processes (`asgi_app`).
OPEN_ONE_AND_EXIT = """
import os
from pathlib import Path
from api.cli import asgi_app
from api.metrics import SUBSCRIPTIONS_OPEN
asgi_app()
SUBSCRIPTIONS_OPEN.inc()
gauge_file = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"], f"gauge_livesum_{os.getpid()}.db")
print(gauge_file.name, gauge_file.exists())
"""


async def test_a_query_and_an_error_move_the_graphql_counters(app_server: RunningApp, admin: Caller) -> None:
    url = app_server.url + "/metrics"
    before = await scrape(url)
    await admin("{ tasks(first: 1) { totalCount } }")
    response = await admin.raw("{ noSuchField }")
    assert response.json()["errors"]
    after = await scrape(url)

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("taskloom_graphql_requests_total", operation_type="query") == 2
    assert moved("taskloom_graphql_errors_total", operation_type="unknown", code="GRAPHQL") \
        + moved("taskloom_graphql_errors_total", operation_type="query", code="GRAPHQL") == 1
    assert moved("taskloom_http_requests_total", route="/graphql", method="POST", status="2xx") == 2
    assert moved("taskloom_http_request_duration_seconds_count", route="/graphql", method="POST") == 2


async def test_refused_and_unknown_requests_count_under_a_template_not_their_path(app_server: RunningApp,
                                                                                  http) -> None:
    url = app_server.url + "/metrics"
    before = await scrape(url)
    assert (await http.post("/graphql", json={"query": "{ latestEventId }"})).status_code == 401
    assert (await http.get("/no/such/path/123")).status_code == 404
    after = await scrape(url)
    assert sample(after, "taskloom_http_requests_total", route="/graphql", method="POST", status="4xx") \
        - sample(before, "taskloom_http_requests_total", route="/graphql", method="POST", status="4xx") == 1
    assert sample(after, "taskloom_http_requests_total", route="unmatched", status="4xx") \
        - sample(before, "taskloom_http_requests_total", route="unmatched", status="4xx") == 1
    assert "/no/such/path" not in after


async def test_an_open_subscription_moves_the_gauge(app_server: RunningApp, admin: Caller) -> None:
    url = app_server.url + "/metrics"
    idle = sample(await scrape(url), "taskloom_subscriptions_open")
    client = await WsClient.connect(app_server.url, admin.key)
    try:
        await client.acked()
        await client.subscribe("1", EVENTS)
        for _ in range(100):  # the subscription starts once the server has read the message
            if sample(await scrape(url), "taskloom_subscriptions_open") == idle + 1:
                break
            await asyncio.sleep(0.02)
        assert sample(await scrape(url), "taskloom_subscriptions_open") == idle + 1
    finally:
        await client.close()
    for _ in range(100):
        if sample(await scrape(url), "taskloom_subscriptions_open") == idle:
            break
        await asyncio.sleep(0.02)
    assert sample(await scrape(url), "taskloom_subscriptions_open") == idle


def redis_or_skip(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {url} ({exc!r})")
    finally:
        client.close()


async def subscriptions_open(url: str) -> list[float]:
    """The gauge as four scrapes, each on a connection of its own (so any of the processes answers), see it."""
    values = []
    for _ in range(4):
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.get(url)
        assert response.status_code == 200, response.text
        values.append(sample(response.text, "taskloom_subscriptions_open"))
    return values


async def test_the_subscriptions_of_a_dead_api_process_stop_counting(database_url: str, tmp_path: Path) -> None:
    # Given `taskloom serve --workers 2`, its multiprocess folder made under tmp_path
    redis_or_skip(REDIS_URL)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKLOOM_", "PROMETHEUS_", "OTEL_"))}
    env.update(TASKLOOM_DATABASE_URL=database_url, TASKLOOM_BROKER_URL=REDIS_URL, TMPDIR=str(tmp_path),
               PYTHONUNBUFFERED="1")
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen([str(TASKLOOM), "serve", "--workers", "2", "--port", str(port)], env=env,
                                  cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    opened: subprocess.Popen[str] | None = None
    try:
        deadline = time.monotonic() + 30
        while log_path.read_text(errors="replace").count("Application startup complete") < 2:
            assert server.poll() is None and time.monotonic() < deadline, log_path.read_text(errors="replace")
            await asyncio.sleep(0.05)
        (folder,) = tmp_path.glob("taskloom-metrics-*")
        folder_env = {**env, "PROMETHEUS_MULTIPROC_DIR": str(folder)}

        # When a process of the folder has a subscription open, every scrape counts it
        opened = subprocess.Popen([sys.executable, "-c", OPEN_ONE], env=folder_env, cwd=ROOT, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert opened.stdout is not None and opened.stdout.readline() == "open\n"
        assert await subscriptions_open(url) == [1, 1, 1, 1]
        # and it dies without a word (kill -9: no exit handler runs)
        opened.kill()
        opened.wait(10)
        assert (folder / f"gauge_livesum_{opened.pid}.db").exists()

        # Then no scrape counts it any more, and its gauge file is gone
        assert await subscriptions_open(url) == [0, 0, 0, 0]
        assert not (folder / f"gauge_livesum_{opened.pid}.db").exists()

        # And a process that exits cleanly takes its gauge file with it
        done = subprocess.run([sys.executable, "-c", OPEN_ONE_AND_EXIT], env=folder_env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        gauge_file, existed = done.stdout.split()
        assert existed == "True" and not (folder / gauge_file).exists()
    finally:
        if opened is not None and opened.poll() is None:
            opened.kill()
            opened.wait(10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
