"""The peer on Celery: `celery -A peers.celery_peer worker --pool threads --concurrency 8` (Redis at PEER_REDIS_URL)."""

from __future__ import annotations

import os

from celery import Celery

from peers import store

app = Celery("peer", broker=os.environ["PEER_REDIS_URL"])
app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=4, broker_connection_retry_on_startup=True,
                worker_hijack_root_logger=False)


@app.task(name="run_task", acks_late=True)
def run_task(task_id: str) -> None:
    store.run(task_id)
