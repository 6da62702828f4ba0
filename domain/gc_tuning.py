"""Garbage-collector tuning for Taskloom's long-running processes.

A busy worker allocates many short-lived containers (rows, futures, dicts); with Python's default threshold of
700 allocations the young generation is collected thousands of times a second, and every full collection also
walks the hundreds of thousands of objects made at start-up (modules, the GraphQL schema, ORM metadata). The
bench measured garbage collection at about a fifth of a worker's CPU. `tune_gc` freezes what exists at start-up
(`gc.freeze`: never collected, never walked again) and raises the young generation's threshold. Objects in
reference cycles are still collected, only in larger, rarer batches.
"""

from __future__ import annotations

import gc
import logging

__all__ = ["tune_gc"]

logger = logging.getLogger(__name__)


def tune_gc(threshold: int) -> None:
    """Freeze the objects made so far and collect the young generation every `threshold` allocations.

    Call it once a process has started up (its imports done). `threshold` 0 leaves Python's defaults.
    """
    if threshold <= 0:
        return
    gc.collect()  # the start-up garbage goes now, not into the frozen generation
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(threshold, gen1, gen2)
    logger.debug("gc: %d objects frozen; young generation collected every %d allocations", gc.get_freeze_count(),
                 threshold)
