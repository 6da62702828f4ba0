"""Counts the SQL statements a benchmarked process sends to PostgreSQL (bench/suite.py puts this folder first on
PYTHONPATH of `taskloom serve` and `taskloom worker`).

Every asyncpg connection gets a query logger (asyncpg calls it once per statement sent: BEGIN, COMMIT and an
`executemany` count one each), and a `gc.callbacks` hook adds up the time spent in garbage collection. Each process
writes "<statements> <COMMITs> <GC seconds>" to `$TASKLOOM_BENCH_SQL_DIR/<pid>` every 0.1 s from a daemon thread
started on its first statement (after any fork). Without the variable: nothing.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from pathlib import Path
from typing import Any

_DIR = os.environ.get("TASKLOOM_BENCH_SQL_DIR")
_FLUSH_S = 0.1


class _Counter:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        self.commits = 0
        self.gc_s = 0.0
        self._gc_started = 0.0
        self.pid = 0
        gc.callbacks.append(self._on_gc)

    def __call__(self, record: Any) -> None:
        if self.pid != os.getpid():  # first statement of this process: start its writer
            self.pid = os.getpid()
            self.count = self.commits = 0
            self.gc_s = 0.0
            threading.Thread(target=self._write_forever, args=(self.pid,), daemon=True).start()
        self.count += 1
        if record.query.startswith("COMMIT"):
            self.commits += 1

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        """Adds up the time this process spends in garbage collection."""
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc_s += time.perf_counter() - self._gc_started

    def _write_forever(self, pid: int) -> None:
        path = self.folder / str(pid)
        while True:
            path.write_text(f"{self.count} {self.commits} {self.gc_s:.6f}")
            time.sleep(_FLUSH_S)


def _install(folder: Path) -> None:
    import asyncpg.connection

    counter = _Counter(folder)
    original = asyncpg.connection.Connection.__init__

    def init(self: asyncpg.connection.Connection, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        self.add_query_logger(counter)

    asyncpg.connection.Connection.__init__ = init  # type: ignore[method-assign]


if _DIR:
    _install(Path(_DIR))
