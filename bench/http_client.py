"""Benchmark: the worker's HTTP clients' CPU cost per request: httpx over its default transport or over aiohttp,
and the API_CALL executor's DirectClient straight on aiohttp.

The httpx rows are the production stack (`workers.http.build_http_client`: egress guard, redirects, no
cookies) with only the inner transport differing; the DirectClient row keeps the same rules
(`workers.direct_http`). 127.0.0.1 is allow-listed. A small aiohttp server runs in a subprocess on 127.0.0.1,
so its CPU time is not counted. Each client runs ROUNDS times, alternating, and the median round is reported.
Run: `.venv/bin/python bench/http_client.py [--requests N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from domain.egress import EgressPolicy
from domain.settings import Settings
from workers.direct_http import DirectClient
from workers.http import DEFAULT_HTTP_LIMITS, aiohttp_transport, build_http_client

#: Requests per round and how many are in flight at once.
DEFAULT_REQUESTS = 2000
DEFAULT_CONCURRENCY = 50
#: Rounds per transport; the median is reported.
ROUNDS = 3
#: Requests sent before measuring, to open the pool's connections.
WARMUP_REQUESTS = 100
#: How long the server may take to start listening, in seconds.
SERVER_START_TIMEOUT_S = 10.0


def serve(port: int) -> None:
    """Run the target server: `GET /` answers a small JSON document (the subprocess's job)."""
    from aiohttp import web

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "path": request.path})

    app = web.Application()
    app.router.add_get("/", handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_listening(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the bench server exited with code {server.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the bench server did not listen on 127.0.0.1:{port} within {SERVER_START_TIMEOUT_S} s")


@dataclass(frozen=True)
class Round:
    wall_s: float
    cpu_s: float
    requests: int

    @property
    def per_s(self) -> float:
        return self.requests / self.wall_s

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_s * 1000 / self.requests


async def timed(send_one: Callable[[], Awaitable[None]], requests: int, concurrency: int) -> Round:
    """Warm up (opening the pool's connections), then time `requests` calls of `send_one`, `concurrency` at once."""

    async def run(count: int) -> None:
        remaining = iter(range(count))

        async def worker() -> None:
            for _ in remaining:
                await send_one()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    await run(WARMUP_REQUESTS)
    wall, cpu = time.perf_counter(), time.process_time()
    await run(requests)
    return Round(time.perf_counter() - wall, time.process_time() - cpu, requests)


def _expect_200(status: int) -> None:
    if status != 200:
        raise RuntimeError(f"the bench server answered {status}")


async def httpx_round(transport: httpx.AsyncBaseTransport, url: str, requests: int, concurrency: int) -> Round:
    """The shared httpx client (egress guard, redirects, no cookies) over `transport`."""
    settings = Settings(_env_file=None, egress_allowlist="127.0.0.1")  # type: ignore[call-arg]
    async with build_http_client(settings, transport=transport) as client:

        async def send_one() -> None:
            _expect_200((await client.get(url)).status_code)

        return await timed(send_one, requests, concurrency)


async def direct_round(url: str, requests: int, concurrency: int) -> Round:
    """The API_CALL executor's `DirectClient`: the same egress guard and redirect rules, straight on aiohttp."""
    client = DirectClient(EgressPolicy.from_setting("127.0.0.1"))
    target = httpx.URL(url)
    try:

        async def send_one() -> None:
            response = await client.send("GET", target, headers=httpx.Headers(), content=None, timeout_s=30,
                                         max_bytes=1_000_000)
            _expect_200(response.status_code)

        return await timed(send_one, requests, concurrency)
    finally:
        await client.aclose()


CLIENTS: dict[str, Callable[[str, int, int], Awaitable[Round]]] = {
    "httpx default (baseline)": lambda url, n, c: httpx_round(
        httpx.AsyncHTTPTransport(limits=DEFAULT_HTTP_LIMITS, trust_env=False), url, n, c),
    "httpx-aiohttp": lambda url, n, c: httpx_round(aiohttp_transport(), url, n, c),
    "DirectClient (API_CALL)": direct_round,
}


async def main(requests: int, concurrency: int) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_listening(port, server)
        url = f"http://127.0.0.1:{port}/"
        rounds: dict[str, list[Round]] = {name: [] for name in CLIENTS}
        for _ in range(ROUNDS):
            for name, run_round in CLIENTS.items():
                rounds[name].append(await run_round(url, requests, concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)

    medians = {name: sorted(rs, key=lambda r: r.cpu_s)[len(rs) // 2] for name, rs in rounds.items()}
    base = medians[next(iter(CLIENTS))]
    python = sys.version.split()[0]
    print(f"{requests} GET requests, concurrency {concurrency}, median of {ROUNDS} rounds, Python {python}")
    header = f"{'transport':<26} {'wall s':>7} {'req/s':>8} {'CPU ms/req':>11} {'req/s x':>8} {'CPU x':>7}"
    print(header)
    print("-" * len(header))
    for name, r in medians.items():
        print(
            f"{name:<26} {r.wall_s:>7.2f} {r.per_s:>8.0f} {r.cpu_ms_per_request:>11.3f}"
            f" {r.per_s / base.per_s:>8.2f} {r.cpu_ms_per_request / base.cpu_ms_per_request:>7.2f}"
        )
    spread = {name: statistics.pstdev([r.cpu_ms_per_request for r in rs]) for name, rs in rounds.items()}
    print("CPU ms/req spread (stdev over rounds): " + ", ".join(f"{n} {s:.3f}" for n, s in spread.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=DEFAULT_REQUESTS)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
    else:
        asyncio.run(main(args.requests, args.concurrency))
