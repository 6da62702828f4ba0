"""The Redis doorbell (workers/doorbell.py) on a private redis-server: an idle consumer waiting out a long poll
interval wakes when a message is enqueued, polls as before when nobody rings, and rings again after Redis
comes back."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import dramatiq
import pytest
from broker_support import RedisServer, private_redis  # noqa: F401 (a fixture)
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message

from workers.doorbell import DoorbellRedisBroker

#: The consumers' poll interval in these tests: a wake-up well before it can only come from the bell.
LONG_POLL_MS = 30_000
#: What "well before" means here: far under the poll interval, far over a loaded machine's hiccups.
WOKEN_WITHIN_S = 10.0


@pytest.fixture
def broker(private_redis: RedisServer) -> Iterator[DoorbellRedisBroker]:
    broker = DoorbellRedisBroker(url=private_redis.url, middleware=[])
    try:
        yield broker
    finally:
        broker.close()


def message_on(broker: dramatiq.Broker, queue: str) -> Message:
    broker.declare_queue(queue)
    return Message(queue_name=queue, actor_name="noop", args=(), kwargs={}, options={})


class Receiver:
    """Calls `next(consumer)` in a thread until a message comes; records how long that took."""

    def __init__(self, consumer: dramatiq.Consumer) -> None:
        self.consumer = consumer
        self.received: list[str] = []
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Receiver:
        self.thread.start()
        time.sleep(0.5)  # the first fetch found the queue empty: the consumer now waits
        return self

    def _run(self) -> None:
        started = time.monotonic()
        deadline = started + LONG_POLL_MS / 1000 * 2
        while time.monotonic() < deadline:
            proxy = next(self.consumer)
            if proxy is not None:
                self.seconds = time.monotonic() - started
                self.received.append(proxy.message_id)
                self.consumer.ack(proxy)
                return

    def wait(self) -> None:
        self.thread.join(LONG_POLL_MS / 1000 * 2)


def test_an_idle_consumer_wakes_when_a_message_is_enqueued(broker: DoorbellRedisBroker) -> None:
    queue = f"bell_{uuid.uuid4().hex[:8]}"
    message = message_on(broker, queue)
    receiver = Receiver(broker.consume(queue, prefetch=1, timeout=LONG_POLL_MS)).start()
    sent = broker.enqueue(message)
    receiver.wait()
    assert receiver.received == [sent.message_id]
    assert receiver.seconds < WOKEN_WITHIN_S, f"took {receiver.seconds:.1f} s: the bell did not wake the consumer"


def test_a_message_sent_without_a_bell_is_found_at_the_next_poll(
    broker: DoorbellRedisBroker, private_redis: RedisServer
) -> None:
    queue = f"bell_{uuid.uuid4().hex[:8]}"
    plain = RedisBroker(url=private_redis.url, middleware=[])  # a sender that rings no bell
    message = message_on(plain, queue)
    receiver = Receiver(broker.consume(queue, prefetch=1, timeout=300)).start()
    sent = plain.enqueue(message)
    receiver.wait()
    assert receiver.received == [sent.message_id]


def test_the_bell_rings_again_after_redis_restarts(broker: DoorbellRedisBroker, private_redis: RedisServer) -> None:
    queue = f"bell_{uuid.uuid4().hex[:8]}"
    message = message_on(broker, queue)
    consumer = broker.consume(queue, prefetch=1, timeout=LONG_POLL_MS)
    private_redis.stop()
    private_redis.start()
    time.sleep(2)  # the listener notices, waits RESUBSCRIBE_S and subscribes again
    receiver = Receiver(consumer).start()
    sent = broker.enqueue(message)
    receiver.wait()
    assert receiver.received == [sent.message_id]
    assert receiver.seconds < WOKEN_WITHIN_S, f"took {receiver.seconds:.1f} s: the bell did not wake the consumer"


def test_each_database_has_its_own_channel_and_close_stops_the_listener(private_redis: RedisServer) -> None:
    first = DoorbellRedisBroker(url=private_redis.url.rsplit("/", 1)[0] + "/1", middleware=[])
    second = DoorbellRedisBroker(url=private_redis.url.rsplit("/", 1)[0] + "/2", middleware=[])
    assert first.doorbell_channel != second.doorbell_channel
    first.consume("bell_close", prefetch=1, timeout=100)
    listeners = [t for t in threading.enumerate() if t.name == "taskloom-doorbell"]
    assert listeners
    first.close()
    second.close()
    assert not any(t.is_alive() for t in listeners)
