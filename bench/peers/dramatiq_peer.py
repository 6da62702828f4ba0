"""The peer on plain Dramatiq: `dramatiq peers.dramatiq_peer --processes 1 --threads 8` (Redis at PEER_REDIS_URL)."""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from peers import store

broker = RedisBroker(url=os.environ["PEER_REDIS_URL"])
dramatiq.set_broker(broker)


@dramatiq.actor(max_retries=0)
def run_task(task_id: str) -> None:
    store.run(task_id)
