"""Benchmark: the shared client's CPU cost per request with httpx's default transport vs aiohttp's.

Both clients are the production stack (`workers.http.build_http_client`: egress guard, redirects, no
cookies) with 127.0.0.1 allow-listed; only the inner transport differs. A small aiohttp server runs in a
subprocess on 127.0.0.1, so its CPU time is not counted. Each transport runs ROUNDS times, alternating,
and the median round is reported. Run: `.venv/bin/python bench/http_client.py [--requests N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from domain.settings import Settings
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


async def send_all(client: httpx.AsyncClient, url: str, requests: int, concurrency: int) -> None:
    remaining = iter(range(requests))

    async def worker() -> None:
        for _ in remaining:
            response = await client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"the bench server answered {response.status_code}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def one_round(transport: httpx.AsyncBaseTransport, url: str, requests: int, concurrency: int) -> Round:
    settings = Settings(_env_file=None, egress_allowlist="127.0.0.1")  # type: ignore[call-arg]
    async with build_http_client(settings, transport=transport) as client:
        await send_all(client, url, WARMUP_REQUESTS, concurrency)
        wall, cpu = time.perf_counter(), time.process_time()
        await send_all(client, url, requests, concurrency)
        return Round(time.perf_counter() - wall, time.process_time() - cpu, requests)


TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
    "httpx default (baseline)": lambda: httpx.AsyncHTTPTransport(limits=DEFAULT_HTTP_LIMITS, trust_env=False),
    "httpx-aiohttp": aiohttp_transport,
}


async def main(requests: int, concurrency: int) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        wait_listening(port, server)
        url = f"http://127.0.0.1:{port}/"
        rounds: dict[str, list[Round]] = {name: [] for name in TRANSPORTS}
        for _ in range(ROUNDS):
            for name, make in TRANSPORTS.items():
                rounds[name].append(await one_round(make(), url, requests, concurrency))
    finally:
        server.terminate()
        server.wait(timeout=10)

    medians = {name: sorted(rs, key=lambda r: r.cpu_s)[len(rs) // 2] for name, rs in rounds.items()}
    base = medians[next(iter(TRANSPORTS))]
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
