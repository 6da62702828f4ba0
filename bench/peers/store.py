"""The minimal task store both peers share: one row per task in PostgreSQL, claimed and completed by the worker.

`create(ids)` inserts the rows QUEUED in one statement (as createTasks does); `run(id)` is one task: claim the row
by compare-and-set (a duplicate message does nothing), GET the target with httpx, store the status code and mark
the row COMPLETED. Each worker thread keeps its own autocommit psycopg connection and httpx client. Settings come
from the environment: PEER_DATABASE_URL, PEER_TARGET_URL.
"""

from __future__ import annotations

import os
import threading
import uuid

import httpx
import psycopg

SCHEMA = """CREATE TABLE IF NOT EXISTS peer_tasks (
    id uuid PRIMARY KEY, status text NOT NULL, result integer, created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now())"""

_local = threading.local()


def _conn() -> psycopg.Connection:
    if not hasattr(_local, "conn"):
        _local.conn = psycopg.connect(os.environ["PEER_DATABASE_URL"], autocommit=True)
        _local.http = httpx.Client(timeout=30)
    return _local.conn


def create(database_url: str, ids: list[str]) -> None:
    """Insert the rows QUEUED, all in one statement."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        conn.execute("INSERT INTO peer_tasks (id, status) SELECT unnest(%s::uuid[]), 'QUEUED'",
                     [[uuid.UUID(i) for i in ids]])


def completed(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM peer_tasks WHERE status = 'COMPLETED'").fetchone()
    return int(row[0]) if row else 0


def run(task_id: str) -> None:
    """One task: claim, call the target, complete."""
    conn = _conn()
    claimed = conn.execute("UPDATE peer_tasks SET status = 'IN_PROGRESS', updated_at = now() "
                           "WHERE id = %s AND status = 'QUEUED'", [task_id]).rowcount
    if not claimed:
        return
    response = _local.http.get(os.environ["PEER_TARGET_URL"])
    conn.execute("UPDATE peer_tasks SET status = 'COMPLETED', result = %s, updated_at = now() WHERE id = %s",
                 [response.status_code, task_id])
