"""Group commit: calls that arrive while a batch is being written wait, then go together in the next batch.

A worker process runs many attempts on one event loop; each would claim, log and finish in a transaction of its
own, and on PostgreSQL every such transaction waits for its commit (and for the event-append lock). `GroupCommit`
hands whatever has accumulated to one `flush(items)` call instead: under load the batches grow by themselves, and
a lone call waits for no timer (one loop turn).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["DEFAULT_MAX_BATCH", "GroupCommit", "per_loop"]

T = TypeVar("T")
R = TypeVar("R")

#: Most items one flush takes (statements stay well under the databases' parameter limits).
DEFAULT_MAX_BATCH = 400


class GroupCommit(Generic[T, R]):
    """`await submit(item)` returns `flush([..., item, ...])`'s result for it; one flush runs at a time.

    Parameters:
        flush: writes a batch and returns one result per item, in order; if it raises, every item of the batch
            gets the exception.
        max_batch: most items per flush.
    """

    def __init__(self, flush: Callable[[list[T]], Awaitable[Sequence[R]]], *, max_batch: int = DEFAULT_MAX_BATCH):
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        return await self.enqueue(item)

    def enqueue(self, item: T) -> asyncio.Future[R]:
        """Put `item` in the next batch without waiting: the future gets its result (or the batch's exception)."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._drainer is None:
            self._drainer = asyncio.ensure_future(self._drain())
        return future

    async def _drain(self) -> None:
        try:
            await asyncio.sleep(0)  # one loop turn: calls made in the same turn join the first batch
            while self._pending:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                try:
                    # A task of its own per flush: Tortoise leaves its current-transaction context set when BEGIN
                    # fails (the database went away), which would fail every later flush of this drainer.
                    results = await asyncio.ensure_future(self._flush([item for item, _ in batch]))
                except BaseException as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._drainer = None


_REGISTRY: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[object, GroupCommit]] = (  # type: ignore[type-arg]
    weakref.WeakKeyDictionary())


def per_loop(key: object, make: Callable[[], GroupCommit[T, R]]) -> GroupCommit[T, R]:
    """The GroupCommit named `key` of the running event loop, made on first use (futures belong to one loop)."""
    loop = asyncio.get_running_loop()
    batches = _REGISTRY.get(loop)  # not setdefault: that makes a weak reference on every call
    if batches is None:
        batches = _REGISTRY[loop] = {}
    group = batches.get(key)
    if group is None:
        group = batches[key] = make()
    return group
