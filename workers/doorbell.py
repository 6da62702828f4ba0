"""The Redis doorbell: an idle worker starts a new message at once, not at its next poll of the queue.

Dramatiq's Redis consumer asks an empty queue again after a growing backoff, up to the worker timeout
(`TASKLOOM_WORKER_POLL_MS`): the first task after a quiet spell waited for that poll. `DoorbellRedisBroker` rings
a bell after every enqueue: it publishes the queue's name on one Redis channel. In a worker process one listener
thread subscribes to that channel, and a consumer that finds its queue empty waits for its queue's bell, or the
poll interval, whichever comes first, instead of sleeping.

A bell is only a wake-up. Without one (the listener's connection lost, a sender of another version) a consumer
asks again after the poll interval as before, and the listener resubscribes once Redis answers again.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import redis
from dramatiq.broker import Consumer
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.message import Message

__all__ = ["DoorbellRedisBroker"]

logger = logging.getLogger(__name__)

#: Seconds between the listener's attempts to subscribe again after losing Redis.
RESUBSCRIBE_S = 1.0
#: Longest the listener blocks on its subscription before it checks whether it should stop.
LISTEN_TICK_S = 1.0


class _Bells:
    """One subscription per process: sets the events of the queue named in each message on the channel."""

    def __init__(self, client: redis.Redis, channel: str) -> None:
        self._client = client
        self._channel = channel
        self._events: dict[str, list[threading.Event]] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="taskloom-doorbell", daemon=True)
        self._thread.start()

    def bell(self, queue_name: str) -> threading.Event:
        """A new event that is set whenever `queue_name` is rung."""
        event = threading.Event()
        with self._lock:
            self._events.setdefault(queue_name, []).append(event)
        return event

    def stop(self) -> None:
        """Stop listening (within LISTEN_TICK_S) and close the subscription."""
        self._stopped.set()
        self._thread.join(timeout=LISTEN_TICK_S + 5)

    def _ring(self, queue_names: list[str]) -> None:
        with self._lock:
            events = [event for name in queue_names for event in self._events.get(name, ())]
        for event in events:
            event.set()

    def _listen(self) -> None:
        while not self._stopped.is_set():
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self._channel)
                # Whatever was sent while nobody listened is fetched now rather than at the next poll.
                with self._lock:
                    queue_names = list(self._events)
                self._ring(queue_names)
                while not self._stopped.is_set():
                    item = pubsub.get_message(timeout=LISTEN_TICK_S)
                    if item is not None:
                        self._ring([item["data"].decode()])
            except (redis.RedisError, OSError) as exc:
                logger.debug("doorbell listener lost Redis (%s); consumers poll until it is back", exc)
                self._stopped.wait(RESUBSCRIBE_S)
            finally:
                pubsub.close()


class _WakingConsumer(_RedisConsumer):
    """Dramatiq's Redis consumer that, on an empty queue, waits for its bell (at most `timeout` ms)."""

    def __init__(self, broker: RedisBroker, queue_name: str, prefetch: int, timeout: int,
                 bell: threading.Event) -> None:
        super().__init__(broker, queue_name, prefetch, 0)  # 0: never sleeps itself when the queue is empty
        self._bell = bell
        self._wait_s = timeout / 1000

    def __next__(self) -> Any:
        message = super().__next__()
        if message is None:
            # A ring after the fetch found nothing stays set: the wait returns at once and the next fetch gets it.
            self._bell.wait(self._wait_s)
            self._bell.clear()
        return message


class DoorbellRedisBroker(RedisBroker):
    """Dramatiq's RedisBroker with a doorbell (see the module's docstring); same queues, same messages."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        db = self.client.connection_pool.connection_kwargs.get("db", 0)
        self.doorbell_channel = f"{self.namespace}:{db}:doorbell"  # PUBLISH reaches every db: the name tells them apart
        self._bells: _Bells | None = None
        self._bells_lock = threading.Lock()

    def enqueue(self, message: Message, *, delay: int | None = None) -> Message:
        message = super().enqueue(message, delay=delay)
        try:
            self.client.publish(self.doorbell_channel, message.queue_name)
        except redis.RedisError:  # enqueued all the same: the consumers find it at their next poll
            logger.debug("ringing the doorbell of %r failed", message.queue_name, exc_info=True)
        return message

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 5000) -> Consumer:
        with self._bells_lock:
            if self._bells is None:
                self._bells = _Bells(self.client, self.doorbell_channel)
            bell = self._bells.bell(queue_name)
        return _WakingConsumer(self, queue_name, prefetch, timeout, bell)

    def close(self) -> None:
        with self._bells_lock:
            bells, self._bells = self._bells, None
        if bells is not None:
            bells.stop()
        super().close()
